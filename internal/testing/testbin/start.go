package testbin

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartAndWaitFor starts cmd with its standard output and error going to
// one Buffer, which it returns, and waits until that shows marker (a
// script's first line, a listener's "Subscribing to"): the process is past
// its start then, ready for what the test does to it. The test fails if
// cmd does not start or marker has not come within 20 seconds. If the test
// ends without having waited for the process, the process is killed.
func StartAndWaitFor(t testing.TB, cmd *exec.Cmd, marker string) *Buffer {
	t.Helper()
	out := &Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not waited for: the test failed half way
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), marker) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within 20s:\n%s", filepath.Base(cmd.Path), marker, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return out
}
