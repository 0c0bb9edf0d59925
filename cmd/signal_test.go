package cmd_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
)

// A script stopped by a signal before it was done exits 128+signal: 130
// for Ctrl-C (SIGINT), 143 for SIGTERM, as the exit code table says.
func TestScriptStoppedBySignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin, err := testbin.Build(dir, false)
	if err != nil {
		t.Fatal(err)
	}
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
			out := &testbin.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(out.String(), "started") {
				if time.Now().After(deadline) {
					t.Fatalf("the script did not start:\n%s", out)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.want {
				t.Errorf("exit %v after %v, want %d\n%s", err, c.sig, c.want, out)
			}
		})
	}
}
