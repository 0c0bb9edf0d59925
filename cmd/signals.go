package cmd

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// signalStop is the cause of a context ended by SIGINT or SIGTERM: it
// carries the exit code that signal gets (130 or 143).
type signalStop struct{ sig os.Signal }

func (e *signalStop) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

func (e *signalStop) Kind() exitcode.Kind {
	if e.sig == syscall.SIGTERM {
		return exitcode.Terminated
	}
	return exitcode.Interrupted
}

// stopOnSignal is signal.NotifyContext for SIGINT and SIGTERM, with a
// cause (see stoppedBy) that says which one came.
func stopOnSignal(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			cancel(&signalStop{sig: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel(context.Canceled)
	}
}

// stoppedBy is the signal that ended ctx, as an error with its exit code,
// or nil when no signal did.
func stoppedBy(ctx context.Context) error {
	var s *signalStop
	if errors.As(context.Cause(ctx), &s) {
		return s
	}
	return nil
}

// exitOnSecondSignal makes a second Ctrl-C or SIGTERM, while we wait for
// the broker to confirm the disconnect, exit at once.
func exitOnSecondSignal() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		os.Exit(exitcode.Code(&signalStop{sig: s}))
	}()
}
