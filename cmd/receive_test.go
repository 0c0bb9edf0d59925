package cmd_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// A MESSAGE for a subscription id we never made is reported in one line,
// not shown and not counted toward --count.
func TestMessageForUnknownSubscription(t *testing.T) {
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return "CONNECTED\nversion:1.2\nserver:fake/1\n\n\x00", false
		case frame.SUBSCRIBE:
			return testbroker.Receipt(f) +
				"MESSAGE\nsubscription:99\nmessage-id:stray-1\ndestination:/queue/a\n\nnot ours\x00" +
				"MESSAGE\nsubscription:" + f.Header.Get(frame.Id) + "\nmessage-id:m-1\ndestination:/queue/a\n\nours\x00", false
		}
		return testbroker.Receipt(f), f.Command == frame.DISCONNECT
	})
	r := runStomp(t, t.TempDir(), nil, "", "-H", b.Host, "-P", b.Port, "--reconnect=false", "listen", "/queue/a", "--count", "1", "--format", "raw")
	wantRun(t, r, 0, `ignored message stray-1: it came for subscription 99, which we do not have`)
	if r.stdout != "ours\n" {
		t.Errorf("stdout %q, want only the message of our subscription", r.stdout)
	}
}

// A broker may push a queue's messages before it confirms the SUBSCRIBE
// (RabbitMQ did, 101 of them): -L still prints stomp.py's "Subscribing to"
// line first, which parsers of its output rely on, and each message in
// stomp.py's layout, a redelivery too. The broker here holds the receipt
// back until the messages had time to be printed.
func TestListenSubscribingLineComesFirst(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		c.Serve(func(f *frame.Frame) bool {
			if f.Command != frame.SUBSCRIBE {
				return false
			}
			for i := 1; i <= 3; i++ {
				_ = c.Write(frame.New(frame.MESSAGE, frame.Subscription, f.Header.Get(frame.Id), frame.MessageId, fmt.Sprintf("m-%d", i),
					frame.Destination, "/queue/a", "redelivered", "true"))
			}
			time.Sleep(300 * time.Millisecond)
			_ = c.Receipt(f)
			return true
		})
	})
	r := runStomp(t, t.TempDir(), hostileEnv(h), "", "--reconnect=false", "-L", "/queue/a", "--count", "3", "--ack", "auto")
	wantRun(t, r, 0, "")
	want := "Subscribing to '/queue/a' with acknowledge set to 'auto', id set to '1'\n" +
		"\nmessage-id: m-1\nsubscription: 1\n\n" +
		"\nmessage-id: m-2\nsubscription: 1\n\n" +
		"\nmessage-id: m-3\nsubscription: 1\n\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}

// Ctrl-C while a listener waits for its SUBSCRIBE receipt (the
// "Subscribing to" line is already out) stops it as the user asked:
// exit 0, not "context canceled".
func TestListenInterruptedWhileSubscribing(t *testing.T) {
	subscribed := make(chan struct{}, 1)
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return "CONNECTED\nversion:1.2\nserver:fake/1\n\n\x00", false
		case frame.SUBSCRIBE:
			subscribed <- struct{}{}
			return "", false // the receipt never comes
		}
		return testbroker.Receipt(f), f.Command == frame.DISCONNECT
	})
	bin := plainStomp(t)
	c := exec.Command(bin, "-H", b.Host, "-P", b.Port, "--receipt-timeout", "1m", "-L", "/queue/a")
	out := &testbin.Buffer{}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-subscribed:
	case <-time.After(20 * time.Second):
		t.Fatalf("no SUBSCRIBE came:\n%s", out)
	}
	_ = c.Process.Signal(os.Interrupt)
	if err := c.Wait(); err != nil {
		t.Errorf("interrupted while subscribing: %v, want exit 0\n%s", err, out)
	}
	if !strings.HasPrefix(out.String(), "Subscribing to '/queue/a'") {
		t.Errorf("output %q, want the Subscribing line first", out)
	}
}

// -L against a broker that drops the first connection and then refuses
// every resubscribe with an ERROR: each is a failed attempt, the listener
// keeps trying (with a growing back-off, so a handful of connections, not
// dozens) until it is stopped, and SIGTERM ends it with exit 0.
func TestListenerSurvivesRefusedResubscribe(t *testing.T) {
	var subscribes atomic.Int32
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return "CONNECTED\nversion:1.2\nserver:fake/1\n\n\x00", false
		case frame.SUBSCRIBE:
			if subscribes.Add(1) == 1 {
				return testbroker.Receipt(f), true // confirmed, then the connection drops
			}
			return "ERROR\nmessage:no such destination\n\n\x00", true
		}
		return testbroker.Receipt(f), f.Command == frame.DISCONNECT
	})
	cmd := exec.Command("stomp", "-H", b.Host, "-P", b.Port, "--reconnect-delay", "50ms", "-L", "/queue/a")
	out := &testbin.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("the listener ended by itself (%v):\n%s", err, out)
	case <-time.After(3 * time.Second):
	}
	if n := subscribes.Load(); n < 3 || n > 12 {
		t.Errorf("%d SUBSCRIBEs in 3s with --reconnect-delay 50ms: want a few (a growing back-off)\n%s", n, out)
	}
	if !strings.Contains(out.String(), "reconnect attempt 2 failed: resubscribing to /queue/a: ") {
		t.Errorf("no failed resubscribe reported:\n%s", out)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Errorf("exit %v after SIGTERM, want 0\n%s", err, out)
	}
}

