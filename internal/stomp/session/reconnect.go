package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/client"
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
// Open sets it to dial the session's Config again; a session made with
// New (the tests' hostile brokers) is given its dialer here.
func (s *Session) SetRedial(dial func(context.Context) (*client.Conn, error)) { s.redial = dial }

// Recovery is what a successful Reconnect restored and what it could not.
type Recovery struct {
	Attempts      int
	Resubscribed  int
	Waited        time.Duration // the back-off waited in all, up to the attempt that worked
	LostTx        string        // the transaction open at the loss; the broker aborted it
	DroppedAcks   int           // messages awaiting ack: the broker redelivers them
	Resent        int           // unconfirmed messages sent again (at-least-once)
	PreviousError error
}

// healthyAfter is how long a connection must live for the back-off to
// start again from its first delay. One that dies younger (a broker that
// answers every SUBSCRIBE with an ERROR, one that accepts and drops) keeps
// the back-off growing, or we would hammer it ten times a second.
const healthyAfter = 10 * time.Second

// Reconnect replaces a lost connection: it dials with back-off until it
// works, the attempts run out, ctx ends or the session is closed; then it
// subscribes again to everything with the same ids, ack modes and headers.
// A resubscribe that fails (the broker drops the new connection first, or
// refuses it with an ERROR) is a failed attempt like a failed dial. report,
// when set, is told about each failed attempt. TryNow cuts the wait short.
func (s *Session) Reconnect(ctx context.Context, b Backoff, report func(attempt int, err error, wait time.Duration)) (Recovery, error) {
	if s.redial == nil {
		return Recovery{}, errors.New("reconnecting is off")
	}
	rec := Recovery{PreviousError: s.Conn().Err()}
	s.mu.Lock()
	if time.Since(s.connectedAt) >= healthyAfter {
		s.streak = 0
	}
	rec.LostTx, s.tx = s.tx, ""
	rec.DroppedAcks = len(s.pending)
	if len(s.dropped)+len(s.pending) > maxPending {
		s.dropped = nil
	}
	if s.dropped == nil {
		s.dropped = map[string]*Pending{}
	}
	maps.Copy(s.dropped, s.pending)
	s.pending = map[string]*Pending{}
	s.mu.Unlock()
	defer s.setNextTry(time.Time{})
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		s.streak++
		wait := b.Delay(s.streak)
		s.mu.Unlock()
		s.setNextTry(time.Now().Add(wait))
		rec.Waited += wait
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-s.wake:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
			return rec, ctx.Err()
		case <-s.closing:
			timer.Stop()
			return rec, ErrClosing
		}
		s.setNextTry(time.Now()) // trying now: a time already past reads "trying now"
		n, resent, err := s.attempt(ctx)
		if err == nil {
			rec.Attempts, rec.Resubscribed, rec.Resent = attempt, n, resent
			return rec, nil
		}
		if errors.Is(err, ErrClosing) {
			return rec, err
		}
		if report != nil {
			s.mu.Lock()
			next := b.Delay(s.streak + 1)
			s.mu.Unlock()
			report(attempt, err, next)
		}
		if b.Attempts > 0 && attempt >= b.Attempts {
			return rec, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
	}
}

// ErrClosing ends a Reconnect because the session is being closed.
var ErrClosing = errors.New("closing")

// attempt dials once and subscribes again to everything on the new
// connection, which replaces the lost one, then sends the messages the
// broker had not confirmed again (ledger.go). It returns how many
// subscriptions came back and how many messages went again, or why the
// attempt failed (the new connection is closed then).
func (s *Session) attempt(ctx context.Context) (int, int, error) {
	conn, err := s.redial(ctx)
	if err != nil {
		return 0, 0, err
	}
	s.connMu.Lock()
	old := s.conn
	s.conn, s.gen = conn, s.gen+1
	gen := s.gen
	s.connMu.Unlock()
	s.retire(old)
	select {
	case <-s.closing: // closed while we dialled: do not leave it open
		conn.Close()
		return 0, 0, ErrClosing
	default:
	}
	// The subscriptions as they are now: one the broker has just refused
	// (the shell's subscribe /bogus) is forgotten by then.
	subs := s.Subscriptions()
	for i, sub := range subs {
		if err := s.request(ctx, sub.frame()); err != nil {
			conn.Close()
			return i, 0, fmt.Errorf("resubscribing to %s: %w", sub.Destination, err)
		}
	}
	resent, err := s.resend(ctx, conn, gen)
	if err != nil {
		conn.Close()
		return len(subs), resent, fmt.Errorf("sending the unconfirmed messages again: %w", err)
	}
	s.mu.Lock()
	s.connects++
	s.connectedAt = time.Now()
	s.mu.Unlock()
	return len(subs), resent, nil
}

// TryNow makes a Reconnect that is waiting try at once, or an awaitTry
// return (the shell's connect command).
func (s *Session) TryNow() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// awaitTry waits for TryNow, when reconnecting is off or gave up; false
// when the session is closed instead.
func (s *Session) awaitTry() bool {
	select {
	case <-s.wake:
		return true
	case <-s.closing:
		return false
	}
}

func (s *Session) setNextTry(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextTry = t
}

// NotConnectedError is what a command that needs the broker gets while
// the connection is down.
type NotConnectedError struct {
	NextTry time.Time // zero: no reconnect is under way
	Cause   error
}

func (e *NotConnectedError) Error() string {
	if e.NextTry.IsZero() {
		return "not connected (`connect` to try again)"
	}
	wait := max(time.Until(e.NextTry), 0).Round(time.Second)
	if wait == 0 {
		return "not connected (trying now)"
	}
	return fmt.Sprintf("not connected (next try in %v; `reconnect` to try now)", wait)
}

func (e *NotConnectedError) Unwrap() error { return e.Cause }

// Kind says a command found no connection (exit 1).
func (e *NotConnectedError) Kind() exitcode.Kind { return exitcode.NotConnected }

// Ready is nil while connected, else a *NotConnectedError saying when the
// next attempt is.
func (s *Session) Ready() error {
	err := s.Conn().Err()
	if err == nil {
		return nil
	}
	s.mu.Lock()
	next := s.nextTry
	s.mu.Unlock()
	return &NotConnectedError{NextTry: next, Cause: err}
}

// Traffic is what a session's connections carried, and how many came and
// went, since it was opened: the counters of `stats`.
type Traffic struct {
	FramesIn, FramesOut uint64 // frames, heart-beats aside
	BeatsIn, BeatsOut   uint64 // heart-beats
	Connections         uint64 // connections opened: the first and every reconnect
	Losses              uint64 // connections lost (not closed by us)
}

// Traffic counts across every connection the session has had.
func (s *Session) Traffic() Traffic {
	s.connMu.RLock()
	in, out, beatsIn, beatsOut := s.conn.Counts()
	s.connMu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.past
	t.FramesIn += in
	t.FramesOut += out
	t.BeatsIn += beatsIn
	t.BeatsOut += beatsOut
	t.Connections = 1 + s.connects
	t.Losses = s.losses
	return t
}

// retire adds the counts of conn, replaced, to the past traffic.
func (s *Session) retire(conn *client.Conn) {
	in, out, beatsIn, beatsOut := conn.Counts()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.past.FramesIn += in
	s.past.FramesOut += out
	s.past.BeatsIn += beatsIn
	s.past.BeatsOut += beatsOut
}

// lost counts a connection that ended without our asking.
func (s *Session) lost() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.losses++
}
