package cmd_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestPurgeForgivesDeliveryCrossingUnsubscribe: RabbitMQ answers a
// delivery that crosses purge's UNSUBSCRIBE with ERROR "Subscription not
// found", instead of the UNSUBSCRIBE's receipt or after it, and the
// connection ends. purge still succeeds and counts the messages whose
// (cumulative) ack the broker confirmed before the UNSUBSCRIBE went out,
// not the one that crossed it.
func TestPurgeForgivesDeliveryCrossingUnsubscribe(t *testing.T) {
	const crossed = "ERROR\nmessage:Subscription not found\n\nThere is no current subscription with tag 'T_1'.\x00"
	for _, tc := range []struct {
		name  string
		reply func(f *frame.Frame) string
	}{
		{"instead of the receipt", func(*frame.Frame) string { return crossed }},
		{"after the receipt", func(f *frame.Frame) string { return testbroker.Receipt(f) + crossed }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu   sync.Mutex
				acks []string // the ACKs' ids; the one with a receipt ends in "+receipt"
			)
			b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
				switch f.Command {
				case frame.CONNECT, frame.STOMP:
					return "CONNECTED\nversion:1.2\nserver:RabbitMQ/3.10.8\nheart-beat:0,0\n\n\x00", false
				case frame.SUBSCRIBE:
					reply := testbroker.Receipt(f)
					for _, n := range []string{"1", "2", "3"} {
						reply += "MESSAGE\nsubscription:" + f.Header.Get(frame.Id) + "\nmessage-id:m-" + n +
							"\nack:a-" + n + "\ndestination:/queue/a\n\nbody " + n + "\x00"
					}
					return reply, false
				case frame.ACK:
					id := f.Header.Get(frame.Id)
					if _, ok := f.Header.Contains(frame.Receipt); ok {
						id += "+receipt"
					}
					mu.Lock()
					acks = append(acks, id)
					mu.Unlock()
				case frame.UNSUBSCRIBE:
					return tc.reply(f), true
				}
				return testbroker.Receipt(f), f.Command == frame.DISCONNECT
			})
			r := runStomp(t, t.TempDir(), nil, "", "-H", b.Host, "-P", b.Port, "--reconnect=false", "purge", "/queue/a", "200ms")
			wantRun(t, r, 0, "")
			if r.stdout != "purged 3 message(s) from /queue/a\n" {
				t.Errorf("stdout %q, want the 3 messages purged", r.stdout)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{"a-1", "a-2", "a-3+receipt"}; !slices.Equal(acks, want) {
				t.Errorf("acks %q, want %q", acks, want)
			}
		})
	}
}
