package commands

import (
	"context"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

func init() {
	Register(&Spec{
		Name: "sleep", Group: "Scripting", Own: true, Usage: "<duration>", Summary: "pause the script",
		Args:        []Arg{{Name: "duration", Desc: "how long, in seconds or with a unit: 1, 0.5, 500ms, 2s"}},
		Description: "Pauses for a while (messages keep arriving meanwhile).",
		Example:     "sleep 1s",
		Run:         sleep,
	})
}

func sleep(ctx context.Context, c *Call) error {
	if len(c.Args) != 1 {
		return c.Expecting()
	}
	d, err := parseDuration(c.Args[0])
	if err != nil || d < 0 {
		return exitcode.Usagef("sleep: %q is not a duration such as 1, 0.5 or 500ms", c.Args[0])
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
