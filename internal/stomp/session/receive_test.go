package session_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/faultproxy"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// recorder is a Sink that keeps what it is told.
type recorder struct {
	mu     sync.Mutex
	events []session.Event
	bodies []string
	seen   chan struct{} // a token per call
}

func newRecorder() *recorder { return &recorder{seen: make(chan struct{}, 100)} }

func (r *recorder) Frame(f *frame.Frame, _ uint64, _ *session.Pending) {
	r.mu.Lock()
	r.bodies = append(r.bodies, string(f.Body))
	r.mu.Unlock()
	r.seen <- struct{}{}
}

func (r *recorder) Unsubscribed(*frame.Frame) bool { return false }

func (r *recorder) Event(e session.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.seen <- struct{}{}
}

// waitFor waits until the recorder has an event of kind k.
func (r *recorder) waitFor(t *testing.T, k session.EventKind) session.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if e.Kind == k {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("no event %d; got %+v", k, r.events)
		}
	}
}

func (r *recorder) kinds() []session.EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []session.EventKind
	for _, e := range r.events {
		ks = append(ks, e.Kind)
	}
	return ks
}

// openThroughProxy opens a session on the embedded broker behind a fault
// proxy, with policy b.
func openThroughProxy(t *testing.T, b *session.Backoff) (*session.Session, *faultproxy.Proxy) {
	t.Helper()
	proxy, err := faultproxy.New(testbroker.Embedded(t).Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	s, err := session.Open(context.Background(), session.Config{
		Brokers:        []client.Endpoint{{Host: proxy.Host(), Port: proxy.Port()}},
		ConnectTimeout: 5 * time.Second, ReceiptTimeout: 5 * time.Second, Reconnect: b,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, proxy
}

// TestReceiveReportsTheLifecycle: a reset connection is reported as lost
// (in words), then reconnected with the subscription restored and the open
// transaction reported lost; messages flow on the new connection.
func TestReceiveReportsTheLifecycle(t *testing.T) {
	ctx := context.Background()
	s, proxy := openThroughProxy(t, &session.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond})
	rec := newRecorder()
	r := s.Receive(rec, session.ReceiveOptions{Listening: true})
	if _, err := s.Subscribe(ctx, "/queue/lifecycle", session.AckAuto, nil); err != nil {
		t.Fatal(err)
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proxy.ResetAll()
	lost := rec.waitFor(t, session.Lost)
	if !strings.Contains(lost.Err.Error(), "connection reset by the broker") {
		t.Errorf("lost: %v", lost.Err)
	}
	back := rec.waitFor(t, session.Reconnected)
	if back.Recovery.Resubscribed != 1 {
		t.Errorf("resubscribed %d, want 1", back.Recovery.Resubscribed)
	}
	if e := rec.waitFor(t, session.LostTransaction); e.Recovery.LostTx != tx {
		t.Errorf("lost transaction %q, want %q", e.Recovery.LostTx, tx)
	}
	if err := s.Send(ctx, "/queue/lifecycle", []byte("after"), session.SendOptions{Receipt: true}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		rec.mu.Lock()
		got := strings.Join(rec.bodies, ",")
		rec.mu.Unlock()
		if got == "after" {
			break
		}
		select {
		case <-rec.seen:
		case <-deadline:
			t.Fatalf("bodies %q, want after", got)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Errorf("receiving ended with %v after Close, want nil", err)
	}
	want := []session.EventKind{session.Lost, session.Reconnected, session.LostTransaction}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestReceiveGivesUp: while the broker refuses connections every attempt
// fails and is reported; after the last one Receive ends with the loss.
func TestReceiveGivesUp(t *testing.T) {
	s, proxy := openThroughProxy(t, &session.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond, Attempts: 2})
	rec := newRecorder()
	r := s.Receive(rec, session.ReceiveOptions{})
	if err := proxy.Refuse(time.Minute); err != nil {
		t.Fatal(err)
	}
	proxy.ResetAll()
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Receive did not end")
	}
	if r.Err() == nil {
		t.Error("Receive ended without an error")
	}
	want := []session.EventKind{session.Lost, session.AttemptFailed, session.AttemptFailed, session.GaveUp}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	_ = s.Close(context.Background())
}
