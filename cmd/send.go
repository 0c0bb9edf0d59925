package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func newSendCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
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
the broker sets such as message-id; a line that is no such message stops the
run there, exit 2, saying which line and what the broker confirmed before
it). A BODY containing {{ is a Go
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
				return exitcode.Usagef("--jsonl reads whole messages from standard input: give no DEST or BODY (use --to to redirect them)")
			case !jsonl && len(args) == 0:
				return exitcode.Usagef("send: expecting send DEST [BODY] (see stomp send --help)")
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
			return oneShot(c, o, stdio, shellShot, func(ctx context.Context, env *commands.Env) error {
				r := env.Receive(commands.Hooks{})
				if stdio.IsStdinTTY() && in.ReadsStdin() {
					// A person at a terminal, not a pipe: say what we wait for.
					switch {
					case in.JSONL:
						fmt.Fprintln(stdio.Err, "stomp: type messages as JSON lines, then Ctrl-D to end")
					case in.Lines && in.Delimiter != '\n':
						fmt.Fprintf(stdio.Err, "stomp: type messages, each ended by '%s', then Ctrl-D to end\n", delimiter)
					case in.Lines:
						fmt.Fprintln(stdio.Err, "stomp: type messages, one per line, then Ctrl-D to end")
					default:
						fmt.Fprintln(stdio.Err, "stomp: type the message body, then Ctrl-D on a new line to send it (or give it as an argument: stomp send DEST BODY)")
					}
				}
				if in.Lines {
					collectSooner(stdio.Getenv) // a stream may run as long as a listener (tail -f | stomp send --lines)
				}
				src, err := in.Source(stdio.InUntil(ctx))
				if err == nil {
					err = sender.Send(ctx, env.Session, src, opts, perSecond)
				}
				err = env.FinishRun(r, err)
				if bad := (*sender.InputError)(nil); errors.As(err, &bad) {
					// Finished: the messages before the bad line are settled.
					err = exitcode.Usagef("%v; %s", err, sentBefore(env.Session))
				}
				return stoppedSending(ctx, err, env.Session, "the rest were not sent")
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

// stoppedSending is the verdict of a run that sends (send, a script) when
// it ended with err: unchanged, unless a signal (Ctrl-C, SIGTERM) stopped it
// before it was done. Then it is the signal's exit code and how many
// messages the broker has, counted from its receipts, so the user knows
// where to start again; rest says what was not done.
func stoppedSending(ctx context.Context, err error, sess *session.Session, rest string) error {
	stopped := exitcode.StoppedBy(ctx)
	if err == nil || stopped == nil {
		return err
	}
	return exitcode.New(exitcode.KindOf(stopped), "%v: %s; %s", stopped, confirmedSoFar(sess), rest)
}

// sentBefore says what became of the messages sent before a bad input
// line, once the run is finished.
func sentBefore(sess *session.Session) string {
	if sess.Confirmed()+sess.Unconfirmed() == 0 {
		return "nothing was sent"
	}
	return "before it " + confirmedSoFar(sess) + "; it and the lines after it were not sent"
}

// confirmedSoFar is how many messages the broker has, counted from its
// receipts, and how many more were sent without a receipt yet.
func confirmedSoFar(sess *session.Session) string {
	confirmed, unconfirmed := sess.Confirmed(), sess.Unconfirmed()
	if unconfirmed == 0 {
		return fmt.Sprintf("%d message(s) sent, all confirmed by the broker", confirmed)
	}
	return fmt.Sprintf("%d message(s) confirmed by the broker, %d more sent but not confirmed (they may or may not have arrived)", confirmed, unconfirmed)
}
