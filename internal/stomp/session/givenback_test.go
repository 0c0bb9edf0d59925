package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// heldSink holds up the first frame it is given until release is closed,
// and counts the messages reported as strays.
type heldSink struct {
	first, release chan struct{}
	shown          int
	strays         chan *frame.Frame
}

func (h *heldSink) Frame(*frame.Frame, uint64, *session.Pending) {
	if h.shown++; h.shown == 1 {
		close(h.first)
		<-h.release
	}
}

func (h *heldSink) Unsubscribed(f *frame.Frame) bool {
	h.strays <- f
	return false
}

func (h *heldSink) Event(session.Event) {}

// A message of a client-ack subscription received before its UNSUBSCRIBE's
// receipt, but handled after Unsubscribe returned (frames are handled one at
// a time: the receipt is read on the connection's reader at once), is not a
// stray: the broker has it back. Before, purge stopped mid-queue reported
// such messages, one line each ("ignored message ...: it came for
// subscription 1, which we do not have").
func TestMessageBehindUnsubscribeIsNoStray(t *testing.T) {
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return "CONNECTED\nversion:1.2\nserver:fake/1\nheart-beat:0,0\n\n\x00", false
		case frame.SUBSCRIBE:
			id := f.Header.Get(frame.Id)
			return testbroker.Receipt(f) +
				"MESSAGE\nsubscription:" + id + "\nmessage-id:m1\nack:m1\ndestination:/queue/a\n\none\x00" +
				"MESSAGE\nsubscription:" + id + "\nmessage-id:m2\nack:m2\ndestination:/queue/a\n\ntwo\x00", false
		}
		return testbroker.Receipt(f), f.Command == frame.DISCONNECT
	})
	ctx := context.Background()
	s, _ := open(ctx, t, b)
	sink := &heldSink{first: make(chan struct{}), release: make(chan struct{}), strays: make(chan *frame.Frame, 2)}
	r := s.Receive(sink, session.ReceiveOptions{})
	if _, err := s.Subscribe(ctx, "/queue/a", session.AckClient, nil); err != nil {
		t.Fatal(err)
	}
	<-sink.first // message two waits behind it
	if _, err := s.Unsubscribe(ctx, "/queue/a"); err != nil {
		t.Fatal(err)
	}
	close(sink.release)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("receiving did not end")
	}
	select {
	case f := <-sink.strays:
		t.Errorf("message %s, sent before the UNSUBSCRIBE's receipt, was reported as a stray", f.Body)
	default:
	}
}
