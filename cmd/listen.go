package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/listen"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func newListenCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var (
		lo         listen.Options
		headers    []string
		selector   string
		allHeaders bool
	)
	c := &cobra.Command{
		Use:   "listen DEST...",
		Short: "Print messages from one or more destinations",
		Long: `listen subscribes to every DEST and prints what arrives (as -L does) until
Ctrl-C, --count messages, or --timeout without a message. With --ack client or
client-individual, each message is acked only after it has been written out.
Exit status: 0 when stopped by the user or --count was reached, 3 when
--timeout passed before --count messages came, 1 on failure.`,
		Example: `  stomp listen /queue/a /topic/news
  stomp listen /queue/a --count 10 --format json | jq .body
  stomp listen /queue/work --ack client-individual --format raw > work.txt
  stomp listen /queue/a --browse    # ActiveMQ: show without consuming
  stomp listen /queue/jobs --exec ./handle.sh --concurrency 4`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.Usagef("listen: give at least one destination (see stomp listen --help)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			var err error
			if lo.Headers, err = parseHeaders(headers); err != nil {
				return err
			}
			if selector != "" {
				lo.Headers = append(lo.Headers, [2]string{"selector", selector})
			}
			if err := checkAckFlag(lo.Ack); err != nil {
				return err
			}
			if err := lo.Validate(); err != nil {
				return err
			}
			lo.AckGiven = c.Flags().Changed("ack")
			lo.Dests = args
			return oneShot(c, o, stdio, listenerShot, func(ctx context.Context, env *commands.Env) error {
				env.Style.AllHeaders = allHeaders
				// Several destinations share the output: say which each
				// message came from, from the first message on.
				env.Style.Destination = len(lo.Dests) > 1
				collectSooner(stdio.Getenv)
				return listen.Run(ctx, env, lo)
			})
		},
	}
	fs := c.Flags()
	fs.IntVar(&lo.Count, "count", 0, "exit after `N` messages; any the broker sent past N go back to the queue, unless --ack auto is given")
	fs.DurationVar(&lo.Idle, "timeout", 0, "exit when no message came for this long (exit 3 if --count was not reached)")
	fs.StringVar(&lo.Ack, "ack", session.AckAuto, "ack mode: auto, client or client-individual")
	fs.StringVar(&selector, "selector", "", "a JMS selector, e.g. \"type = 'order'\" (ActiveMQ)")
	fs.StringArrayVar(&headers, "header", nil, "add a SUBSCRIBE header `key=value` (repeatable)")
	fs.BoolVarP(&allHeaders, "all-headers", "v", false, "show every header of each message, not only message-id and subscription (as mosquitto_sub -v)")
	fs.BoolVar(&lo.Browse, "browse", false, "show the messages without consuming them (ActiveMQ only)")
	fs.StringVar(&lo.Exec, "exec", "", "run shell `command` for each message (body on stdin, headers in STOMP_HEADER_*); ack if it exits 0, nack otherwise")
	fs.IntVar(&lo.Concurrency, "concurrency", 1, "with --exec: run up to `N` commands at once")
	fs.IntVar(&lo.MaxRedeliveries, "max-redeliveries", 5, "with --exec: run the command again at most `N` times for a message it failed, waiting longer each time; then --dead-letter it, or stop (exit 1)")
	fs.StringVar(&lo.DeadLetter, "dead-letter", "", "with --exec: move a message the command still failed after --max-redeliveries to `DEST`, with its headers, and go on")
	return c
}
