package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// shovelTarget overrides where `stomp shovel` sends to; empty fields keep
// the source connection's values.
type shovelTarget struct {
	host, port, user, password, vhost string
}

func newShovelCommand(o *options, stdio IO) *cobra.Command {
	var (
		to      shovelTarget
		count   int
		idle    time.Duration
		headers []string
	)
	c := &cobra.Command{
		Use:   "shovel SRC DST",
		Short: "Move messages from one destination (or broker) to another, losing none",
		Long: `shovel consumes messages from SRC and sends each, with its headers, to DST, on the
same broker or on another one (--to-host, --to-port, --to-user, --to-password,
--to-vhost). A message is acked at SRC only after the broker of DST confirmed
it with a receipt, so a crash can duplicate a message but never lose one.
It runs until Ctrl-C, --count messages, or --timeout without a message.`,
		Example: `  stomp shovel /queue/in /queue/out --count 1000
  stomp shovel /queue/orders /queue/orders --to-host backup.example.com --timeout 5s`,
		Args: rangeArgs(2, 2),
		RunE: func(c *cobra.Command, args []string) error {
			if count < 0 || idle < 0 {
				return usageErrorf("--count and --timeout cannot be negative")
			}
			if to.port != "" {
				if n, err := strconv.Atoi(to.port); err != nil || n < 1 || n > 65535 {
					return usageErrorf("invalid --to-port %q: give a number from 1 to 65535", to.port)
				}
			}
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			return oneShot(c, o, stdio, false, func(ctx context.Context, src *commands.Env) error {
				dst, err := openTarget(ctx, o, to, src)
				if err != nil {
					src.Finish(src.Receive(commands.Hooks{}))
					return fmt.Errorf("destination broker: %w", err)
				}
				return shovel(ctx, src, dst, args[0], args[1], hs, count, idle)
			})
		},
	}
	fs := c.Flags()
	fs.StringVar(&to.host, "to-host", "", "send to this broker host (default: the source broker)")
	fs.StringVar(&to.port, "to-port", "", "its port")
	fs.StringVar(&to.user, "to-user", "", "its login")
	fs.StringVar(&to.password, "to-password", "", "its password")
	fs.StringVar(&to.vhost, "to-vhost", "", "its virtual host")
	fs.IntVar(&count, "count", 0, "stop after moving `N` messages")
	fs.DurationVar(&idle, "timeout", 0, "stop when no message came for this long")
	fs.StringArrayVar(&headers, "header", nil, "add a header `key=value` to every message moved (repeatable)")
	return c
}

// openTarget connects to the destination broker: the source session's
// config (its embedded broker, if it started one) with --to-* overrides.
func openTarget(ctx context.Context, o *options, to shovelTarget, src *commands.Env) (*commands.Env, error) {
	cfg := src.Session.Config()
	cfg.Brokers = slices.Clone(cfg.Brokers)
	if to.host != "" {
		cfg.Brokers[0].Host = to.host
	}
	if to.port != "" {
		cfg.Brokers[0].Port = to.port
	}
	if to.user != "" || to.password != "" {
		cfg.Client.Login, cfg.Client.Passcode = to.user, to.password
	}
	if to.vhost != "" {
		cfg.Client.Vhost = to.vhost
	}
	cfg.Client.Trace = nil // one -V trace (the source's) is enough
	sess, err := session.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	dst := newEnv(sess, o.conn, o.out, src.Out, false)
	dst.Style.Verbose = false
	return dst, nil
}

func shovel(ctx context.Context, src, dst *commands.Env, from, to string, extra [][2]string, count int, idle time.Duration) error {
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
		_, err := src.Session.Subscribe(ctx, from, mode, nil)
		subscribed <- err
	}()
	var timeout <-chan time.Time
	moved := 0
	for count == 0 || moved < count {
		if idle > 0 {
			timeout = time.After(idle)
		}
		select {
		case err := <-subscribed:
			if err != nil {
				return done(err)
			}
			src.Out.Info(fmt.Sprintf("Moving messages from '%s' to '%s'\n", from, to))
		case it := <-items:
			// Extra headers first: in STOMP the first of repeated headers wins.
			headers := append(slices.Clone(extra), sender.SenderHeaders(render.Data(it.f, time.Time{}).Headers)...)
			err := dst.Session.Send(ctx, to, it.f.Body, session.SendOptions{Headers: headers, Receipt: true})
			if err != nil {
				return done(fmt.Errorf("sending message %d to %s: %w (it stays unacked at %s)", moved+1, to, err, from))
			}
			if err := src.Session.Ack(ctx, it.p.MessageID, it.p.Subscription, false); err != nil && !errors.Is(err, session.ErrStaleAck) {
				return done(fmt.Errorf("acking message %d at %s: %w", moved+1, from, err))
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
