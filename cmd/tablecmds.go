package cmd

import (
	"context"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

// tableInapplicable are the root's flags a subcommand made from the table
// has no use for: they say how messages are shown and saved, and these
// commands write lines of their own (purge's count), a result that -q does
// not silence. Giving one is a usage error, not ignored.
var tableInapplicable = []string{"format", "no-newline", "save-dir", "no-save", "quiet"}

// tableSubcommandNames are the names of the table's one-shot commands.
func tableSubcommandNames() []string {
	var names []string
	for _, s := range commands.Commands().Specs() {
		if s.OneShot {
			names = append(names, s.Name)
		}
	}
	return names
}

// tableSubcommands are the shell commands marked OneShot in the command
// table, as subcommands: `stomp purge /queue/a` runs purge once on a fresh
// connection, as a one-line script would, and exits with its exit code.
// Their help, completion and man page come from the table too, so a
// command marked there needs nothing here.
func tableSubcommands(o *options, stdio *iostreams.IOStreams) []*cobra.Command {
	var subs []*cobra.Command
	for _, s := range commands.Commands().Specs() {
		if !s.OneShot {
			continue
		}
		required, most := 0, len(s.Args)
		for _, a := range s.Args {
			if !a.Optional {
				required++
			}
		}
		if s.MessageArg > 0 || s.Own {
			most = math.MaxInt // the message, or text, is any number of words
		}
		var example []string
		for _, l := range strings.Split(s.Example, "\n") {
			example = append(example, "  stomp "+l)
		}
		subs = append(subs, &cobra.Command{
			Use:     s.UsageLine(),
			Short:   strings.ToUpper(s.Summary[:1]) + s.Summary[1:],
			Long:    s.Description,
			Example: strings.Join(example, "\n"),
			Args:    rangeArgs(required, most),
			RunE: func(c *cobra.Command, args []string) error {
				return oneShot(c, o, stdio, shellShot, func(ctx context.Context, env *commands.Env) error {
					r := env.Receive(commands.Hooks{})
					err := s.Run(ctx, &commands.Call{Spec: s, Env: env, Args: args})
					return env.FinishRun(r, err)
				})
			},
		})
	}
	return subs
}