// TestRefusalQuotingServerShownVisibly: --browse on a broker that would
// consume instead is refused in a line naming the broker by its server
// header, the network's bytes: its control characters show visibly.
func TestRefusalQuotingServerShownVisibly(t *testing.T) {
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		if f.Command == frame.CONNECT || f.Command == frame.STOMP {
			return "CONNECTED\nversion:1.2\nserver:evil\x1b]0;pwned\x07/1\n\n\x00", false
		}
		return testbroker.Receipt(f), f.Command == frame.DISCONNECT
	})
	r := runStomp(t, t.TempDir(), nil, "", "-H", b.Host, "-P", b.Port, "listen", "/queue/a", "--browse")
	wantRun(t, r, 2, `^stomp: --browse is not supported by evil\^\[\]0;pwned\^G/1: `)
}

// A listener stopped (SIGTERM, Ctrl-C) while a queue floods in exits 0,
// shows nothing after the signal is handled and acks every message it
// showed: the queue keeps exactly the messages it did not show. Before, an
// ack queued after the signal could fail on the run's cancelled context,
// so a message shown came back, and that failure could make the exit 143
// (CI: TestFreezeDuringListenRabbitMQ); messages shown while the
// DISCONNECT was going out were not acked at all. Each mode acks its own
// way: one ack per message, stomp.py's -L (client), and --count's batches
// of 100.
func TestListenerStoppedMidFloodAcksWhatItShowed(t *testing.T) {
	rig := newStopRig(t)
	const total = 100000
	for _, c := range []struct {
		name string
		sig  os.Signal
		args []string
	}{
		{"client-individual", syscall.SIGTERM, []string{"listen", "--ack", "client-individual", "--format", "raw"}},
		{"stomp.py -L", syscall.SIGTERM, []string{"--ack", "client", "-L"}},
		{"count batches", os.Interrupt, []string{"listen", "--count", "90000", "--format", "raw"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dest := testbroker.Unique(t, "/queue/stopped-mid-flood")
			rig.fill(dest, total)
			listen := rig.command(append(c.args, dest)...)
			stdout, err := listen.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderr := &testbin.Buffer{}
			listen.Stderr = stderr
			if err := listen.Start(); err != nil {
				t.Fatal(err)
			}
			shown := map[string]int{}
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				body := sc.Text()
				if _, err := strconv.Atoi(body); err != nil {
					continue // -L's layout: the body lines only
				}
				shown[body]++
				if len(shown) == 3000 {
					_ = listen.Process.Signal(c.sig)
				}
			}
			err = listen.Wait()
			if err != nil || len(shown) < 3000 {
				t.Fatalf("stopped with %v after %d messages: %v, want exit 0\n%s", c.sig, len(shown), err, stderr)
			}
			for body, n := range shown {
				if n > 1 {
					t.Errorf("message %s shown %d times", body, n)
				}
			}
			if left := rig.purge(dest); len(shown)+left != total {
				t.Errorf("%d shown and acked + %d left on the queue = %d, want %d: %d shown message(s) were not acked",
					len(shown), left, len(shown)+left, total, len(shown)+left-total)
			}
		})
	}
}

// A listener whose reader quits (`| head -1` under pipefail) exits 141, as
// README's exit code table says, killed by SIGPIPE at its next write as
// Unix tools are, without a word on standard error; what it had not
// written stays on the queue.
func TestListenerIntoClosedPipeExits141(t *testing.T) {
	rig := newStopRig(t)
	dir := t.TempDir()
	dest := testbroker.Unique(t, "/queue/closed-pipe")
	const total = 100000
	rig.fill(dest, total)
	listen := rig.command("listen", dest, "--ack", "client-individual", "--format", "raw")
	c := exec.Command("bash", "-o", "pipefail", "-c", `"$@" 2>stderr.txt | head -1`, "bash")
	c.Args = append(c.Args, listen.Args...)
	c.Dir = dir
	out, err := c.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 141 {
		t.Fatalf("listen | head -1: %v, want exit 141; stdout %q", err, out)
	}
	if string(out) != "1\n" {
		t.Errorf("head printed %q, want the first message", out)
	}
	stderr, _ := os.ReadFile(filepath.Join(dir, "stderr.txt"))
	if strings.TrimSpace(string(stderr)) != fmt.Sprintf("Subscribing to '%s' with acknowledge set to 'client-individual', id set to '1'", dest) {
		t.Errorf("standard error %q, want the Subscribing line alone", stderr)
	}
	// The pipe holds 64 KiB and head reads at most as much: the listener
	// cannot have written more than about 24,000 of these lines, and those
	// it wrote may still be there too (killed before their acks went out).
	if left := rig.purge(dest); left < total-30000 {
		t.Errorf("%d of %d messages left on the queue: the listener acked some it never wrote", left, total)
	}
}
