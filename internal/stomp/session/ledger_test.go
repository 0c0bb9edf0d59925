package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

func dialHostile(ctx context.Context, h *testbroker.Hostile) (*client.Conn, error) {
	tg := h.Target()
	return client.Dial(ctx, client.Endpoint{Host: tg.Host, Port: tg.Port}, 5*time.Second, client.Options{})
}

func openHostile(t *testing.T, h *testbroker.Hostile, receiptTimeout time.Duration) *session.Session {
	t.Helper()
	conn, err := dialHostile(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	s := session.New(conn, receiptTimeout)
	s.SetRedial(func(ctx context.Context) (*client.Conn, error) { return dialHostile(ctx, h) })
	t.Cleanup(func() { s.Conn().Close() })
	return s
}

// silent reads everything and answers nothing.
func silent(c *testbroker.HostileConn) {
	_ = c.Connected("1.2")
	for {
		if _, err := c.Read(); err != nil {
			return
		}
	}
}

// A broker that never confirms stops a stream once the ledger is full:
// the sender waits (memory stays bounded) and then fails, counting what is
// unconfirmed, after the receipt timeout.
func TestLedgerBoundsUnconfirmed(t *testing.T) {
	h := testbroker.StartHostile(t, silent)
	s := openHostile(t, h, 500*time.Millisecond)
	ctx := context.Background()
	var err error
	sent := 0
	for ; sent < 10000; sent++ {
		if err = s.Send(ctx, "/queue/a", []byte(fmt.Sprint(sent)), session.SendOptions{}); err != nil {
			break
		}
		if n := s.Unconfirmed(); n != sent+1 {
			t.Fatalf("after %d sends the ledger holds %d", sent+1, n)
		}
	}
	var ue *session.UnconfirmedError
	if !errors.As(err, &ue) {
		t.Fatalf("after %d sends: want *UnconfirmedError, got %T %v", sent, err, err)
	}
	if sent < 1000 || sent >= 10000 || ue.Count != sent {
		t.Fatalf("stopped after %d sends with %d unconfirmed; want a bound in between, all of them unconfirmed", sent, ue.Count)
	}
	if err := s.Flush(ctx); !errors.As(err, &ue) || ue.Count != sent {
		t.Fatalf("Flush: want %d unconfirmed, got %v", sent, err)
	}
}

// Messages in a transaction are not in the ledger: after a loss the
// transaction is reported lost and nothing of it is sent again, while the
// message sent outside it is.
func TestLedgerTransactionNotResent(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		if c.N > 1 {
			c.Serve(nil)
			return
		}
		for sends := 0; ; {
			f, err := c.Read()
			if err != nil {
				return
			}
			if f.Command == frame.BEGIN {
				_ = c.Receipt(f)
			}
			if f.Command == frame.SEND {
				if sends++; sends == 2 {
					c.Reset()
					return
				}
			}
		}
	})
	s := openHostile(t, h, 2*time.Second)
	ctx := context.Background()
	if _, err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, "/queue/a", []byte("in tx"), session.SendOptions{Transaction: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, "/queue/a", []byte("outside"), session.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	<-s.Conn().Done()
	rec, err := s.Reconnect(ctx, session.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.LostTx == "" || rec.Resent != 1 {
		t.Fatalf("recovery %+v: want the transaction lost and 1 message sent again", rec)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var second []string
	for _, m := range h.Sends() {
		if m.Conn == 2 {
			second = append(second, m.Body)
		}
	}
	if len(second) != 1 || second[0] != "outside" {
		t.Fatalf("the new connection got %q, want only the message sent outside the transaction", second)
	}
}

// A send waiting for the reconnect (with --receipt) is confirmed on the
// new connection; Abandon releases a Flush that waits for a reconnect.
func TestLedgerReceiptAcrossReconnectAndAbandon(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		if c.N == 1 {
			if f, err := c.Read(); err == nil && f.Command == frame.SEND {
				c.Reset()
			}
			return
		}
		for { // confirm only "sure"
			f, err := c.Read()
			if err != nil {
				return
			}
			if string(f.Body) == "sure" {
				_ = c.Receipt(f)
			}
		}
	})
	s := openHostile(t, h, 5*time.Second)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, "/queue/a", []byte("sure"), session.SendOptions{Receipt: true}) }()
	<-s.Conn().Done()
	if _, err := s.Reconnect(ctx, session.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Send with a receipt across the reconnect: %v", err)
	}

	// Now lose the connection for good: Flush must not wait the timeout out.
	if err := s.Send(ctx, "/queue/a", []byte("never"), session.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Conn().Close()
	lost := errors.New("gave up")
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.Abandon(lost)
	}()
	start := time.Now()
	err := s.Flush(ctx)
	var ue *session.UnconfirmedError
	if !errors.As(err, &ue) || !errors.Is(err, lost) {
		t.Fatalf("Flush after Abandon: got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Flush took %v after Abandon", d)
	}
}

