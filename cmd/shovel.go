package cmd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/shovel"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// shovelTarget overrides where `stomp shovel` sends to; empty fields keep
// the source connection's values.
type shovelTarget struct {
	host, port, user, password, vhost string
}

func newShovelCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
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
				return exitcode.Usagef("--count and --timeout cannot be negative")
			}
			if to.port != "" {
				if n, err := strconv.Atoi(to.port); err != nil || n < 1 || n > 65535 {
					return exitcode.Usagef("invalid --to-port %q: give a number from 1 to 65535", to.port)
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
				return shovel.Run(ctx, src, dst, shovel.Options{From: args[0], To: args[1], Headers: hs, Count: count, Idle: idle})
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
