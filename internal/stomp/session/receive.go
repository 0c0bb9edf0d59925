package session

import (
	"context"
	"errors"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// Sink is where Receive delivers what the broker sends and what happens to
// the connection. Its methods are called on one goroutine, in order.
type Sink interface {
	// Frame is each frame the broker sends, once observed (see Observe):
	// num is a message's local number, p its pending ack (nil when none is
	// needed).
	Frame(f *frame.Frame, num uint64, p *Pending)
	// Unsubscribed is a MESSAGE for no subscription of ours: keep says to
	// deliver it to Frame all the same (a reply to a request, sent to the
	// connection); otherwise it is dropped, and the sink says so.
	Unsubscribed(f *frame.Frame) (keep bool)
	// Event is what happened to the connection.
	Event(Event)
}

// EventKind says what happened to the connection.
type EventKind int

const (
	// Lost: the connection ended (Err says why); reconnecting starts.
	Lost EventKind = iota
	// AttemptFailed: reconnect attempt Attempt failed with Err; the next
	// is in Wait.
	AttemptFailed
	// Reconnected: a new connection is up; Recovery says what came back.
	Reconnected
	// Resent: Recovery.Resent messages the broker had not confirmed were
	// sent again on the new connection (at-least-once).
	Resent
	// LostTransaction: the transaction Recovery.LostTx was open at the
	// loss; the broker aborted it.
	LostTransaction
	// GaveUp: reconnecting ended without a connection (Err says why).
	GaveUp
)

// Event is one step of a connection's life, for a Sink.
type Event struct {
	Kind     EventKind
	Err      error
	Attempt  int
	Wait     time.Duration
	Recovery Recovery
}

// ReceiveOptions say how a front end wants a lost connection handled; the
// policy itself is the Config's Reconnect.
type ReceiveOptions struct {
	// Listening: reconnect even after an ERROR frame (a broker shutting
	// down sends one); elsewhere an ERROR answers something we sent, and
	// connecting again would only repeat it.
	Listening bool
	// Interactive (the shell): reconnect after an ERROR too, and when
	// reconnecting is off or gave up, wait for TryNow (the connect
	// command) rather than end.
	Interactive bool
}

// Receiver is a running Receive.
type Receiver struct {
	done chan struct{}
	err  error
}

// Done is closed when receiving has ended.
func (r *Receiver) Done() <-chan struct{} { return r.done }

// Err is why receiving ended, once Done is closed: nil when the session
// was closed, else the error that ended the connection for good.
func (r *Receiver) Err() error {
	<-r.done
	return r.err
}

// Receive delivers every frame the broker sends to sink, in order, until
// the session ends. When the connection is lost it reconnects as the
// Config's Reconnect policy allows, telling sink about each step, and goes
// on with the new connection.
func (s *Session) Receive(sink Sink, o ReceiveOptions) *Receiver {
	r := &Receiver{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = s.receive(sink, o)
	}()
	return r
}

func (s *Session) receive(sink Sink, o ReceiveOptions) error {
	for {
		conn := s.Conn()
		for f := range conn.Incoming() {
			if s.crossedUnsubscribe(f) {
				continue // the broker's noise as we leave a subscription, not an error of the run
			}
			num, p := s.Observe(f)
			if f.Command == frame.MESSAGE && num == 0 {
				if unknown, givenBack := s.unknownSubscription(f); givenBack || unknown && !sink.Unsubscribed(f) {
					continue
				}
			}
			sink.Frame(f, num, p)
		}
		err := conn.Err()
		crossed := s.endedByCrossedUnsubscribe(err)
		if errors.Is(err, client.ErrClosed) || crossed && s.Closing() {
			return nil // we closed it, or the broker did as we left
		}
		s.lost()
		if s.recover(err, o, s.cfg.Reconnect, sink) {
			continue
		}
		// No reconnect under way: what waits for one (a send, the flush
		// at the end) fails now; a later reconnect undoes it.
		s.Abandon(err)
		if o.Interactive && s.connectWhenAsked(err, o, sink) {
			continue
		}
		if crossed {
			// The broker had every frame we sent: nothing the run did
			// failed. A command that still needs the connection says so.
			return nil
		}
		return err
	}
}

// connectWhenAsked waits for TryNow (the shell's connect command) and
// tries once each time, until it works (true) or the session is closed.
func (s *Session) connectWhenAsked(lost error, o ReceiveOptions, sink Sink) bool {
	once := &Backoff{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 1}
	for s.awaitTry() {
		if s.recover(lost, o, once, sink) {
			return true
		}
	}
	return false
}

// recover reconnects after lost with policy b, telling sink; false when
// reconnecting is off, gave up, or the session is closing.
func (s *Session) recover(lost error, o ReceiveOptions, b *Backoff, sink Sink) bool {
	// An ERROR answers something we sent, and connecting again would only
	// repeat it; not so the one about a message that crossed our
	// UNSUBSCRIBE.
	refused := errors.As(lost, new(*client.BrokerError)) && !s.endedByCrossedUnsubscribe(lost)
	if b == nil || refused && !o.Listening && !o.Interactive {
		return false
	}
	sink.Event(Event{Kind: Lost, Err: lost})
	rec, err := s.Reconnect(context.Background(), *b, func(attempt int, err error, wait time.Duration) {
		sink.Event(Event{Kind: AttemptFailed, Attempt: attempt, Err: err, Wait: wait})
	})
	if err != nil {
		if !errors.Is(err, ErrClosing) {
			sink.Event(Event{Kind: GaveUp, Err: err})
		}
		return false
	}
	sink.Event(Event{Kind: Reconnected, Recovery: rec})
	if rec.Resent > 0 {
		sink.Event(Event{Kind: Resent, Recovery: rec})
	}
	if rec.LostTx != "" {
		sink.Event(Event{Kind: LostTransaction, Recovery: rec})
	}
	return true
}
