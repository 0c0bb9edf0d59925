// Package rpc is request and reply over STOMP: Request sends a message
// with a reply-to temporary queue and a correlation-id and shows the
// replies (stomp request); Serve answers the requests on a destination
// (stomp reply).
package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/msgexec"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// tempQueueNeedsSubscribe says whether the broker delivers replies to a
// /temp-queue/ only after we subscribe to it (ActiveMQ), rather than to the
// connection that named it in reply-to (RabbitMQ, the embedded broker).
func tempQueueNeedsSubscribe(server string) bool {
	return strings.HasPrefix(server, "ActiveMQ")
}

// Request sends one request and shows its replies as they come: want of
// them (want 0: all that come within timeout). Fewer within timeout is a
// timeout error (exit 3).
func Request(ctx context.Context, env *commands.Env, dest string, body []byte, headers [][2]string, timeout time.Duration, want int) error {
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
		if got := count(); got > 0 {
			return exitcode.Timeoutf("%d of %d replies from %s within %v (raise --timeout, or --replies 0 to take all that come)", got, want, dest, timeout)
		}
		return exitcode.Timeoutf("no reply from %s within %v (is a replier running? raise --timeout)", dest, timeout)
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

// Answer builds the function that answers one request: the output of the
// shell command, the template rendered with the request, or else the
// request's own body (an echo).
func Answer(command, tmpl string) (func(ctx context.Context, f *frame.Frame) ([]byte, error), error) {
	switch {
	case command != "":
		return func(ctx context.Context, f *frame.Frame) ([]byte, error) {
			out, stderr, err := msgexec.Run(ctx, command, f)
			if err != nil {
				return nil, fmt.Errorf("--command failed (%v): %s", err, strings.TrimSpace(string(stderr)))
			}
			return out, nil
		}, nil
	case tmpl != "":
		t, err := render.ParseTemplate("--template", tmpl)
		if err != nil {
			return nil, exitcode.New(exitcode.Usage, "%v", err)
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

// Serve answers the requests that arrive on dest (see Answer) on their
// reply-to destination, with their correlation-id, acking each once its
// answer is sent, until Ctrl-C or count answers; a request that cannot be
// answered is nacked and ends the run.
func Serve(ctx context.Context, env *commands.Env, dest string, answer func(context.Context, *frame.Frame) ([]byte, error), count int) error {
	done := make(chan struct{})
	var once sync.Once
	answered := 0
	var failure error // a request that could not be answered: it ends the run
	stopped := func(f *frame.Frame) bool { return f.Command == frame.MESSAGE && ctx.Err() != nil }
	r := env.Receive(commands.Hooks{Listening: true, Skip: stopped, After: func(f *frame.Frame, p *session.Pending, _ error) {
		if f.Command != frame.MESSAGE || failure != nil || stopped(f) {
			// After a failure or a stop, what still comes is not acked:
			// the broker gives it back (nor shown, once stopped).
			return
		}
		// The answer is the sink: the request is acked only once it is
		// sent, and nacked (given back) when it cannot be. Ack and Nack
		// go out even if the run is stopped meanwhile.
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
		if err != nil && ctx.Err() != nil {
			return // stopped while answering (the command was killed): given back, no failure of the run
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