// A message that awaited an ack when its connection was lost is not acked
// on the new connection by its id (RabbitMQ would answer "unknown delivery
// tag" and close it): the ack is stale.
func TestAckAfterReconnectIsStale(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		c.Serve(func(f *frame.Frame) bool {
			switch {
			case f.Command == frame.ACK:
				c.Reset() // the test fails below if an ACK ever comes
				return true
			case f.Command == frame.SUBSCRIBE && c.N == 1:
				_ = c.Receipt(f)
				_ = c.Write(frame.New(frame.MESSAGE, frame.Subscription, f.Header.Get(frame.Id),
					frame.MessageId, "m-1", frame.Ack, "a-1", frame.Destination, "/queue/a"))
				return true
			}
			return false
		})
	})
	s := awaitingAck(t, h)
	ctx := context.Background()
	old := s.Conn()
	old.Close()
	if _, err := s.Reconnect(ctx, session.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, "m-1", "1", false); !errors.Is(err, session.ErrStaleAck) {
		t.Fatalf("ack of a message from the lost connection: got %v, want ErrStaleAck", err)
	}
}

// Unconfirmed messages exit 1 whatever stopped their confirmation, even
// an unreachable broker (which alone exits 75).
func TestUnconfirmedExitsFailure(t *testing.T) {
	err := &session.UnconfirmedError{Count: 2, Cause: exitcode.Wrap(exitcode.Unreachable, errors.New("connection refused"))}
	if code := exitcode.Code(fmt.Errorf("finishing: %w", err)); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
}

// An ack sent as the connection dies (before any reconnect) is stale too:
// the broker never got it and delivers the message again, so a listener
// must not end over it (the model test saw `listen --ack client-individual`
// exit 1 with "connection lost").
func TestAckOnADeadConnectionIsStale(t *testing.T) {
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		c.Serve(func(f *frame.Frame) bool {
			if f.Command != frame.SUBSCRIBE {
				return false
			}
			_ = c.Receipt(f)
			_ = c.Write(frame.New(frame.MESSAGE, frame.Subscription, f.Header.Get(frame.Id),
				frame.MessageId, "m-1", frame.Ack, "a-1", frame.Destination, "/queue/a"))
			c.Reset()
			return true
		})
	})
	s := awaitingAck(t, h)
	ctx := context.Background()
	for range s.Conn().Incoming() {
	}
	if err := s.Ack(ctx, "m-1", "1", false); !errors.Is(err, session.ErrStaleAck) {
		t.Fatalf("ack on a connection that died: got %v, want ErrStaleAck", err)
	}
}

// awaitingAck subscribes to /queue/a on h in client-individual mode and
// takes the first message, which then awaits an ack.
func awaitingAck(t *testing.T, h *testbroker.Hostile) *session.Session {
	t.Helper()
	s := openHostile(t, h, 2*time.Second)
	if _, err := s.Subscribe(context.Background(), "/queue/a", session.AckClientIndividual, nil); err != nil {
		t.Fatal(err)
	}
	f := <-s.Conn().Incoming()
	if _, p := s.Observe(f); p == nil {
		t.Fatalf("%s needs no ack?", f.Command)
	}
	return s
}
