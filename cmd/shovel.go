package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/shovel"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func newShovelCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var (
		to      connect.Redirect
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
				return exitcode.Usagef("--count and --timeout cannot be negative")
			}
			if args[1] == "" { // found before a message waits on it
				return session.ErrEmptyDestination
			}
			if err := to.Check(); err != nil {
				return err
			}
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			return oneShot(c, o, stdio, listenerShot, func(ctx context.Context, src *commands.Env) error {
				dst, err := openTarget(ctx, o, to, src)
				if err != nil {
					src.Finish(src.Receive(commands.Hooks{}))
					return fmt.Errorf("destination broker: %w", err)
				}
				return shovel.Run(ctx, src, dst, shovel.Options{From: args[0], To: args[1], Headers: hs, Count: count, Idle: idle})
			})
		},
	}
	fs := c.Flags()
	fs.StringVar(&to.Host, "to-host", "", "send to this broker host (default: the source broker)")
	fs.StringVar(&to.Port, "to-port", "", "its port")
	fs.StringVar(&to.User, "to-user", "", "its login")
	fs.StringVar(&to.Password, "to-password", "", "its password")
	fs.StringVar(&to.Vhost, "to-vhost", "", "its virtual host")
	fs.IntVar(&count, "count", 0, "stop after moving `N` messages")
	fs.DurationVar(&idle, "timeout", 0, "stop when no message came for this long")
	fs.StringArrayVar(&headers, "header", nil, "add a header `key=value` to every message moved (repeatable)")
	return c
}

// openTarget connects to the destination broker: the source session's
// config (its embedded broker, if it started one) with --to-* overrides.
func openTarget(ctx context.Context, o *options, to connect.Redirect, src *commands.Env) (*commands.Env, error) {
	cfg := to.Apply(src.Session.Config())
	cfg.Client.Trace = nil // one -V trace (the source's) is enough
	sess, err := session.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	dst := o.out.Env(sess, src.Out, render.Style{}, "stomp "+Version()) // not verbose: one -V trace is enough
	return dst, nil
}
