package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/listen"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// oneShot runs a subcommand's work on a fresh connection: resolve the
// shared flags, connect, run, disconnect.
func oneShot(c *cobra.Command, o *options, stdio IO, separator bool, run func(ctx context.Context, env *commands.Env) error) error {
	if err := o.conn.resolve(c.Flags(), stdio.Getenv); err != nil {
		return err
	}
	if err := o.out.resolve(); err != nil {
		return err
	}
	if err := o.reconnect.validate(); err != nil {
		return err
	}
	printer := newPrinter(o.conn, o.out, stdio)
	env, stop, err := openEnv(c.Context(), o.conn, o.out, o.reconnect, printer, separator, false)
	if err != nil {
		return err
	}
	defer stop()
	return run(c.Context(), env)
}

// parseHeaders turns repeated key=value flags into headers.
func parseHeaders(kvs []string) ([][2]string, error) {
	var out [][2]string
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("bad --header %q: write it as key=value", kv)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func newSendCommand(o *options, stdio IO) *cobra.Command {
	var (
		headers             []string
		contentType, file   string
		persistent, receipt bool
		lines, jsonl        bool
		delimiter           string
		to                  string
		count               int
		rate                string
	)
	c := &cobra.Command{
		Use:   "send DEST [BODY] | send --jsonl [--to DEST]",
		Short: "Send messages, and exit once the broker has them all",
		Long: `send sends a message to DEST and exits 0 once the broker has confirmed it
with a receipt; a stream asks for one every few hundred messages, and
--receipt waits for each message's own. Messages a lost connection left
unconfirmed are sent again after the reconnect (at-least-once).

The body is BODY; standard input when BODY is absent or "-"; the file given
with --file (binary safe); or, with --lines, each line of standard input as
its own message, streamed in constant memory; or, with --jsonl, whole messages
as JSON lines (what listen --format json writes: headers kept, except those
the broker sets such as message-id). A BODY containing {{ is a Go
template: {{.Count}} is the message's number from 1, {{.Time}} the time it is
sent and {{.ID}} a random id.`,
		Example: `  stomp send /queue/a hello
  echo hello | stomp send /queue/a
  stomp send /queue/a --count 100 --rate 10 'message {{.Count}} at {{.Time}}'
  seq 100000 | stomp send /queue/b --lines
  stomp listen /queue/a --format json --count 10 | stomp send --jsonl --to /queue/b
  stomp send /queue/files --file report.pdf --content-type application/pdf`,
		Args: rangeArgs(0, 2),
		RunE: func(c *cobra.Command, args []string) error {
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			if contentType != "" {
				hs = append(hs, [2]string{"content-type", contentType})
			}
			if persistent {
				hs = append(hs, [2]string{"persistent", "true"})
			}
			perSecond, err := sender.ParseRate(rate)
			if err != nil {
				return err
			}
			in := sender.Input{File: file, Lines: lines, Delimiter: '\n', JSONL: jsonl, To: to, Count: count}
			switch {
			case jsonl && len(args) > 0:
				return usageErrorf("--jsonl reads whole messages from standard input: give no DEST or BODY (use --to to redirect them)")
			case !jsonl && len(args) == 0:
				return usageErrorf("send: expecting send DEST [BODY] (see stomp send --help)")
			case len(args) == 2:
				in.Dest, in.Body = args[0], args[1]
			case len(args) == 1:
				in.Dest = args[0]
			}
			if c.Flags().Changed("delimiter") {
				if in.Delimiter, err = sender.ParseDelimiter(delimiter); err != nil {
					return err
				}
				in.Lines = true // --delimiter says what a line is
			}
			if err := in.Check(); err != nil {
				return err
			}
			opts := session.SendOptions{Headers: hs, Receipt: receipt}
			return oneShot(c, o, stdio, true, func(ctx context.Context, env *commands.Env) error {
				r := env.Receive(commands.Hooks{})
				if stdio.IsStdinTTY() && in.ReadsStdin() {
					// A person at a terminal, not a pipe: say what we wait for.
					switch {
					case in.JSONL:
						fmt.Fprintln(stdio.Err, "stomp: type messages as JSON lines, then Ctrl-D to end")
					case in.Lines:
						fmt.Fprintln(stdio.Err, "stomp: type messages, one per line, then Ctrl-D to end")
					default:
						fmt.Fprintln(stdio.Err, "stomp: type the message body, then Ctrl-D on a new line to send it (or give it as an argument: stomp send DEST BODY)")
					}
				}
				if in.Lines {
					collectSooner(stdio.Getenv) // a stream may run as long as a listener (tail -f | stomp send --lines)
				}
				src, err := in.Source(stdio.In)
				if err == nil {
					err = sender.Send(ctx, env.Session, src, opts, perSecond)
				}
				return env.FinishRun(r, err)
			})
		},
	}
	fs := c.Flags()
	fs.StringArrayVar(&headers, "header", nil, "add a header `key=value` (repeatable)")
	fs.StringVar(&contentType, "content-type", "", "the content-type header")
	fs.BoolVar(&persistent, "persistent", false, "ask the broker to keep the message on disk (persistent:true)")
	fs.BoolVar(&receipt, "receipt", false, "wait for the broker's receipt for every message (slower)")
	fs.IntVar(&count, "count", 1, "send the message `N` times")
	fs.StringVar(&rate, "rate", "", "at most `R` messages per second, e.g. 100 or 100/s")
	fs.BoolVar(&lines, "lines", false, "send each line of standard input as one message")
	fs.StringVarP(&delimiter, "delimiter", "D", "", "with --lines (implied): end messages at the byte `D` instead of a newline; \\0 is NUL (as from find -print0), \\t, \\n, \\r, \\\\ and \\xHH work too")
	fs.StringVar(&file, "file", "", "read the body from `PATH` (binary safe)")
	fs.BoolVar(&jsonl, "jsonl", false, "send the messages read from standard input as JSON lines (what listen --format json writes), with their headers")
	fs.StringVar(&to, "to", "", "with --jsonl: send every message to `DEST` instead of its own destination")
	return c
}

// rangeArgs is cobra.RangeArgs with our usage error (exit 2).
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageErrorf("%s: expecting %s (see stomp %s --help)", c.Name(), c.Use, c.Name())
		}
		return nil
	}
}

func newListenCommand(o *options, stdio IO) *cobra.Command {
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
				return usageErrorf("listen: give at least one destination (see stomp listen --help)")
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
			return oneShot(c, o, stdio, false, func(ctx context.Context, env *commands.Env) error {
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
