package commands

import (
	"strings"
	"testing"
)

// TestWaitHelpSaysArrived: wait counts messages that arrived, written out
// or not (Env.written), so its help must not say it counts those shown.
func TestWaitHelpSaysArrived(t *testing.T) {
	help, err := Commands().Help("wait")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(help, "shown") {
		t.Errorf("help wait says shown:\n%s", help)
	}
	for _, want := range []string{"count messages have arrived", "could not be written counts as arrived"} {
		if !strings.Contains(help, want) {
			t.Errorf("help wait lacks %q:\n%s", want, help)
		}
	}
}
