package cmd

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// reconnectFlags say what to do when the connection is lost. Persistent:
// every mode reconnects unless told not to.
type reconnectFlags struct {
	enabled  bool
	initial  time.Duration
	max      time.Duration
	attempts attemptsValue
}

func (r *reconnectFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&r.enabled, "reconnect", true, "reconnect after a lost connection, resubscribing (--reconnect=false to exit instead)")
	fs.DurationVar(&r.initial, "reconnect-delay", 100*time.Millisecond, "first wait before reconnecting; doubles each attempt")
	fs.DurationVar(&r.max, "reconnect-max-delay", 30*time.Second, "longest wait between reconnect attempts")
	fs.Var(&r.attempts, "reconnect-attempts", "give up after `N` failed attempts; 0 = retry forever (default: forever for listeners and the shell, 3 otherwise)")
}

// attemptsValue is --reconnect-attempts: an int whose default depends on
// the mode, so "not given" is its own state rather than a reserved number
// (a reserved -1 once let "--reconnect-attempts -1" through silently). Its
// help states the default itself; String is empty until given, which keeps
// pflag from adding a second "(default ...)".
type attemptsValue struct {
	n     int
	given bool
}

func (a *attemptsValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*a = attemptsValue{n: n, given: true}
	return nil
}

func (a *attemptsValue) String() string {
	if !a.given {
		return ""
	}
	return strconv.Itoa(a.n)
}

func (a *attemptsValue) Type() string { return "int" }

func (r *reconnectFlags) validate() error {
	if r.initial <= 0 || r.max <= 0 || r.max < r.initial {
		return exitcode.Usagef("--reconnect-delay and --reconnect-max-delay must be positive, the maximum at least the first")
	}
	if r.attempts.n < 0 {
		return exitcode.Usagef("--reconnect-attempts must be 0 (retry forever) or more, not %d", r.attempts.n)
	}
	return nil
}

// backoff is the policy for a mode; nil when reconnecting is off.
func (r *reconnectFlags) backoff(staysUp bool) *session.Backoff {
	if !r.enabled {
		return nil
	}
	// Not given: listeners and the shell retry until stopped, other modes
	// 3 times, as stomp.py's library does.
	attempts := r.attempts.n
	if !r.attempts.given {
		attempts = 3
		if staysUp {
			attempts = 0
		}
	}
	return &session.Backoff{Initial: r.initial, Max: r.max, Attempts: attempts}
}
