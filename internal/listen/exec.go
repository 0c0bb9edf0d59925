package listen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/msgexec"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// execRetry is the wait before running the command again for a message it
// failed: growing, so a command that keeps failing (its database is down)
// is not run thousands of times a second, as it would be if we nacked at
// once and RabbitMQ redelivered at once.
var execRetry = session.Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second}

// runExec runs a command for each message (listen --exec): the body on its
// standard input, the headers in STOMP_HEADER_<NAME> variables. A message
// is acked once the command exits 0. When it fails, it is run again for
// that message after a growing wait, up to --max-redeliveries times; then
// the message is moved to --dead-letter (sent with its headers, confirmed
// by the broker, then acked), or nacked and the run stops with exit 1.
// --concurrency commands run at once; the command's output is passed
// through, one message's output at a time.
func runExec(ctx context.Context, env *commands.Env, lo Options) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if env.Session.Version() == "1.0" {
		env.Finish(env.Receive(commands.Hooks{}))
		return exitcode.New(exitcode.Usage, "--exec needs STOMP 1.1 or later (it nacks messages whose command fails): this broker speaks 1.0")
	}
	if err := checkBrokerFeatures(env, lo); err != nil {
		env.Finish(env.Receive(commands.Hooks{}))
		return err
	}
	type job struct {
		f *frame.Frame
		p *session.Pending
	}
	var (
		jobs       = make(chan job)
		quit       = make(chan struct{})
		done       = make(chan struct{})
		doneOnce   sync.Once
		mu         sync.Mutex
		dispatched int
		processed  int
		moved      int
		failure    error // the first message that could not be handled: it ends the run
		workers    sync.WaitGroup
	)
	end := func() { doneOnce.Do(func() { close(done) }) }
	r := env.Receive(commands.Hooks{
		Listening: true,
		Skip:      func(f *frame.Frame) bool { return f.Command == frame.MESSAGE },
		After: func(f *frame.Frame, p *session.Pending, _ error) {
			if f.Command != frame.MESSAGE || p == nil {
				return
			}
			mu.Lock()
			over := lo.Count > 0 && dispatched >= lo.Count || failure != nil
			if !over {
				dispatched++
			}
			mu.Unlock()
			if over {
				return // not acked: the broker gives it to someone else
			}
			select {
			case jobs <- job{f, p}:
			case <-quit:
			}
		},
	})
	settle := func(j job, ack bool) {
		var err error
		// Past Ctrl-C or SIGTERM too (the session settles past a stop): a
		// message whose command ran must not be delivered again.
		if ack {
			err = env.Session.Ack(ctx, j.p.MessageID, j.p.Subscription, false)
		} else {
			err = env.Session.Nack(ctx, j.p.MessageID, j.p.Subscription, false)
		}
		if err != nil && !errors.Is(err, session.ErrStaleAck) {
			env.Out.Error("ack: " + err.Error())
		}
	}
	for range max(1, lo.Concurrency) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case j := <-jobs:
					err := execWithRetries(ctx, env, lo, j.f)
					deadLettered := false
					if err != nil && lo.DeadLetter != "" && ctx.Err() == nil {
						if err = moveToDeadLetter(ctx, env, lo.DeadLetter, j.f, err); err == nil {
							deadLettered = true
						}
					}
					settle(j, err == nil)
					mu.Lock()
					switch {
					case err == nil:
						processed++
						if deadLettered {
							moved++
						}
					case ctx.Err() == nil && failure == nil:
						failure = err
					}
					if failure != nil || lo.Count > 0 && processed >= lo.Count {
						end()
					}
					mu.Unlock()
				case <-quit:
					return
				}
			}
		}()
	}
	for _, dest := range lo.Dests {
		sub, err := env.Session.Subscribe(ctx, dest, session.AckClientIndividual, lo.Headers)
		if err != nil {
			close(quit)
			workers.Wait()
			env.Finish(r)
			return err
		}
		env.Out.Info(fmt.Sprintf("Running %q for each message from '%s' (subscription %s)\n", lo.Exec, sub.Destination, sub.ID))
	}
	var err error
	stoppedByUser := false
	select {
	case <-done:
	case <-ctx.Done():
		stoppedByUser = true
	case <-r.Done():
		err = r.Err()
	}
	close(quit)
	stop() // a command still running for a message is stopped; the message is nacked
	workers.Wait()
	if stoppedByUser {
		env.FinishStopped(r)
	} else if ferr := env.Finish(r); err == nil {
		err = ferr
	}
	mu.Lock()
	defer mu.Unlock()
	if moved > 0 {
		env.Out.Error(fmt.Sprintf("%d message(s) the command kept failing were moved to %s", moved, lo.DeadLetter))
	}
	if failure != nil {
		return failure
	}
	return err
}

// execWithRetries runs the command for one message until it succeeds or
// has failed 1 + --max-redeliveries times, waiting longer each time.
func execWithRetries(ctx context.Context, env *commands.Env, lo Options, f *frame.Frame) error {
	id := render.VisibleLine(f.Header.Get(frame.MessageId))
	for attempt := 1; ; attempt++ {
		err := execOne(ctx, env, lo.Exec, f)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if attempt > lo.MaxRedeliveries {
			if lo.DeadLetter == "" {
				return fmt.Errorf("message %s: --exec command failed %d time(s), the last with %v; the message was nacked and the run stops (--dead-letter DEST moves such messages aside and goes on)", id, attempt, err)
			}
			return fmt.Errorf("message %s: --exec command failed %d time(s), the last with %v", id, attempt, err)
		}
		wait := execRetry.Delay(attempt)
		env.Out.Error(fmt.Sprintf("message %s: --exec command failed: %v; running it again in %v (%d of %d)",
			id, err, wait.Round(time.Millisecond), attempt, lo.MaxRedeliveries))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// moveToDeadLetter sends a message the command kept failing to dest with
// its headers (not those the broker sets per delivery), and waits for the
// broker's receipt: only then may the original be acked.
func moveToDeadLetter(ctx context.Context, env *commands.Env, dest string, f *frame.Frame, cause error) error {
	var headers [][2]string
	for i := range f.Header.Len() {
		k, v := f.Header.GetAt(i)
		switch k {
		case frame.MessageId, frame.Subscription, frame.Ack, frame.Destination, frame.ContentLength, "redelivered":
			continue
		}
		headers = append(headers, [2]string{k, v})
	}
	headers = append(headers, [2]string{"x-original-destination", f.Header.Get(frame.Destination)})
	if err := env.Session.Send(ctx, dest, f.Body, session.SendOptions{Headers: headers, Receipt: true}); err != nil {
		return fmt.Errorf("%v; moving it to --dead-letter %s failed too: %w", cause, dest, err)
	}
	env.Out.Error(fmt.Sprintf("%v; moved to %s", cause, dest))
	return nil
}

// execOne runs the command for one message and passes its output on.
func execOne(ctx context.Context, env *commands.Env, command string, f *frame.Frame) error {
	stdout, stderr, err := msgexec.Run(ctx, command, f)
	if len(stdout) > 0 {
		_, _ = env.Out.Write(stdout)
	}
	if len(stderr) > 0 {
		env.Out.Error(string(bytes.TrimRight(stderr, "\n")))
	}
	return err
}
