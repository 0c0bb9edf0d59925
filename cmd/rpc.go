package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/rpc"
)

func newRequestCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var (
		headers []string
		timeout time.Duration
		replies int
	)
	c := &cobra.Command{
		Use:   "request DEST BODY",
		Short: "Send a request and print the reply",
		Long: `request sends BODY to DEST with a reply-to header naming a temporary queue
and a correlation-id, waits for the reply, prints it and exits. With
--replies N it waits for N replies (several repliers on a topic), printing
each as it comes; --replies 0 takes every reply that comes within --timeout.
Exit status 3 when fewer replies than asked for came within --timeout (with
--replies 0: when none came).`,
		Example: `  stomp request /queue/rpc 'what time is it?'
  stomp request /queue/rpc ping --format raw --timeout 2s
  stomp request /topic/census 'who is there?' --replies 0 --timeout 1s`,
		Args: rangeArgs(2, 2),
		RunE: func(c *cobra.Command, args []string) error {
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			if timeout <= 0 {
				return exitcode.Usagef("--timeout must be positive")
			}
			if replies < 0 {
				return exitcode.Usagef("--replies must be 0 (all within --timeout) or more")
			}
			return oneShot(c, o, stdio, requestShot, func(ctx context.Context, env *commands.Env) error {
				return rpc.Request(ctx, env, args[0], []byte(args[1]), hs, timeout, replies)
			})
		},
	}
	c.Flags().StringArrayVar(&headers, "header", nil, "add a header `key=value` (repeatable)")
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the replies")
	c.Flags().IntVar(&replies, "replies", 1, "wait for `N` replies; 0 takes all that come within --timeout")
	return c
}

func newReplyCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var (
		command, tmpl string
		count         int
	)
	c := &cobra.Command{
		Use:   "reply DEST",
		Short: "Answer the requests that arrive on a destination",
		Long: `reply consumes requests from DEST and answers each one on its reply-to
destination with the request's correlation-id. The answer is the request's
body (an echo server), or --template rendered with the request (a Go template:
{{.Body}}, {{.Headers.name}}), or the standard output of --command run with
the request body on its standard input and the headers in STOMP_HEADER_<NAME>
environment variables (like nats reply --command). A request is acked once
its answer is sent; one that cannot be answered (no reply-to, the command
fails) is nacked, so the broker keeps it, and the run stops with exit 1.`,
		Example: `  stomp reply /queue/rpc --command 'date -u'
  stomp reply /queue/rpc --template 'you said: {{.Body}}' --count 1`,
		Args: rangeArgs(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if command != "" && tmpl != "" {
				return exitcode.Usagef("give --command or --template, not both")
			}
			answer, err := rpc.Answer(command, tmpl)
			if err != nil {
				return err
			}
			if count < 0 {
				return exitcode.Usagef("--count cannot be negative")
			}
			return oneShot(c, o, stdio, listenerShot, func(ctx context.Context, env *commands.Env) error {
				collectSooner(stdio.Getenv)
				return rpc.Serve(ctx, env, args[0], answer, count)
			})
		},
	}
	c.Flags().StringVar(&command, "command", "", "answer with the output of this shell `command`")
	c.Flags().StringVar(&tmpl, "template", "", "answer with this Go `template` of the request")
	c.Flags().IntVar(&count, "count", 0, "exit after answering `N` requests")
	return c
}
