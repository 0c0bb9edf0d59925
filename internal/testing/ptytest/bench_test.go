package ptytest

import (
	"strings"
	"testing"
)

// TestBenchLiveLine: on a terminal, stomp bench shows a live line on
// standard error with the last second's rates and p99, and erases it at
// the end, leaving the summary. (Off a terminal there is none: see
// cmd/testdata/script/bench.txtar.)
func TestBenchLiveLine(t *testing.T) {
	conn := startBroker(t)
	tm := Start(t, NewEnv(t), append(append([]string{}, conn...), "bench", "--rate", "200", "--duration", "4s", "--destination", "/queue/live")...)
	tm.Wait("a live line with rates and p99", func(screen []string) bool {
		for _, l := range screen {
			if strings.HasPrefix(l, "stomp bench ") && strings.Contains(l, "msg/s out, ") && strings.Contains(l, " p99 ") {
				return true
			}
		}
		return false
	})
	if code := tm.Exited(); code != 0 {
		t.Fatalf("stomp bench exited %d:\n%s", code, tm.Dump())
	}
	all := tm.All()
	if !strings.Contains(all, "lost 0, duplicated 0") {
		t.Errorf("no summary:\n%s", all)
	}
	if strings.Contains(all, "msg/s out, ") {
		t.Errorf("the live line was left on the screen:\n%s", all)
	}
}
