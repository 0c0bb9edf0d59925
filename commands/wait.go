package commands

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// TimeoutError is a wait that ended before what it waited for came; a
// one-shot run exits 3 for it.
type TimeoutError = exitcode.TimeoutError

// parseDuration reads a script's duration: a bare number is seconds, as
// in sleep(1) and stomp.py scripts; otherwise Go's form (500ms, 2s, 1m).
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > float64(math.MaxInt64/int64(time.Second)) || f != f {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func scriptSpecs() []*Spec {
	wait := &Spec{
		Name: "wait", Group: "Scripting", Own: true, Usage: "<count> [timeout]",
		Summary: "wait until count messages have arrived in this session",
		Args: []Arg{
			{Name: "count", Desc: "how many messages, counted from the start of the session"},
			{Name: "timeout", Desc: "how long to wait at most, in seconds or with a unit: 5, 5s, 500ms (default 10s)", Optional: true},
		},
		Description: "Waits until this session has shown count messages, so a script can send and then\ncheck what came back. Fails if the timeout passes first.",
		Example:     "subscribe /queue/a\nsend /queue/a ping\nwait 1",
	}
	wait.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) < 1 || len(args) > 2 {
			return wait.expecting()
		}
		n, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil {
			return &UsageError{Msg: fmt.Sprintf("wait: %q is not a count", args[0])}
		}
		timeout := 10 * time.Second
		if len(args) == 2 {
			if timeout, err = parseDuration(args[1]); err != nil || timeout <= 0 {
				return &UsageError{Msg: fmt.Sprintf("wait: %q is not a duration such as 5 or 5s", args[1])}
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
				return &TimeoutError{Msg: fmt.Sprintf("wait: only %d of %d messages arrived within %v", shown, n, timeout)}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}

	sleep := &Spec{
		Name: "sleep", Group: "Scripting", Own: true, Usage: "<duration>", Summary: "pause the script",
		Args:        []Arg{{Name: "duration", Desc: "how long, in seconds or with a unit: 1, 0.5, 500ms, 2s"}},
		Description: "Pauses for a while (messages keep arriving meanwhile).",
		Example:     "sleep 1s",
	}
	sleep.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 1 {
			return sleep.expecting()
		}
		d, err := parseDuration(args[0])
		if err != nil || d < 0 {
			return &UsageError{Msg: fmt.Sprintf("sleep: %q is not a duration such as 1, 0.5 or 500ms", args[0])}
		}
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	echo := &Spec{
		Name: "echo", Group: "Scripting", Own: true, Usage: "[text]", Summary: "print a line",
		Args:        []Arg{{Name: "text", Desc: "what to print", Optional: true}},
		Description: "Prints its arguments, joined by spaces: a script's way to say where it is.",
		Example:     "echo sending the batch",
	}
	echo.Run = func(ctx context.Context, env *Env, args []string) error {
		env.Out.Print(joinWords(args) + "\n")
		return nil
	}
	return []*Spec{wait, sleep, echo}
}
