package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// The delivery ledger keeps every SEND made outside a transaction until the
// broker confirms it on the connection that carried it, under every mode:
// the shell, scripts, send, --lines, --jsonl, shovel and reply all send
// through Session.Send. A broker processes a connection's frames in order,
// so one RECEIPT confirms every SEND before it; the connection asks for one
// every few hundred messages or milliseconds and at the end of each burst
// (client.Conn.SendTracked), which keeps the ledger small at full speed.
//
// Only a SEND's own receipt counts: on RabbitMQ it is a publisher confirm,
// while its receipt for DISCONNECT (or anything else) says nothing about
// the messages before it. A SEND to a missing exchange is never confirmed
// there: the broker closes the connection a moment later instead.
//
// When the connection is lost, Reconnect sends the unconfirmed messages
// again on the new one, in order, before any new message: at-least-once
// delivery. A message in a transaction is not tracked; the broker aborts
// the transaction with the connection, and Reconnect reports it lost.

// The ledger's bounds: a sender waits for the broker's confirmation rather
// than keep more, so `send --lines` runs in constant memory.
const (
	ledgerMaxMessages = 2048
	ledgerMaxBytes    = 4 << 20
)

// UnconfirmedError says messages were sent but the broker never confirmed
// them: they may or may not have arrived.
type UnconfirmedError struct {
	Count int   // messages still unconfirmed
	Cause error // why confirming stopped
}

func (e *UnconfirmedError) Error() string {
	what := "1 message was"
	if e.Count != 1 {
		what = fmt.Sprintf("%d messages were", e.Count)
	}
	return fmt.Sprintf("%s sent but not confirmed by the broker, so may not have arrived: %v", what, e.Cause)
}

func (e *UnconfirmedError) Unwrap() error { return e.Cause }

// Kind says messages were sent and their fate is unknown, whatever the
// cause (an unreachable broker, a timeout): exit 1.
func (e *UnconfirmedError) Kind() exitcode.Kind { return exitcode.Unconfirmed }

// ledger is the Session's record of unconfirmed messages.
type ledger struct {
	entries []*frame.Frame // unconfirmed, in the order sent; entries[i] has seq first+i
	first   uint64         // the seq of entries[0]; seqs start at 1
	bytes   int            // body bytes held
	ready   uint64         // the connection generation new messages may go out on
	lost    error          // set by Abandon: no connection will come back
	changed chan struct{}  // closed and replaced at every change, for waiters
}

func newLedger() ledger {
	return ledger{first: 1, changed: make(chan struct{})}
}

// broadcast wakes everyone waiting on the ledger; s.mu is held.
func (l *ledger) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// sendTracked records f in the ledger and queues it on the connection. It
// waits while the ledger is full (for the broker's confirmation) and while
// the connection is lost (for Reconnect, which sends the ledger's messages
// again first). It returns f's seq.
func (s *Session) sendTracked(ctx context.Context, f *frame.Frame, force bool) (uint64, error) {
	s.sendMu.Lock() // one sender at a time: seqs follow the order on the wire
	defer s.sendMu.Unlock()
	progress := newProgressTimer(s.receiptTimeout)
	defer progress.stop()
	var conn *client.Conn
	var seq uint64
	for {
		s.mu.Lock()
		l := &s.ledger
		conn = s.Conn()
		up := conn.Err() == nil && l.ready == s.generation()
		full := len(l.entries) >= ledgerMaxMessages || len(l.entries) > 0 && l.bytes+len(f.Body) > ledgerMaxBytes
		if l.lost == nil && up && !full {
			seq = l.first + uint64(len(l.entries))
			l.entries = append(l.entries, f)
			l.bytes += len(f.Body)
			s.mu.Unlock()
			break
		}
		lost, changed, n, first := l.lost, l.changed, len(l.entries), l.first
		s.mu.Unlock()
		if lost != nil {
			return 0, lost
		}
		if up {
			progress.run()
		} else {
			progress.pause() // reconnecting: Reconnect or Abandon ends the wait
		}
		select {
		case <-changed:
			progress.confirmedSince(first, s)
		case <-progress.C():
			return 0, &UnconfirmedError{Count: n, Cause: s.noReceipt()}
		case <-s.closing:
			return 0, client.ErrClosed
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if err := conn.SendTracked(ctx, f, seq, force); err != nil && ctx.Err() != nil {
		// Never queued, and nothing will queue it: forget it.
		s.mu.Lock()
		if l := &s.ledger; seq == l.first+uint64(len(l.entries))-1 {
			l.entries[len(l.entries)-1] = nil
			l.entries = l.entries[:len(l.entries)-1]
			l.bytes -= len(f.Body)
		}
		s.mu.Unlock()
		return 0, ctx.Err()
	}
	// Any other failure means the connection was lost: the message stays
	// in the ledger and goes out again after the reconnect.
	return seq, nil
}

// confirmed is the connection's OnConfirm handler: the broker has every
// message up to seq.
func (s *Session) confirmed(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.ledger
	if seq < l.first {
		return
	}
	n := int(min(seq-l.first+1, uint64(len(l.entries))))
	for i, f := range l.entries[:n] {
		l.bytes -= len(f.Body)
		l.entries[i] = nil // let the collector have it
	}
	l.entries = l.entries[n:]
	l.first += uint64(n)
	if len(l.entries) == 0 {
		l.entries = l.entries[:0:0] // drop the old array, not just its front
	}
	l.broadcast()
}

// Confirmed is how many messages sent outside a transaction the broker has
// confirmed in this session.
func (s *Session) Confirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.ledger.first - 1)
}

