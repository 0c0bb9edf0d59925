package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// noReplyError is a request that got fewer replies than asked for in time
// (exit 3).
type noReplyError struct {
	dest      string
	timeout   time.Duration
	got, want int
}

func (e *noReplyError) Kind() exitcode.Kind { return exitcode.Timeout }

func (e *noReplyError) Error() string {
	if e.got > 0 {
		return fmt.Sprintf("%d of %d replies from %s within %v (raise --timeout, or --replies 0 to take all that come)", e.got, e.want, e.dest, e.timeout)
	}
	return fmt.Sprintf("no reply from %s within %v (is a replier running? raise --timeout)", e.dest, e.timeout)
}

// tempQueueNeedsSubscribe says whether the broker delivers replies to a
// /temp-queue/ only after we subscribe to it (ActiveMQ), rather than to the
// connection that named it in reply-to (RabbitMQ, the embedded broker).
func tempQueueNeedsSubscribe(server string) bool {
	return strings.HasPrefix(server, "ActiveMQ")
}

func newRequestCommand(o *options, stdio IO) *cobra.Command {
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
				return usageErrorf("--timeout must be positive")
			}
			if replies < 0 {
				return usageErrorf("--replies must be 0 (all within --timeout) or more")
			}
			return oneShot(c, o, stdio, true, func(ctx context.Context, env *commands.Env) error {
				return request(ctx, env, args[0], []byte(args[1]), hs, timeout, replies)
			})
		},
	}
	c.Flags().StringArrayVar(&headers, "header", nil, "add a header `key=value` (repeatable)")
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the replies")
	c.Flags().IntVar(&replies, "replies", 1, "wait for `N` replies; 0 takes all that come within --timeout")
	return c
}

// request sends one request and shows its replies as they come: want of
// them (want 0: all that come within timeout).
func request(ctx context.Context, env *commands.Env, dest string, body []byte, headers [][2]string, timeout time.Duration, want int) error {
	replyTo := "/temp-queue/stomp-" + sender.NewID()
	corr := sender.NewID()
	var (
		mu   sync.Mutex
		got  int
		done = make(chan struct{}) // want replies came
	)
	isReply := func(f *frame.Frame) bool {
		return f.Command == frame.MESSAGE && f.Header.Get("correlation-id") == corr
	}
	r := env.Receive(commands.Hooks{
		Unsubscribed: isReply, // RabbitMQ delivers it to the connection, with no subscription of ours
		// A reply past the want-th (a replier answering twice) is not shown.
		Skip: func(f *frame.Frame) bool {
			if !isReply(f) {
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			if want > 0 && got >= want {
				return true
			}
			got++
			if got == want {
				defer close(done)
			}
			return false
		},
	})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	if tempQueueNeedsSubscribe(env.Session.Conn().Server()) {
		if _, err := env.Session.Subscribe(ctx, replyTo, session.AckAuto, nil); err != nil {
			env.Finish(r)
			return err
		}
	}
	headers = append(headers, [2]string{"reply-to", replyTo}, [2]string{"correlation-id", corr})
	if err := env.Session.Send(ctx, dest, body, session.SendOptions{Headers: headers, Receipt: true}); err != nil {
		env.Finish(r)
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return env.Finish(r)
	case <-timer.C:
		err := env.Finish(r)
		if n := count(); want == 0 && n > 0 || want > 0 && n >= want {
			return err
		}
		return &noReplyError{dest: dest, timeout: timeout, got: count(), want: want}
	case <-ctx.Done():
		if err := env.Finish(r); err != nil {
			env.Out.Error(err.Error())
		}
		return exitcode.StoppedBy(ctx)
	case <-r.Done():
		if r.Err() != nil {
			return r.Err()
		}
		return fmt.Errorf("the connection ended before the reply came")
	}
}

func newReplyCommand(o *options, stdio IO) *cobra.Command {
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
				return usageErrorf("give --command or --template, not both")
			}
			answer, err := replyBody(command, tmpl)
			if err != nil {
				return err
			}
			if count < 0 {
				return usageErrorf("--count cannot be negative")
			}
			return oneShot(c, o, stdio, false, func(ctx context.Context, env *commands.Env) error {
				collectSooner(stdio.Getenv)
				return serveReplies(ctx, env, args[0], answer, count)
			})
		},
	}
	c.Flags().StringVar(&command, "command", "", "answer with the output of this shell `command`")
	c.Flags().StringVar(&tmpl, "template", "", "answer with this Go `template` of the request")
	c.Flags().IntVar(&count, "count", 0, "exit after answering `N` requests")
	return c
}

