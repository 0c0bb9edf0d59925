package cmd_test

// The delivery ledger against a scripted hostile broker: a run exits 0
// only when the broker confirmed every message it sent, and the messages
// a lost connection left unconfirmed are sent again after the reconnect.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// hostileEnv points stomp at h, with quick reconnects.
func hostileEnv(h *testbroker.Hostile) []string {
	tg := h.Target()
	return []string{"STOMP_HOST=" + tg.Host, "STOMP_PORT=" + tg.Port}
}

var quickReconnect = []string{"--reconnect-delay", "10ms", "--reconnect-max-delay", "50ms"}

// resetAtDisconnect is a broker that resets the connection instead of
// answering DISCONNECT, and answers the other receipts if confirm is set.
func resetAtDisconnect(confirm bool) func(c *testbroker.HostileConn) {
	return func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		c.Serve(func(f *frame.Frame) bool {
			if f.Command == frame.DISCONNECT {
				c.Reset()
				return true
			}
			return !confirm // unconfirmed: no receipt
		})
	}
}

// readSends reads frames until n SENDs came; false if the client left first.
func readSends(c *testbroker.HostileConn, n int) bool {
	for seen := 0; seen < n; {
		f, err := c.Read()
		if err != nil {
			return false
		}
		if f.Command == frame.SEND {
			seen++
		}
	}
	return true
}

// bodiesOn lists the bodies the broker read on connection n.
func bodiesOn(h *testbroker.Hostile, n int) []string {
	var out []string
	for _, s := range h.Sends() {
		if s.Conn == n {
			out = append(out, s.Body)
		}
	}
	return out
}

var sentAgainRE = regexp.MustCompile(`sent again the (\d+) message\(s\) the broker had not confirmed \(at-least-once`)

// sentAgain is the count the run reported sending again (0: no such line).
func sentAgain(t *testing.T, r secResult) int {
	t.Helper()
	m := sentAgainRE.FindAllStringSubmatch(r.stderr, -1)
	if len(m) > 1 {
		t.Fatalf("more than one reconnect:\n%v", r)
	}
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[0][1])
	return n
}

// A script's five SENDs reach the broker, which drops the connection
// without confirming any: the run reconnects, sends all five again, in
// order, says so, and exits 0 once the new connection confirmed them.
func TestLedgerScriptResendsAfterDrop(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		if c.N == 1 {
			if readSends(c, 5) {
				c.Reset()
			}
			return
		}
		c.Serve(nil)
	})
	dir := t.TempDir()
	var script strings.Builder
	var want []string
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&script, "send /queue/a m%d\n", i)
		want = append(want, fmt.Sprintf("m%d", i))
	}
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runStomp(t, dir, hostileEnv(h), "", append([]string{"-F", "s.txt"}, quickReconnect...)...)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%v", r.code, r)
	}
	if n := sentAgain(t, r); n != 5 {
		t.Fatalf("reported %d sent again, want 5\n%v", n, r)
	}
	if got := bodiesOn(h, 1); !equal(got, want) {
		t.Fatalf("first connection got %q, want %q", got, want)
	}
	if got := bodiesOn(h, 2); !equal(got, want) {
		t.Fatalf("second connection got %q, want all five again, in order: %q", got, want)
	}
}

// send --lines: the broker confirms for a while, then drops the
// connection in mid-stream. Every line reaches the broker, the new
// connection starts with exactly the messages the first one left
// unconfirmed, in order, and the count reported is right.
func TestLedgerLinesResendAfterDropMidStream(t *testing.T) {
	const total, dropAfter = 3000, 1000
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		if c.N > 1 {
			c.Serve(nil)
			return
		}
		seen := 0
		c.Serve(func(f *frame.Frame) bool {
			if f.Command != frame.SEND {
				return false
			}
			if seen++; seen == dropAfter {
				_ = c.Receipt(f)
				c.Reset()
				return true
			}
			return false
		})
	})
	var in strings.Builder
	var lines []string
	for i := 1; i <= total; i++ {
		lines = append(lines, "line "+strconv.Itoa(i))
		in.WriteString(lines[i-1] + "\n")
	}
	r := runStomp(t, t.TempDir(), hostileEnv(h), in.String(), append([]string{"send", "/queue/a", "--lines"}, quickReconnect...)...)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%v", r.code, r)
	}
	first, second := bodiesOn(h, 1), bodiesOn(h, 2)
	if len(first) < dropAfter || !equal(first, lines[:len(first)]) {
		t.Fatalf("first connection got %d messages, not the first %d lines in order", len(first), dropAfter)
	}
	// The second connection carries everything from the first message
	// the first one did not confirm, to the end.
	from := total - len(second)
	if from < 0 || from >= len(first) || !equal(second, lines[from:]) {
		t.Fatalf("second connection got %d messages, not a tail of the input picking up within the first connection's %d", len(second), len(first))
	}
	resent := sentAgain(t, r)
	if resent < len(first)-from || resent > len(second) {
		t.Fatalf("reported %d sent again; the first connection left %d or more unconfirmed\n%v", resent, len(first)-from, r)
	}
}

// The broker never confirms the SEND and resets the connection when the
// DISCONNECT comes (if it ever does): the run fails with one line that
// counts the unconfirmed message, within about --receipt-timeout.
func TestLedgerUnconfirmedSendFails(t *testing.T) {
	for name, script := range map[string]func(c *testbroker.HostileConn){
		"silent, reset at DISCONNECT": resetAtDisconnect(false),
		"reset after every SEND": func(c *testbroker.HostileConn) {
			_ = c.Connected("1.2")
			if readSends(c, 1) {
				c.Reset()
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := testbroker.StartHostile(t, script)
			start := time.Now()
			r := runStomp(t, t.TempDir(), hostileEnv(h), "",
				append([]string{"send", "/queue/a", "hello", "--receipt-timeout", "1s"}, quickReconnect...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%v", r.code, r)
			}
			last := lastLine(r.stderr)
			if !strings.HasPrefix(last, "stomp: 1 message was sent but not confirmed by the broker") {
				t.Fatalf("last line %q does not say the message is unconfirmed\n%v", last, r)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
			if len(h.Sends()) == 0 {
				t.Fatal("the broker never saw the SEND")
			}
		})
	}
}

// Confirmed by the SEND's receipt, a message is safe even when the broker
// then resets the connection instead of answering DISCONNECT.
func TestLedgerConfirmedSendSurvivesResetAtDisconnect(t *testing.T) {
	h := testbroker.StartHostile(t, resetAtDisconnect(true))
	r := runStomp(t, t.TempDir(), hostileEnv(h), "", "send", "/queue/a", "hello")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%v", r.code, r)
	}
}

// A CONNECTED frame with a version we never offered is refused: one line,
// exit 1.
func TestConnectedWithUnofferedVersion(t *testing.T) {
	for _, tc := range []struct {
		answer string
		args   []string
	}{
		{"9.9", nil},
		{"1.2", []string{"-S", "1.1"}},
		{"1.0", []string{"-S", "1.2"}},
	} {
		t.Run(tc.answer+strings.Join(tc.args, ""), func(t *testing.T) {
			h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
				_ = c.Connected(tc.answer)
				c.Serve(nil)
			})
			r := runStomp(t, t.TempDir(), hostileEnv(h), "", append(tc.args, "send", "/queue/a", "hello")...)
			wantRun(t, r, 1, `^stomp: .*answered CONNECT with STOMP version "`+regexp.QuoteMeta(tc.answer)+`", which was not offered \(offered `)
			if len(h.Sends()) != 0 {
				t.Fatalf("sent on a connection it should have refused: %v", h.Sends())
			}
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
