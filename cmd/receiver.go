package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// newPrinter decides colour and output format once, for the whole run.
func newPrinter(c *connFlags, out *outputFlags, stdio IO) *commands.Printer {
	theme := render.NewTheme(stdio.ColorEnabled())
	if !stdio.IsStdoutTTY() {
		// Bytes from the network are made visible only where they could
		// drive a screen; a file or a pipe gets them as stomp.py writes them.
		theme.KeepBytes()
	}
	p := commands.NewPrinter(stdio.Out, stdio.Err, theme)
	if !out.format.Text() {
		p.StatusToStderr() // standard output carries only messages
	}
	if out.quiet {
		p.Quiet()
	}
	return p
}

// openEnv connects and builds the environment commands run in. separator
// is stomp.py's blank line between headers and body (not in listen mode).
func openEnv(ctx context.Context, c *connFlags, out *outputFlags, rf *reconnectFlags, printer *commands.Printer, separator, announce bool) (*commands.Env, func(), error) {
	conn, stop, err := c.connect(ctx, printer, announce)
	if err != nil {
		return nil, stop, err
	}
	// Reconnects dial the same broker: an embedded one is already running
	// (connect pointed the flags at it), so do not start another.
	c.embedded = false
	sess := session.New(conn, c.receiptTimeout)
	sess.SetRedial(func(ctx context.Context) (*client.Conn, error) {
		conn, _, err := c.connect(ctx, printer, false)
		return conn, err
	})
	env := commands.NewEnv(printer, sess, render.Style{Verbose: c.verbose, Separator: separator}, "stomp "+Version())
	env.Format = out.format
	env.SaveDir, env.NoSave = out.saveDir, out.noSave
	// Listeners (no separator) and the shell (announce) stay up: they
	// retry until stopped; one-shot sends and scripts give up.
	env.Reconnect = rf.backoff(!separator || announce)
	return env, stop, nil
}

// receiver shows every frame the broker sends, in order, until the
// session ends. When the connection is lost it reconnects (if the policy
// allows), says so in one line each for the loss and the recovery, and
// goes on with the new connection. It reports the error that ended the
// session, if any.
type receiver struct {
	done chan struct{}
	err  error
}

// receiveHooks let a mode act on messages: skip decides a frame is not
// shown (a browse's end marker), after runs once a message went to its
// sink, with the sink's error (listen mode acks there on success, so
// nothing is acked before it is safe), and changed runs when the
// connection is lost or comes back (the shell redraws its prompt).
// unsubscribed accepts a MESSAGE for no subscription of ours (a reply to
// a request, sent to the connection); any other is reported and dropped.
type receiveHooks struct {
	skip         func(*frame.Frame) bool
	after        func(f *frame.Frame, p *session.Pending, sinkErr error)
	changed      func()
	unsubscribed func(*frame.Frame) bool
	// listening: reconnect even after an ERROR frame (a broker shutting
	// down sends one); elsewhere an ERROR answers something we sent, and
	// connecting again would only repeat it.
	listening bool
	// interactive (the shell): reconnect after an ERROR too, and when
	// reconnecting is off, wait for the connect command rather than end.
	interactive bool
}

func startReceiver(env *commands.Env, h receiveHooks) *receiver {
	r := &receiver{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			conn := env.Session.Conn()
			for f := range conn.Incoming() {
				if env.Session.CrossedUnsubscribe(f) {
					continue // the broker's noise as we leave, not an error of the run
				}
				num, p := env.Session.Observe(f)
				if f.Command == frame.MESSAGE && num == 0 && env.Session.UnknownSubscription(f) &&
					(h.unsubscribed == nil || !h.unsubscribed(f)) {
					env.Out.Error(fmt.Sprintf("ignored message %s: it came for subscription %s, which we do not have",
						render.VisibleLine(f.Header.Get(frame.MessageId)), render.VisibleLine(f.Header.Get(frame.Subscription))))
					continue
				}
				var sinkErr error
				if h.skip == nil || !h.skip(f) {
					sinkErr = env.Show(f, num)
				}
				if h.after != nil {
					h.after(f, p, sinkErr)
				} else if sinkErr != nil {
					env.Out.Error(sinkErr.Error())
				}
			}
			err := conn.Err()
			if errors.Is(err, client.ErrClosed) || env.Session.EndedByCrossedUnsubscribe(err) {
				return // we closed it, or the broker did as we left
			}
			if recoverConnection(env, err, h, env.Reconnect) {
				continue
			}
			// No reconnect under way: what waits for one (a send, the
			// flush at the end) fails now; a later reconnect undoes it.
			env.Session.Abandon(err)
			if h.interactive && connectWhenAsked(env, err, h) {
				continue
			}
			r.err = err
			if errors.As(err, new(*client.BrokerError)) {
				r.err = &shownError{err} // Show printed the ERROR already
			}
			return
		}
	}()
	return r
}

