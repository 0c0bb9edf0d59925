package ptytest

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The shell left while messages flow to its client-individual subscription
// (quit, Ctrl-D, or SIGHUP: the terminal went away) exits 0 and keeps the
// delivery promises: the message the user acked is gone, and every other
// one, shown and not acked or still on its way, is back on the queue, once.
func TestShellLeftWhileMessagesFlow(t *testing.T) {
	for _, c := range []struct {
		name  string
		leave func(tm *Term)
	}{
		{"quit", func(tm *Term) { tm.Line("quit") }},
		{"Ctrl-D", func(tm *Term) { tm.Keys("C-d") }},
		{"SIGHUP", func(tm *Term) { tm.hangUp() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := startBroker(t)
			const first, total = 500, 5000
			dest := "/queue/shell-left"
			send := func(from, to int, more ...string) *exec.Cmd {
				var lines strings.Builder
				for i := from; i <= to; i++ {
					fmt.Fprintf(&lines, "%d\n", i)
				}
				cmd := exec.Command(stompBin, append(append(slices.Clone(conn), "send", dest, "--lines"), more...)...)
				cmd.Stdin = strings.NewReader(lines.String())
				return cmd
			}
			if out, err := send(1, first).CombinedOutput(); err != nil {
				t.Fatalf("send: %v\n%s", err, out)
			}
			tm := Start(t, NewEnv(t), conn...)
			tm.WaitPrompt("")
			tm.Line("subscribe " + dest + " client-individual")
			tm.Wait("500 messages awaiting an ack", func(s []string) bool { return unacked(s) == first })
			tm.Line("ack 1")
			tm.Wait("499 messages awaiting an ack", func(s []string) bool { return unacked(s) == first-1 })

			// More flow in (paced, so some are still on their way when the
			// shell leaves); it leaves once they are arriving.
			producer := send(first+1, total, "--rate", "2000")
			if err := producer.Start(); err != nil {
				t.Fatal(err)
			}
			tm.Wait("more messages arriving", func(s []string) bool { return unacked(s) > first+100 })
			c.leave(tm)
			if code := tm.Exited(); code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, tm.Dump())
			}
			if err := producer.Wait(); err != nil {
				t.Fatalf("producer: %v", err)
			}
			if all := tm.All(); strings.Contains(all, "canceled") || strings.Contains(all, "not confirmed") {
				t.Errorf("an error on leaving:\n%s", all)
			}

			left := strings.Fields(string(runStomp(t, append(slices.Clone(conn), "listen", dest, "--timeout", "1s", "--format", "raw")...)))
			seen := map[string]bool{}
			for _, body := range left {
				if seen[body] {
					t.Errorf("message %s is on the queue twice", body)
				}
				seen[body] = true
			}
			if seen["1"] || len(seen) != total-1 {
				t.Errorf("%d message(s) on the queue (message 1, acked, among them: %v), want the %d not acked", len(seen), seen["1"], total-1)
			}
		})
	}
}

var unackedRE = regexp.MustCompile(`unacked:(\d+)> *$`)

// unacked is the count of messages awaiting an ack in the last prompt on
// the screen, -1 when there is none.
func unacked(screen []string) int {
	for i := len(screen) - 1; i >= 0; i-- {
		if m := unackedRE.FindStringSubmatch(screen[i]); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return -1
}

// hangUp sends SIGHUP to stomp, as a terminal that went away does.
func (tm *Term) hangUp() {
	tm.t.Helper()
	sh := strings.TrimSpace(tm.tmux("display-message", "-p", "#{pane_pid}"))
	out, err := exec.Command("pgrep", "-P", sh).Output() // the pane runs sh, which runs stomp
	pid, aerr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || aerr != nil {
		tm.t.Fatalf("stomp's pid under %s: %v %v %q", sh, err, aerr, out)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		tm.t.Fatal(err)
	}
}
