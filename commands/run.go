package commands

import (
	"context"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

func init() {
	Register(&Spec{
		Name: "run", Group: "Scripting", MaxArgs: 1, Usage: "<filename>", Summary: "run the commands in a file",
		Args: []Arg{{Name: "filename", Desc: "a script: one command per line, # for comments"}},
		Description: "Runs each line of a file as a command, stopping at the first that fails.\n" +
			"quit inside the file ends the file.",
		Example: "run setup.txt",
		Run:     run,
		Complete: func(_ *Env, arg int, typed string) []string {
			if arg == 0 {
				return paths(typed)
			}
			return nil
		},
	})
}

func run(ctx context.Context, c *Call) error {
	if len(c.Args) < 1 {
		return c.Expecting()
	}
	if c.Scripts == nil {
		return exitcode.Usagef("run works only in the shell or a script")
	}
	return c.Scripts.RunScript(ctx, c.Args[0])
}
