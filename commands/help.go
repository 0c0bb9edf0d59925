package commands

import "context"

func init() {
	Register(&Spec{
		Name: "help", Aliases: []string{"?"}, Group: "Session", MaxArgs: 1, Usage: "[command]", Summary: "list commands, or explain one",
		Args:        []Arg{{Name: "command", Desc: "the command to explain", Optional: true}},
		Description: "Without an argument, lists the commands; with one, shows its usage and an example.",
		Example:     "help subscribe",
		Run:         help,
		Complete: func(_ *Env, arg int, _ string) []string {
			if arg == 0 {
				return Commands().Names()
			}
			return nil
		},
	})
}

func help(ctx context.Context, c *Call) error {
	text, err := Commands().Help(c.Arg(0))
	if err != nil {
		return err
	}
	c.Env.Out.Print(text)
	return nil
}
