package cmd_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testbin"
	"github.com/stomp-cli/stomp/internal/testbroker"
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

// Ctrl-C while a listener waits for its SUBSCRIBE receipt (the
// "Subscribing to" line is already out) stops it as the user asked:
// exit 0, not "context canceled".
func TestListenInterruptedWhileSubscribing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
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
	bin, err := testbin.Build(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
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
