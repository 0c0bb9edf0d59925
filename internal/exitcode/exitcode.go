// Package exitcode holds the kinds of error every layer of stomp returns
// (a usage error, a timeout, not connected, an unreachable broker, a
// refused login, an unconfirmed delivery, a stop by signal) and the one
// table that maps each kind to the process's exit code. Errors carry their
// kind (errors.As through any wrapping), never a message a caller would
// have to parse; whatever has no kind is a runtime failure. An error may
// also say it was already shown to the user (Shown), so it is not printed
// twice. Report is where an error becomes the process's exit code and its
// one line on standard error.
//
// The table is documented once, here: the man page is generated from Table
// and a test checks README.md's table against it.
package exitcode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
)

// Kind is what went wrong, as a script needs to know it; Table says which
// exit code each kind gets. (A word, not a number: a kind is not its code.)
type Kind string

// The kinds.
const (
	// Failure is a broker or runtime failure: what has no other kind.
	Failure Kind = "failure"
	// Usage is a mistake in what the user asked for, not a failure of the
	// broker or the network.
	Usage Kind = "usage"
	// Timeout is something waited for (messages, replies) that did not
	// come in time.
	Timeout Kind = "timeout"
	// NotConnected is a command that needs the connection while there is
	// none.
	NotConnected Kind = "not connected"
	// Unreachable is a broker that could not be reached: try again later.
	Unreachable Kind = "unreachable"
	// LoginRefused is a broker that refused the login: retrying will not
	// help until the credentials change.
	LoginRefused Kind = "login refused"
	// Unconfirmed is messages sent that the broker did not confirm: they
	// may or may not have arrived.
	Unconfirmed Kind = "unconfirmed"
	// Interrupted is a run stopped by SIGINT (Ctrl-C) before it was done.
	Interrupted Kind = "interrupted"
	// Terminated is a run stopped by SIGTERM before it was done.
	Terminated Kind = "terminated"
)

// Entry documents one exit code and the kinds that get it.
type Entry struct {
	Code    int
	Kinds   []Kind
	Name    string // a few words, for lists
	Meaning string // Markdown-ish prose: `code` spans become bold in the man page
}

// Table is every code stomp exits with, the kinds of error that get it and
// what it means, in order: the one mapping of kinds to codes (see Code).
// The man page prints it; README.md's "Exit codes" table must say the same.
//
// Unreachable and LoginRefused follow sysexits(3): EX_TEMPFAIL (75) says
// "try again later", which is what a script should do when the broker is
// down or restarting; EX_NOPERM (77) says retrying will not help until the
// credentials change. Both stay clear of the small codes, so a script that
// only checks for non-zero still sees a failure, and of the 126-165 range
// shells use for "not executable" and signals.
var Table = []Entry{
	{0, nil, "success", "success: every message sent was confirmed by the broker and the DISCONNECT receipt came; a listener or the shell was stopped by the user (Ctrl-C, SIGTERM, `quit`) or a listener reached `--count`"},
	{1, []Kind{Failure, NotConnected, Unconfirmed}, "failure", "a broker or runtime failure: an ERROR frame, the connection was lost and not recovered, a message the broker did not confirm, a message that did not reach its sink (output not written, `--exec` or `reply` gave up), a failed script line"},
	{2, []Kind{Usage}, "usage error", "a usage error: an unknown flag, command or argument, a bad value, a `--format` template naming a field that does not exist, a feature the broker lacks (`--browse`, `--selector`); in a script too"},
	{3, []Kind{Timeout}, "timeout", "a timeout: `--timeout` passed before `--count` messages came, a script's `wait` ran out, or `stomp request` got no reply"},
	{75, []Kind{Unreachable}, "broker unreachable", "the broker is unreachable (connection refused, timed out, name not found, closed during the handshake): try again later"},
	{77, []Kind{LoginRefused}, "login refused", "the broker refused the login (it answered CONNECT with an ERROR, which is shown): fix the credentials or the vhost before retrying"},
	{130, []Kind{Interrupted}, "SIGINT", "interrupted with Ctrl-C (SIGINT) before the work was done (a script, `send`, `request`)"},
	{141, nil, "SIGPIPE", "standard output was closed by its reader (a listener piped into `head -1`): stomp ends at its next write, killed by SIGPIPE as Unix tools are; what was not written is not acked and stays on the queue"},
	{143, []Kind{Terminated}, "SIGTERM", "stopped with SIGTERM before the work was done"},
}

// Code is the exit code for err: 0 for nil, else Table's code for the kind
// of the outermost error in its chain that has one (Failure's when none
// has). It is the one place a kind becomes a code.
func Code(err error) int {
	if err == nil {
		return 0
	}
	k := KindOf(err)
	for _, e := range Table {
		if slices.Contains(e.Kinds, k) {
			return e.Code
		}
	}
	return 1 // a kind Table forgot (TestEveryKindHasOneCode) is a failure
}

// KindOf is the kind of the outermost error in err's chain that has one,
// Failure when none has.
func KindOf(err error) Kind {
	var k Kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	return Failure
}

// Is says whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Error gives an error a kind.
type Error struct {
	kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Kind is the kind Wrap or New gave it.
func (e *Error) Kind() Kind { return e.kind }

// Wrap gives err the kind k; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{kind: k, Err: err}
}

// New is an error of kind k with a formatted message.
func New(k Kind, format string, args ...any) error {
	return &Error{kind: k, Err: fmt.Errorf(format, args...)}
}

// Usagef is a usage error with a formatted message.
func Usagef(format string, args ...any) error { return New(Usage, format, args...) }

// Timeoutf is a timeout with a formatted message.
func Timeoutf(format string, args ...any) error { return New(Timeout, format, args...) }

// Kinded is an error type that knows its kind.
type Kinded interface {
	error
	Kind() Kind
}

// Stopped is the cause of a run's context ended by a signal: it carries
// the exit code that signal gets (130 for SIGINT, 143 for SIGTERM; a hang-up
// counts as SIGTERM, the table has no code of its own for it).
type Stopped struct{ Signal os.Signal }

func (e *Stopped) Error() string {
	if e.Signal == os.Interrupt {
		return "interrupted"
	}
	return "terminated"
}

// Kind says which code the signal gets.
func (e *Stopped) Kind() Kind {
	if e.Signal == os.Interrupt {
		return Interrupted
	}
	return Terminated
}

// StoppedBy is the signal that ended ctx, as an error with its exit code,
// or nil when no signal did.
func StoppedBy(ctx context.Context) error {
	var s *Stopped
	if errors.As(context.Cause(ctx), &s) {
		return s
	}
	return nil
}

// Shown marks err as already shown to the user (an ERROR frame printed as
// it came): it keeps its kind, and is not printed again. nil stays nil.
func Shown(err error) error {
	if err == nil {
		return nil
	}
	return &shown{err}
}

// IsShown says whether err was already shown to the user.
func IsShown(err error) bool { return errors.As(err, new(*shown)) }

type shown struct{ err error }

func (e *shown) Error() string { return e.err.Error() }
func (e *shown) Unwrap() error { return e.err }
