// Package exitcode is stomp's one table of exit codes and the one function
// that maps an error to its code. Errors carry their kind (errors.As through
// any wrapping), never a message a caller would have to parse; whatever has
// no kind is a runtime failure.
//
// The table is documented once, here: the man page is generated from Table
// and a test checks README.md's table against it.
package exitcode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Kind is a kind of outcome; its value is the process exit code.
type Kind int

// The codes. Unreachable and LoginRefused follow sysexits(3): EX_TEMPFAIL
// (75) says "try again later", which is what a script should do when the
// broker is down or restarting; EX_NOPERM (77) says retrying will not help
// until the credentials change. Both stay clear of the small codes, so a
// script that only checks for non-zero still sees a failure, and of the
// 126-165 range shells use for "not executable" and signals.
const (
	OK           Kind = 0
	Failure      Kind = 1
	Usage        Kind = 2
	Timeout      Kind = 3
	Unreachable  Kind = 75
	LoginRefused Kind = 77
	Interrupted  Kind = 130 // 128 + SIGINT
	Terminated   Kind = 143 // 128 + SIGTERM
)

// Entry documents one code.
type Entry struct {
	Code    Kind
	Name    string // a few words, for lists
	Meaning string // Markdown-ish prose: `code` spans become bold in the man page
}

// Table is every code stomp exits with, what it means, in order. The man
// page prints it; README.md's "Exit codes" table must say the same.
var Table = []Entry{
	{OK, "success", "success: every message sent was confirmed by the broker and the DISCONNECT receipt came; a listener or the shell was stopped by the user (Ctrl-C, SIGTERM, `quit`) or a listener reached `--count`"},
	{Failure, "failure", "a broker or runtime failure: an ERROR frame, the connection was lost and not recovered, a message the broker did not confirm, a message that did not reach its sink (output not written, `--exec` or `reply` gave up), a failed script line"},
	{Usage, "usage error", "a usage error: an unknown flag, command or argument, a bad value, a `--format` template naming a field that does not exist, a feature the broker lacks (`--browse`, `--selector`); in a script too"},
	{Timeout, "timeout", "a timeout: `--timeout` passed before `--count` messages came, a script's `wait` ran out, or `stomp request` got no reply"},
	{Unreachable, "broker unreachable", "the broker is unreachable (connection refused, timed out, name not found, closed during the handshake): try again later"},
	{LoginRefused, "login refused", "the broker refused the login (it answered CONNECT with an ERROR, which is shown): fix the credentials or the vhost before retrying"},
	{Interrupted, "SIGINT", "interrupted with Ctrl-C (SIGINT) before the work was done (a script, `send`, `request`)"},
	{Terminated, "SIGTERM", "stopped with SIGTERM before the work was done"},
}

// Markdown is Table as README.md shows it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| code | meaning |\n|---|---|\n")
	for _, e := range Table {
		fmt.Fprintf(&b, "| %d | %s |\n", e.Code, e.Meaning)
	}
	return b.String()
}

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

// UsageError is a mistake in what the user asked for, not a failure of the
// broker or the network. The session, the shell's commands and the command
// line all use this one type.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Kind says a usage error exits 2.
func (e *UsageError) Kind() Kind { return Usage }

// TimeoutError is something waited for that did not come in time.
type TimeoutError struct{ Msg string }

func (e *TimeoutError) Error() string { return e.Msg }

// Kind says a timeout exits 3.
func (e *TimeoutError) Kind() Kind { return Timeout }

// Kinded is an error type that knows its kind.
type Kinded interface {
	error
	Kind() Kind
}

// Code is the exit code for err: 0 for nil, the kind of the outermost
// error in its chain that has one, else Failure.
func Code(err error) int {
	if err == nil {
		return int(OK)
	}
	var k Kinded
	if errors.As(err, &k) {
		return int(k.Kind())
	}
	return int(Failure)
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