// connectWhenAsked waits for the shell's connect command and tries once
// each time, until it works (true) or the session is closed (false).
func connectWhenAsked(env *commands.Env, lost error, h receiveHooks) bool {
	once := &session.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 1}
	for env.Session.AwaitTry() {
		if recoverConnection(env, lost, h, once) {
			return true
		}
	}
	return false
}

// recoverConnection reconnects after err with policy b, reporting on
// standard error; false when reconnecting is off, gave up, or the session
// is closing.
func recoverConnection(env *commands.Env, lost error, h receiveHooks, b *session.Backoff) bool {
	var be *client.BrokerError
	if b == nil || errors.As(lost, &be) && !h.listening && !h.interactive {
		return false
	}
	changed := h.changed
	if changed != nil {
		changed()
	}
	env.Out.Error(fmt.Sprintf("%v; reconnecting", lost))
	rec, err := env.Session.Reconnect(context.Background(), *b, func(attempt int, err error, wait time.Duration) {
		env.Out.Error(fmt.Sprintf("reconnect attempt %d failed: %v (next in %v)", attempt, err, wait.Round(time.Millisecond)))
	})
	if err != nil {
		if !errors.Is(err, session.ErrClosing) {
			msg := fmt.Sprintf("could not reconnect: %v", err)
			if h.interactive {
				msg += " (`connect` to try again)"
			}
			env.Out.Error(msg)
		}
		return false
	}
	if changed != nil {
		changed()
	}
	msg := fmt.Sprintf("reconnected after %d attempt(s); resubscribed to %d destination(s)", rec.Attempts, rec.Resubscribed)
	if rec.DroppedAcks > 0 {
		msg += fmt.Sprintf("; %d message(s) awaiting ack will be redelivered", rec.DroppedAcks)
	}
	env.Out.Error(msg)
	if rec.Resent > 0 {
		env.Out.Error(fmt.Sprintf("sent again the %d message(s) the broker had not confirmed (at-least-once: it may now have some twice)", rec.Resent))
	}
	if rec.LostTx != "" {
		env.Out.Error("transaction " + rec.LostTx + " was lost with the connection: the broker aborted it (begin again)")
	}
	return true
}

// shownError is an error the user has already seen (an ERROR frame the
// receiver displayed): it ends the run with exit 1 without a second line.
type shownError struct{ err error }

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// finishStopped is finish for a listener the user stopped (Ctrl-C,
// SIGTERM): that is how a listener is meant to end, so it exits 0 even if
// the broker was gone (stopped while reconnecting), saying so.
func finishStopped(env *commands.Env, r *receiver) {
	if err := finish(env, r); err != nil {
		env.Out.Error(err.Error())
	}
}

// finishRun ends a run that did its work (err is how that went) with the
// receiver r running: it disconnects (finish) and returns the run's
// verdict: the work's error first, then what ended the receiving, then an
// unconfirmed disconnect. Only a confirmed DISCONNECT proves the broker
// has every message.
func finishRun(env *commands.Env, r *receiver, err error) error {
	ferr := finish(env, r)
	if err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	return ferr
}

// finish waits for the broker to confirm every message sent, disconnects
// cleanly and waits for everything received to be shown. Each wait is
// bounded by --receipt-timeout. Messages left unconfirmed are the run's
// verdict: the receiver's error, if any, is what caused it.
func finish(env *commands.Env, r *receiver) error {
	err := env.Session.Close(context.Background())
	<-r.done
	if ferr := env.Out.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("writing output: %w", ferr)
	}
	var ue *session.UnconfirmedError
	if errors.As(err, &ue) {
		if errors.As(r.err, new(*shownError)) {
			ue.Cause = errors.New("the broker sent the ERROR above")
		}
		r.err = nil
		return err
	}
	if err != nil && !errors.Is(err, client.ErrClosed) {
		return fmt.Errorf("disconnect not confirmed by the broker: %w", err)
	}
	return nil
}
