package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stomp-cli/stomp/internal/client"
)

// ErrStaleAck is returned for an ack or nack of a message that arrived on
// a connection since lost: the broker redelivers such messages, so there is
// nothing to acknowledge any more.
var ErrStaleAck = errors.New("that message came on a connection that was lost: the broker will deliver it again")

// Backoff says how to retry a lost connection: exponential from Initial,
// doubled up to Max, with ±20% jitter so many clients do not retry in step.
type Backoff struct {
	Initial  time.Duration
	Max      time.Duration
	Attempts int // 0 = until it works
}

// Delay is the wait before attempt (1, 2, ...): Initial doubled attempt-1
// times, at most Max, with jitter.
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return min(time.Duration(float64(d)*jitter), b.Max) // Max is the longest wait, jitter included
}

// SetRedial tells the session how to open a new connection after a loss.
func (s *Session) SetRedial(dial func(context.Context) (*client.Conn, error)) { s.redial = dial }

// Recovery is what a successful Reconnect restored and what it could not.
type Recovery struct {
	Attempts      int
	Resubscribed  int
	LostTx        string // the transaction open at the loss; the broker aborted it
	DroppedAcks   int    // messages awaiting ack: the broker redelivers them
	PreviousError error
}

// Reconnect replaces a lost connection: it dials with back-off until it
// works, the attempts run out, ctx ends or the session is closed; then it
// subscribes again to everything with the same ids, ack modes and headers.
// report, when set, is told about each failed attempt.
func (s *Session) Reconnect(ctx context.Context, b Backoff, report func(attempt int, err error, wait time.Duration)) (Recovery, error) {
	if s.redial == nil {
		return Recovery{}, errors.New("reconnecting is off")
	}
	rec := Recovery{PreviousError: s.Conn().Err()}
	s.mu.Lock()
	s.losses++
	s.mu.Unlock()
	var conn *client.Conn
	for attempt := 1; ; attempt++ {
		wait := b.Delay(attempt)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return rec, ctx.Err()
		case <-s.closing:
			return rec, errors.New("closing")
		}
		var err error
		conn, err = s.redial(ctx)
		if err == nil {
			rec.Attempts = attempt
			break
		}
		if report != nil {
			report(attempt, err, b.Delay(attempt+1))
		}
		if b.Attempts > 0 && attempt >= b.Attempts {
			return rec, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
	}
	s.mu.Lock()
	rec.LostTx, s.tx = s.tx, ""
	rec.DroppedAcks = len(s.pending)
	s.pending = map[string]*Pending{}
	subs := make([]Subscription, len(s.subs))
	for i, sub := range s.subs {
		subs[i] = *sub
	}
	s.connects++
	s.mu.Unlock()
	s.connMu.Lock()
	s.conn, s.gen = conn, s.gen+1
	s.connMu.Unlock()
	select {
	case <-s.closing: // closed while we dialled: do not leave it open
		conn.Close()
		return rec, errors.New("closing")
	default:
	}
	for _, sub := range subs {
		if err := s.request(ctx, sub.frame()); err != nil {
			return rec, fmt.Errorf("resubscribing to %s: %w", sub.Destination, err)
		}
		rec.Resubscribed++
	}
	return rec, nil
}

// Reconnects counts connections opened after the first, and losses.
func (s *Session) Reconnects() (connects, losses uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects, s.losses
}
