package cmd_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// A script stopped by a signal before it was done exits 128+signal: 130
// for Ctrl-C (SIGINT), 143 for SIGTERM, as the exit code table says.
func TestScriptStoppedBySignal(t *testing.T) {
	bin := plainStomp(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "slow.txt")
	if err := os.WriteFile(script, []byte("echo started\nsleep 60s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "--embedded", "-F", script)
			out := testbin.StartAndWaitFor(t, cmd, "started")
			_ = cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.want {
				t.Errorf("exit %v after %v, want %d\n%s", err, c.sig, c.want, out)
			}
		})
	}
}

// A second signal, while the first one's clean stop waits on a broker that
// never confirms the DISCONNECT, ends the run at once with that signal's
// exit code (the first alone would have exited 0: a listener stopped by the
// user).
func TestSecondSignalEndsAtOnce(t *testing.T) {
	disconnecting := make(chan struct{}, 1)
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return "CONNECTED\nversion:1.2\nserver:fake/1\n\n\x00", false
		case frame.DISCONNECT:
			disconnecting <- struct{}{}
			return "", false // the receipt never comes
		}
		return testbroker.Receipt(f), false
	})
	bin := plainStomp(t)
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "-H", b.Host, "-P", b.Port, "--receipt-timeout", "1m", "-L", "/queue/a")
			out := testbin.StartAndWaitFor(t, cmd, "Subscribing to")
			_ = cmd.Process.Signal(c.sig)
			select {
			case <-disconnecting:
			case <-time.After(20 * time.Second):
				t.Fatalf("no DISCONNECT after %v:\n%s", c.sig, out)
			}
			_ = cmd.Process.Signal(c.sig)
			start := time.Now()
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.want {
				t.Errorf("exit %v after a second %v, want %d\n%s", err, c.sig, c.want, out)
			}
			if waited := time.Since(start); waited > 30*time.Second {
				t.Errorf("the second %v took %v to end the run: it waited for the receipt", c.sig, waited)
			}
		})
	}
}
