// Package shovel moves messages from a destination to another, on the
// same broker or another one, losing none (stomp shovel).
package shovel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Options say what to move where.
type Options struct {
	From, To string
	Headers  [][2]string   // added to every message moved, before its own
	Count    int           // stop after moving this many (0 = never)
	Idle     time.Duration // stop when no message came for this long (0 = never)
}

// Run moves messages from o.From on src's broker to o.To on dst's, each
// acked at the source only once dst's broker confirmed it with a receipt:
// a crash can duplicate a message but never lose one. It runs until ctx
// ends (Ctrl-C), o.Count messages, or o.Idle without one, and closes both
// sessions.
func Run(ctx context.Context, src, dst *commands.Env, o Options) error {
	type item struct {
		f *frame.Frame
		p *session.Pending
	}
	items := make(chan item)
	quit := make(chan struct{})
	// The receiver may be blocked handing us a message: release it before
	// waiting for it to finish, or the two wait for each other.
	stopFeeding := sync.OnceFunc(func() { close(quit) })
	var r *commands.Receiver
	done := func(err error) error {
		stopFeeding()
		if ferr := src.Finish(r); err == nil {
			err = ferr
		}
		return err
	}
	r = src.Receive(commands.Hooks{
		Skip: func(f *frame.Frame) bool { return f.Command == frame.MESSAGE },
		After: func(f *frame.Frame, p *session.Pending, _ error) {
			if f.Command != frame.MESSAGE || p == nil {
				return
			}
			select {
			case items <- item{f, p}:
			case <-quit:
			}
		},
	})
	dr := dst.Receive(commands.Hooks{})
	defer dst.Finish(dr)
	mode := session.AckClientIndividual
	if src.Session.Version() == "1.0" {
		mode = session.AckClient // acked one by one, in order: the same
	}
	// Subscribe on the side: the broker may send messages before its
	// receipt, and the receiver would wait for this loop to take them.
	subscribed := make(chan error, 1)
	go func() {
		_, err := src.Session.Subscribe(ctx, o.From, mode, nil)
		subscribed <- err
	}()
	var timeout <-chan time.Time
	moved, count := 0, o.Count
	for count == 0 || moved < count {
		if o.Idle > 0 {
			timeout = time.After(o.Idle)
		}
		select {
		case err := <-subscribed:
			if err != nil {
				return done(err)
			}
			src.Out.Info(fmt.Sprintf("Moving messages from '%s' to '%s'\n", o.From, o.To))
		case it := <-items:
			// Extra headers first: in STOMP the first of repeated headers wins.
			headers := append(slices.Clone(o.Headers), sender.SenderHeaders(render.Data(it.f, time.Time{}).Headers)...)
			err := dst.Session.Send(ctx, o.To, it.f.Body, session.SendOptions{Headers: headers, Receipt: true})
			if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				count = moved // stopped before it went out: it stays at the source
				continue
			}
			if err != nil {
				return done(fmt.Errorf("sending message %d to %s: %w (it stays unacked at %s)", moved+1, o.To, err, o.From))
			}
			if err := src.Session.Ack(ctx, it.p.MessageID, it.p.Subscription, false); err != nil && !errors.Is(err, session.ErrStaleAck) {
				return done(fmt.Errorf("acking message %d at %s: %w", moved+1, o.From, err))
			}
			moved++
		case <-timeout:
			count = moved // done: nothing more came
		case <-ctx.Done():
			count = moved
		case <-r.Done():
			stopFeeding()
			return r.Err()
		}
	}
	src.Out.Info(fmt.Sprintf("Moved %d message(s)\n", moved))
	return done(nil)
}