// replyBody builds the function that answers one request.
func replyBody(command, tmpl string) (func(ctx context.Context, f *frame.Frame) ([]byte, error), error) {
	switch {
	case command != "":
		return func(ctx context.Context, f *frame.Frame) ([]byte, error) {
			out, stderr, err := runShell(ctx, command, f)
			if err != nil {
				return nil, fmt.Errorf("--command failed (%v): %s", err, strings.TrimSpace(string(stderr)))
			}
			return out, nil
		}, nil
	case tmpl != "":
		t, err := render.ParseTemplate("--template", tmpl)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		return func(_ context.Context, f *frame.Frame) ([]byte, error) {
			var b bytes.Buffer
			if err := t.Execute(&b, render.Data(f, time.Now())); err != nil {
				return nil, fmt.Errorf("--template: %v", err)
			}
			return b.Bytes(), nil
		}, nil
	}
	return func(_ context.Context, f *frame.Frame) ([]byte, error) { return f.Body, nil }, nil
}

// headerEnv passes a message's headers to a command as STOMP_HEADER_<NAME>
// (upper case, anything not a letter or digit as _).
func headerEnv(f *frame.Frame) []string {
	var env []string
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		name := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, k)
		env = append(env, "STOMP_HEADER_"+name+"="+v)
	}
	return env
}

func serveReplies(ctx context.Context, env *commands.Env, dest string, answer func(context.Context, *frame.Frame) ([]byte, error), count int) error {
	done := make(chan struct{})
	var once sync.Once
	answered := 0
	var failure error // a request that could not be answered: it ends the run
	r := env.Receive(commands.Hooks{Listening: true, After: func(f *frame.Frame, p *session.Pending, _ error) {
		if f.Command != frame.MESSAGE || failure != nil {
			return // after a failure, what still comes is not acked: the broker gives it back
		}
		// The answer is the sink: the request is acked only once it is
		// sent, and nacked (given back) when it cannot be.
		err := answerOne(ctx, env, f, answer)
		if p != nil {
			settle := env.Session.Ack
			if err != nil {
				settle = env.Session.Nack
			}
			if aerr := settle(ctx, p.MessageID, p.Subscription, false); aerr != nil && !errors.Is(aerr, session.ErrStaleAck) && err == nil {
				err = aerr
			}
		}
		if err != nil {
			failure = fmt.Errorf("%w; it was not acked and the run stops", err)
			once.Do(func() { close(done) })
			return
		}
		answered++
		if count > 0 && answered >= count {
			once.Do(func() { close(done) })
		}
	}})
	mode := session.AckClientIndividual
	if env.Session.Version() == "1.0" {
		mode = session.AckClient
	}
	sub, err := env.Session.Subscribe(ctx, dest, mode, nil)
	if err != nil {
		env.Finish(r)
		return err
	}
	env.Out.Info(fmt.Sprintf("Answering requests on '%s' (subscription %s)\n", sub.Destination, sub.ID))
	select {
	case <-done:
		err := env.Finish(r)
		if failure != nil { // written before done was closed
			return failure
		}
		return err
	case <-ctx.Done():
		env.FinishStopped(r)
		return nil
	case <-r.Done():
		return r.Err()
	}
}

func answerOne(ctx context.Context, env *commands.Env, f *frame.Frame, answer func(context.Context, *frame.Frame) ([]byte, error)) error {
	replyTo := f.Header.Get("reply-to")
	if replyTo == "" {
		return fmt.Errorf("request %s has no reply-to header: not answered", f.Header.Get(frame.MessageId))
	}
	body, err := answer(ctx, f)
	if err != nil {
		return fmt.Errorf("request %s: %w", f.Header.Get(frame.MessageId), err)
	}
	corr := f.Header.Get("correlation-id")
	if corr == "" {
		corr = f.Header.Get(frame.MessageId)
	}
	return env.Session.Send(ctx, replyTo, body, session.SendOptions{Headers: [][2]string{{"correlation-id", corr}}})
}
