package commands

import "context"

func init() {
	Register(&Spec{
		Name: "echo", Group: "Scripting", Own: true, Usage: "[text]", Summary: "print a line",
		Args:        []Arg{{Name: "text", Desc: "what to print", Optional: true}},
		Description: "Prints its arguments, joined by spaces: a script's way to say where it is.",
		Example:     "echo sending the batch",
		Run:         echo,
	})
}

func echo(ctx context.Context, c *Call) error {
	c.Env.Out.Print(joinWords(c.Args) + "\n")
	return nil
}
