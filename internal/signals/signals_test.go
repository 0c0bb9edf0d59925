package signals

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// The first signal ends the run's context with its exit code as the
// cause; a second one arrives on Again.
func TestFirstStopsSecondEnds(t *testing.T) {
	ctx, h, release := Handle(context.Background())
	defer release()
	h.handle(syscall.SIGTERM)
	<-ctx.Done()
	var stopped *exitcode.Stopped
	if !errors.As(context.Cause(ctx), &stopped) || stopped.Signal != syscall.SIGTERM {
		t.Fatalf("cause %v, want SIGTERM's Stopped", context.Cause(ctx))
	}
	if code := exitcode.Code(exitcode.StoppedBy(ctx)); code != 143 {
		t.Errorf("exit code %d, want 143", code)
	}
	h.handle(os.Interrupt)
	select {
	case err := <-h.Again():
		if code := exitcode.Code(err); code != 130 {
			t.Errorf("second signal's exit code %d, want 130", code)
		}
	default:
		t.Fatal("the second signal did not arrive on Again")
	}
}

// In the shell, Ctrl-C ends the commands running, not the run; SIGTERM
// still ends the run.
func TestShellCtrlCStopsTheCommand(t *testing.T) {
	ctx, h, release := Handle(context.Background())
	defer release()
	h.ForShell()
	cmdCtx, done := h.CommandContext(ctx)
	h.handle(os.Interrupt)
	<-cmdCtx.Done()
	if ctx.Err() != nil {
		t.Fatal("Ctrl-C in the shell ended the run")
	}
	done()
	next, done2 := h.CommandContext(ctx)
	defer done2()
	h.handle(syscall.SIGTERM)
	<-ctx.Done()
	<-next.Done()
}
