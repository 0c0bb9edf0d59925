package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Hooks let a mode act on what the session receives. Skip decides a frame
// is not shown (a browse's end marker); After runs once a message went to
// its sink, with the sink's error (listen mode acks there on success, so
// nothing is acked before it is safe); Changed runs when the connection is
// lost or comes back (the shell redraws its prompt). Unsubscribed accepts
// a MESSAGE for no subscription of ours (a reply to a request, sent to the
// connection); any other is reported and dropped. Listening and
// Interactive are the session.ReceiveOptions.
type Hooks struct {
	Skip         func(*frame.Frame) bool
	After        func(f *frame.Frame, p *session.Pending, sinkErr error)
	Changed      func()
	Unsubscribed func(*frame.Frame) bool
	Listening    bool
	Interactive  bool
}

// Receiver shows every frame the broker sends, in order, until the session
// ends, and says in one line each what happens to the connection (lost,
// reconnected, gave up).
type Receiver struct {
	inner *session.Receiver
	sink  *sink

	mu      sync.Mutex
	err     error
	settled bool
}

// Receive starts showing what the session receives (see Receiver).
func (e *Env) Receive(h Hooks) *Receiver {
	o := session.ReceiveOptions{Listening: h.Listening, Interactive: h.Interactive}
	s := &sink{env: e, h: h}
	return &Receiver{inner: e.Session.Receive(s, o), sink: s}
}

// Between runs fn while no frame is being handled: fn and the hooks never
// run at once, so fn may touch what only the hooks touch otherwise. A
// listener that is stopped uses it to stop showing messages and ack those it
// showed before anything else goes out.
func (r *Receiver) Between(fn func()) {
	r.sink.mu.Lock()
	defer r.sink.mu.Unlock()
	fn()
}

// Done is closed when receiving has ended.
func (r *Receiver) Done() <-chan struct{} { return r.inner.Done() }

// Err is the error that ended receiving, once Done is closed; nil when the
// session was closed. A broker's ERROR comes marked exitcode.Shown: the
// receiver showed it already.
func (r *Receiver) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.settled {
		r.err, r.settled = r.inner.Err(), true
		if errors.As(r.err, new(*client.BrokerError)) {
			r.err = exitcode.Shown(r.err)
		}
	}
	return r.err
}

// clear makes Err nil: the run's verdict is stated elsewhere.
func (r *Receiver) clear() {
	r.Err()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = nil
}

// sink is the Env as a session.Sink: frames are shown, lifecycle events
// become the lines on standard error.
type sink struct {
	env *Env
	h   Hooks
	mu  sync.Mutex // held while a frame is handled (see Receiver.Between)

	// unshown is the first message without an After hook that could not
	// be shown (output not written): the run goes on, but fails (FinishRun).
	unshown error
}

func (s *sink) Frame(f *frame.Frame, num uint64, p *session.Pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sinkErr error
	if s.h.Skip == nil || !s.h.Skip(f) {
		sinkErr = s.env.Show(f, num)
	}
	if s.h.After != nil {
		s.h.After(f, p, sinkErr)
	} else if sinkErr != nil {
		s.env.Out.Error(sinkErr.Error())
		if s.unshown == nil {
			s.unshown = exitcode.Shown(sinkErr)
		}
	}
}

func (s *sink) Unsubscribed(f *frame.Frame) bool {
	if s.h.Unsubscribed != nil && s.h.Unsubscribed(f) {
		return true
	}
	s.env.Out.Error(fmt.Sprintf("ignored message %s: it came for subscription %s, which we do not have",
		render.VisibleLine(f.Header.Get(frame.MessageId)), render.VisibleLine(f.Header.Get(frame.Subscription))))
	return false
}

func (s *sink) Event(ev session.Event) {
	if s.h.Changed != nil && (ev.Kind == session.Lost || ev.Kind == session.Reconnected) {
		s.h.Changed()
	}
	out := s.env.Out
	rec := ev.Recovery
	switch ev.Kind {
	case session.Lost:
		out.Error(fmt.Sprintf("%v; reconnecting", ev.Err))
	case session.AttemptFailed:
		out.Error(fmt.Sprintf("reconnect attempt %d failed: %v (next in %v)", ev.Attempt, ev.Err, ev.Wait.Round(time.Millisecond)))
	case session.GaveUp:
		msg := fmt.Sprintf("could not reconnect: %v", ev.Err)
		if s.h.Interactive {
			msg += " (`connect` to try again)"
		}
		out.Error(msg)
	case session.Reconnected:
		msg := fmt.Sprintf("reconnected after %d attempt(s); resubscribed to %d destination(s)", rec.Attempts, rec.Resubscribed)
		if rec.DroppedAcks > 0 {
			msg += fmt.Sprintf("; %d message(s) awaiting ack will be redelivered", rec.DroppedAcks)
		}
		out.Error(msg)
	case session.Resent:
		out.Error(fmt.Sprintf("sent again the %d message(s) the broker had not confirmed (at-least-once: it may now have some twice)", rec.Resent))
	case session.LostTransaction:
		out.Error("transaction " + rec.LostTx + " was lost with the connection: the broker aborted it (begin again)")
	}
}

// FinishStopped is Finish for a listener the user stopped (Ctrl-C,
// SIGTERM): that is how a listener is meant to end, so it exits 0 even if
// the broker was gone (stopped while reconnecting), saying so.
func (e *Env) FinishStopped(r *Receiver) {
	if err := e.Finish(r); err != nil {
		e.Out.Error(err.Error())
	}
}

// FinishRun ends a run that did its work (err is how that went) with the
// receiver r running: it disconnects (Finish) and returns the run's
// verdict: the work's error first, then what ended the receiving, then an
// unconfirmed disconnect, then a message that could not be shown (a
// script's output on a full disk). Only a confirmed DISCONNECT proves the
// broker has every message.
func (e *Env) FinishRun(r *Receiver, err error) error {
	ferr := e.Finish(r)
	if err != nil {
		return err
	}
	if r.Err() != nil {
		return r.Err()
	}
	if ferr != nil {
		return ferr
	}
	return r.sink.unshown // receiving has ended (Finish): no frame is being handled
}

// Finish waits for the broker to confirm every message sent, disconnects
// cleanly and waits for everything received to be shown. Each wait is
// bounded by --receipt-timeout. Messages left unconfirmed are the run's
// verdict: the receiver's error, if any, is what caused it.
func (e *Env) Finish(r *Receiver) error {
	err := e.Session.Close(context.Background())
	<-r.Done()
	if ferr := e.Out.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("writing output: %w", ferr)
	}
	var ue *session.UnconfirmedError
	if errors.As(err, &ue) {
		if exitcode.IsShown(r.Err()) {
			ue.Cause = errors.New("the broker sent the ERROR above")
		}
		r.clear()
		return err
	}
	if err != nil && !errors.Is(err, client.ErrClosed) {
		return fmt.Errorf("disconnect not confirmed by the broker: %w", err)
	}
	return nil
}
