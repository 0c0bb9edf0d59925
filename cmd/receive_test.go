package cmd_test

import (
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

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
