package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/session"
)

// newPrinter decides colour and output format once, for the whole run.
func newPrinter(c *connFlags, out *outputFlags, stdio IO) (*commands.Printer, error) {
	p := commands.NewPrinter(stdio.Out, stdio.Err, render.NewTheme(c.colorOK && isTerminal(stdio.Out)))
	if !out.format.Text() {
		p.StatusToStderr() // standard output carries only messages
	}
	return p, nil
}

// openEnv connects and builds the environment commands run in. separator
// is stomp.py's blank line between headers and body (not in listen mode).
func openEnv(ctx context.Context, c *connFlags, out *outputFlags, printer *commands.Printer, separator, announce bool) (*commands.Env, func(), error) {
	conn, stop, err := c.connect(ctx, printer, announce)
	if err != nil {
		return nil, stop, err
	}
	sess := session.New(conn, c.receiptTimeout)
	env := commands.NewEnv(printer, sess, render.Style{Verbose: c.verbose, Separator: separator}, "stomp "+Version())
	env.Format = out.format
	return env, stop, nil
}

// receiver shows every frame the broker sends, in order, until the
// connection ends, and reports the error that ended it, if any.
type receiver struct {
	done chan struct{}
	err  error
}

// receiveHooks let a mode act on messages: skip decides a frame is not
// shown (a browse's end marker), after runs once a message is written out
// (listen mode acks there, so nothing is acked before it is safe).
type receiveHooks struct {
	skip  func(*frame.Frame) bool
	after func(*frame.Frame, *session.Pending)
}

func startReceiver(env *commands.Env, h receiveHooks) *receiver {
	r := &receiver{done: make(chan struct{})}
	conn := env.Session.Conn()
	go func() {
		defer close(r.done)
		for f := range conn.Incoming() {
			p := env.Session.Observe(f)
			if h.skip == nil || !h.skip(f) {
				env.Show(f)
			}
			if h.after != nil {
				h.after(f, p)
			}
		}
		if err := conn.Err(); !errors.Is(err, client.ErrClosed) {
			r.err = err
		}
	}()
	return r
}

// finish disconnects cleanly and waits for everything received to be shown.
func finish(env *commands.Env, r *receiver) error {
	ctx, cancel := context.WithTimeout(context.Background(), disconnectTimeout)
	defer cancel()
	err := env.Session.Close(ctx)
	<-r.done
	if err != nil && !errors.Is(err, client.ErrClosed) {
		return fmt.Errorf("disconnect not confirmed by the broker: %w", err)
	}
	return nil
}
