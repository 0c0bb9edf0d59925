package commands

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

func init() {
	Register(&Spec{
		Name: "wait", Group: "Scripting", Own: true, Usage: "<count> [timeout]",
		Summary: "wait until count messages have arrived in this session",
		Args: []Arg{
			{Name: "count", Desc: "how many messages, counted from the start of the session"},
			{Name: "timeout", Desc: "how long to wait at most, in seconds or with a unit: 5, 5s, 500ms (default 10s)", Optional: true},
		},
		Description: "Waits until count messages have arrived in this session, so a script can send and then\ncheck what came back. A message whose output could not be written counts as arrived\n(the run fails for the output instead). Fails if the timeout passes first.",
		Example:     "subscribe /queue/a\nsend /queue/a ping\nwait 1",
		Run:         wait,
	})
}

func wait(ctx context.Context, c *Call) error {
	env, args := c.Env, c.Args
	if len(args) < 1 || len(args) > 2 {
		return c.Expecting()
	}
	n, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return exitcode.Usagef("wait: %q is not a count", args[0])
	}
	timeout := 10 * time.Second
	if len(args) == 2 {
		if timeout, err = parseDuration(args[1]); err != nil || timeout <= 0 {
			return exitcode.Usagef("wait: %q is not a duration such as 5 or 5s", args[1])
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		shown, next := env.ShownCount()
		if shown >= n {
			return nil
		}
		select {
		case <-next:
		case <-env.Session.Conn().Done():
			if shown, _ := env.ShownCount(); shown >= n {
				return nil
			}
			return fmt.Errorf("wait: the connection ended after %d of %d messages: %w", shown, n, env.Session.Conn().Err())
		case <-deadline.C:
			return exitcode.Timeoutf("wait: only %d of %d messages arrived within %v", shown, n, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
