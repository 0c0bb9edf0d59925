package session_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

const connected = "CONNECTED\nversion:1.2\nserver:RabbitMQ/3.10.8\nheart-beat:0,0\n\n\x00"

func dialer(target testbroker.Target) func(context.Context) (*client.Conn, error) {
	return func(ctx context.Context) (*client.Conn, error) {
		nc, err := net.Dial("tcp", target.Addr())
		if err != nil {
			return nil, err
		}
		return client.Connect(ctx, nc, client.Options{Versions: []string{"1.2"}})
	}
}

// subscribed opens a session on b, able to reconnect, subscribed to /queue/a.
func subscribed(t *testing.T, b testbroker.Target) (*session.Session, *client.Conn) {
	t.Helper()
	s, conn := open(context.Background(), t, b)
	s.SetRedial(dialer(b))
	if _, err := s.Subscribe(context.Background(), "/queue/a", session.AckAuto, nil); err != nil {
		t.Fatal(err)
	}
	return s, conn
}

func waitLost(t *testing.T, conn *client.Conn) {
	t.Helper()
	for range conn.Incoming() {
	}
	if conn.Err() == nil {
		t.Fatal("the connection ended without an error")
	}
}

// A broker that confirms each SUBSCRIBE and then sends an ERROR: every
// connection dies young. The back-off must keep growing from one
// connection to the next instead of starting again after each CONNECT
// (which made ~10 reconnects a second).
func TestBackoffGrowsAcrossYoungConnections(t *testing.T) {
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return connected, false
		case frame.SUBSCRIBE:
			return testbroker.Receipt(f) + "ERROR\nmessage:go away\n\n\x00", true
		}
		return testbroker.Receipt(f), false
	})
	ctx := context.Background()
	s, conn := subscribed(t, b)
	waitLost(t, conn)
	policy := session.Backoff{Initial: 20 * time.Millisecond, Max: 5 * time.Second}
	var prev time.Duration
	for i := range 5 {
		rec, err := s.Reconnect(ctx, policy, nil)
		if err != nil {
			t.Fatalf("reconnect %d: %v", i+1, err)
		}
		// Doubling with ±20% jitter: each wait is at least 1.6/1.2 of the last.
		if rec.Waited <= prev {
			t.Fatalf("reconnect %d waited %v, after %v the time before: the back-off started again", i+1, rec.Waited, prev)
		}
		prev = rec.Waited
		waitLost(t, s.Conn())
	}
	if prev < 200*time.Millisecond {
		t.Errorf("the fifth reconnect waited only %v", prev)
	}
}

// A resubscribe the broker refuses is a failed attempt: Reconnect goes on
// trying (here until the broker accepts again) instead of failing.
func TestFailedResubscribeIsAFailedAttempt(t *testing.T) {
	var refuse atomic.Int32
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		switch f.Command {
		case frame.CONNECT, frame.STOMP:
			return connected, false
		case frame.SUBSCRIBE:
			if refuse.Add(-1) >= 0 {
				return "ERROR\nmessage:not now\n\n\x00", true
			}
		}
		return testbroker.Receipt(f), false
	})
	ctx := context.Background()
	s, conn := subscribed(t, b)
	refuse.Store(2)
	conn.Close()
	var failures []error
	rec, err := s.Reconnect(ctx, session.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond},
		func(_ int, err error, _ time.Duration) { failures = append(failures, err) })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Attempts != 3 || len(failures) != 2 || rec.Resubscribed != 1 {
		t.Fatalf("attempts %d, resubscribed %d, failures %v; want 3 attempts, the first two failed", rec.Attempts, rec.Resubscribed, failures)
	}
	if s.Ready() != nil {
		t.Fatalf("not connected after the reconnect: %v", s.Ready())
	}
}
