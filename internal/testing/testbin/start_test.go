package testbin

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStartAndWaitFor: it returns once the marker is out, with what the
// process printed so far, and a process the test did not wait for is
// killed (and reaped) when the test ends.
func TestStartAndWaitFor(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo starting; echo ready >&2; exec sleep 60")
	t.Run("start", func(t *testing.T) {
		out := StartAndWaitFor(t, cmd, "ready")
		if s := out.String(); !strings.Contains(s, "starting\n") {
			t.Errorf("output %q lacks what came before the marker", s)
		}
	})
	if cmd.ProcessState == nil || cmd.ProcessState.Success() {
		t.Errorf("the process was not killed when the test ended: %v", cmd.ProcessState)
	}
}
