// Package signals is a run's one handler of SIGINT, SIGTERM and (in the
// interactive shell) SIGHUP: the first signal ends the run's context with
// a cause that carries its exit code, a second one ends the run at once,
// and in the shell Ctrl-C stops the command running, not the shell.
package signals

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// Handler is a run's one handler of SIGINT and SIGTERM (and SIGHUP while
// the shell is open). The first signal ends the run's context, with an
// exitcode.Stopped cause that says which signal came: every command winds
// down from there (unsubscribes, waits for the DISCONNECT receipt). A
// second signal ends the run at once: it arrives on Again, and the caller
// returns its exit code without waiting for the command.
//
// In the shell (see ForShell), Ctrl-C stops the command running instead of
// the run: the shell goes on.
type Handler struct {
	ch    chan os.Signal
	stop  context.CancelCauseFunc
	again chan error // the signal that came after the run was stopped
	quit  chan struct{}

	mu       sync.Mutex
	stopped  bool
	shell    bool                         // SIGINT stops commands only (see ForShell)
	commands map[*context.CancelFunc]bool // the shell commands running (a `run` nests them)
}

// Handle starts handling SIGINT and SIGTERM for a run whose context is
// ctx; release stops it.
func Handle(parent context.Context) (ctx context.Context, s *Handler, release func()) {
	ctx, stop := context.WithCancelCause(parent)
	s = &Handler{ch: make(chan os.Signal, 1), stop: stop, again: make(chan error, 1), quit: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go s.loop()
	var once sync.Once
	return ctx, s, func() {
		once.Do(func() {
			signal.Stop(s.ch)
			close(s.quit)
			stop(context.Canceled)
		})
	}
}

// Again delivers a signal that came after the run was stopped, as an
// error with its exit code: the run should end at once.
func (s *Handler) Again() <-chan error { return s.again }

func (s *Handler) loop() {
	for {
		select {
		case sig := <-s.ch:
			s.handle(sig)
		case <-s.quit:
			return
		}
	}
}

func (s *Handler) handle(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		select {
		case s.again <- &exitcode.Stopped{Signal: sig}:
		default:
		}
	case sig == os.Interrupt && s.shell:
		for cancel := range s.commands {
			(*cancel)()
		}
	default:
		s.stopped = true
		s.stop(&exitcode.Stopped{Signal: sig})
	}
}

// ForShell sets the signals up for the interactive shell: Ctrl-C stops
// the command running (see CommandContext), if any, never the shell; SIGHUP
// (the terminal went away) stops the run as SIGTERM does, and the shell
// then leaves as `quit` does.
func (s *Handler) ForShell() {
	s.mu.Lock()
	s.shell = true
	s.mu.Unlock()
	signal.Notify(s.ch, syscall.SIGHUP)
}

// CommandContext is the context of one shell command: until cancel is
// called, Ctrl-C ends this command, not the run.
func (s *Handler) CommandContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	s.mu.Lock()
	if s.commands == nil {
		s.commands = map[*context.CancelFunc]bool{}
	}
	s.commands[&cancel] = true
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.commands, &cancel)
		s.mu.Unlock()
		cancel()
	}
}
