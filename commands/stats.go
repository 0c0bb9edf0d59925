package commands

import (
	"context"
	"errors"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/stats"
)

func init() {
	Register(&Spec{
		Name: "stats", Group: "Session", MaxArgs: 1, Usage: "[on|off]", Summary: "count frames and messages",
		Args:        []Arg{{Name: "on|off", Desc: "start (or restart) or stop counting; without it, show the counts", Optional: true}},
		Description: "stats on starts counting; stats shows frames sent, messages, heart-beats and errors\nreceived since then, in stomp.py's format; stats off stops.",
		Example:     "stats on\nsend /queue/a hi\nstats",
		Run:         statsCommand,
		Complete: func(_ *Env, arg int, _ string) []string {
			if arg == 0 {
				return []string{"on", "off"}
			}
			return nil
		},
	})
}

// statsCommand is `stats` (the name stats is the package).
func statsCommand(ctx context.Context, c *Call) error {
	env := c.Env
	switch {
	case len(c.Args) == 0:
		counts, err := env.Stats.Report(env.Counts())
		if errors.Is(err, stats.ErrOff) {
			return exitcode.Usagef("No stats available (turn them on with: stats on)")
		}
		env.Out.Print(counts.Text())
	case len(c.Args) == 1 && c.Args[0] == "on":
		env.Stats.On(env.Counts())
	case len(c.Args) == 1 && c.Args[0] == "off":
		env.Stats.Off()
	default:
		return c.Expecting()
	}
	return nil
}