// Unconfirmed is how many messages the broker has not confirmed yet.
func (s *Session) Unconfirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ledger.entries)
}

// Flush waits until the broker has confirmed every message sent. It fails
// with an *UnconfirmedError when the connection is lost for good (see
// Abandon), when no confirmation came for the receipt timeout, or when
// ctx ends. While the connection is being replaced it keeps waiting:
// Reconnect sends the unconfirmed messages again.
func (s *Session) Flush(ctx context.Context) error {
	return s.waitConfirmed(ctx, func(l *ledger) bool { return len(l.entries) == 0 })
}

// awaitConfirm waits, as Flush does, until the broker confirmed the
// message seq.
func (s *Session) awaitConfirm(ctx context.Context, seq uint64) error {
	return s.waitConfirmed(ctx, func(l *ledger) bool { return l.first > seq })
}

// waitConfirmed waits until done (called with s.mu held) holds.
func (s *Session) waitConfirmed(ctx context.Context, done func(*ledger) bool) error {
	progress := newProgressTimer(s.receiptTimeout)
	defer progress.stop()
	for {
		s.mu.Lock()
		l := &s.ledger
		ok, n, lost, changed, first := done(l), len(l.entries), l.lost, l.changed, l.first
		s.mu.Unlock()
		switch {
		case ok:
			return nil
		case lost != nil:
			return &UnconfirmedError{Count: n, Cause: lost}
		}
		select {
		case <-changed:
			progress.confirmedSince(first, s)
		case <-progress.C():
			return &UnconfirmedError{Count: n, Cause: s.noReceipt()}
		case <-ctx.Done():
			return &UnconfirmedError{Count: n, Cause: ctx.Err()}
		}
	}
}

func (s *Session) noReceipt() error {
	return fmt.Errorf("no receipt from the broker for %v (raise --receipt-timeout if the broker is slow)", s.receiptTimeout)
}

// Abandon says the lost connection will not be replaced: whatever waits
// for it (a send, Flush) fails with err. A later successful Reconnect
// undoes it.
func (s *Session) Abandon(err error) {
	if err == nil {
		err = errors.New("the connection was lost")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger.lost = err
	s.ledger.broadcast()
}

// resend sends the unconfirmed messages again on conn, the new connection
// of generation gen, and then lets new messages follow them.
func (s *Session) resend(ctx context.Context, conn *client.Conn, gen uint64) (int, error) {
	conn.OnConfirm(s.confirmed)
	s.mu.Lock()
	again, first := slices.Clone(s.ledger.entries), s.ledger.first
	s.mu.Unlock()
	for i, f := range again {
		if err := conn.SendTracked(ctx, f, first+uint64(i), false); err != nil {
			return i, err
		}
	}
	s.mu.Lock()
	s.ledger.ready, s.ledger.lost = gen, nil
	s.ledger.broadcast()
	s.mu.Unlock()
	return len(again), nil
}

// progressTimer fires when the broker confirmed nothing for d while it
// runs: a broker that keeps accepting connections and dropping them
// before it confirms anything must not keep a run going for ever. Its
// timer is made at the first wait: the fast path of a send never waits.
type progressTimer struct {
	t      *time.Timer
	d      time.Duration
	paused bool
}

func newProgressTimer(d time.Duration) progressTimer { return progressTimer{d: d} }

// C is the timer's channel; the first call starts the timer.
func (p *progressTimer) C() <-chan time.Time {
	if p.t == nil {
		p.t = time.NewTimer(p.d)
	}
	return p.t.C
}

// run starts the timer, or restarts it after a pause.
func (p *progressTimer) run() {
	switch {
	case p.t == nil:
		p.t = time.NewTimer(p.d)
	case p.paused:
		p.t.Reset(p.d)
	}
	p.paused = false
}

func (p *progressTimer) pause() {
	p.run()
	p.t.Stop()
	p.paused = true
}

// confirmedSince restarts the timer if the broker confirmed a message
// since the ledger's first unconfirmed seq was first.
func (p *progressTimer) confirmedSince(first uint64, s *Session) {
	s.mu.Lock()
	moved := s.ledger.first != first
	s.mu.Unlock()
	if moved && p.t != nil && !p.paused {
		p.t.Reset(p.d)
	}
}

func (p *progressTimer) stop() {
	if p.t != nil {
		p.t.Stop()
	}
}
