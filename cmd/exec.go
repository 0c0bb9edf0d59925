package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/session"
)

// runExec runs a command for each message (listen --exec): the body on its
// standard input, the headers in STOMP_HEADER_<NAME> variables. A message
// is acked when the command exits 0 and nacked otherwise, so the broker
// redelivers it (RabbitMQ) or dead-letters it (ActiveMQ). --concurrency
// commands run at once; the command's output is passed through, one
// message's output at a time.
func runExec(ctx context.Context, env *commands.Env, lo listenOpts) error {
	ctx, stop := stopOnSignal(ctx)
	defer stop()
	if env.Session.Version() == "1.0" {
		finish(env, startReceiver(env, receiveHooks{}))
		return usageErrorf("--exec needs STOMP 1.1 or later (it nacks messages whose command fails): this broker speaks 1.0")
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
		failed     int
		workers    sync.WaitGroup
	)
	r := startReceiver(env, receiveHooks{
		listening: true,
		skip:      func(f *frame.Frame) bool { return f.Command == frame.MESSAGE },
		after: func(f *frame.Frame, p *session.Pending) {
			if f.Command != frame.MESSAGE || p == nil {
				return
			}
			mu.Lock()
			over := lo.count > 0 && dispatched >= lo.count
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
	for i := 0; i < max(1, lo.concurrency); i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case j := <-jobs:
					ok := execOne(ctx, env, lo.exec, j.f)
					var err error
					if ok {
						err = env.Session.Ack(ctx, j.p.MessageID, j.p.Subscription, false)
					} else {
						err = env.Session.Nack(ctx, j.p.MessageID, j.p.Subscription, false)
					}
					if err != nil && !errors.Is(err, session.ErrStaleAck) {
						env.Out.Error("ack: " + err.Error())
					}
					mu.Lock()
					processed++
					if !ok {
						failed++
					}
					if lo.count > 0 && processed >= lo.count {
						doneOnce.Do(func() { close(done) })
					}
					mu.Unlock()
				case <-quit:
					return
				}
			}
		}()
	}
	for _, dest := range lo.dests {
		sub, err := env.Session.Subscribe(ctx, dest, session.AckClientIndividual, lo.headers)
		if err != nil {
			close(quit)
			workers.Wait()
			finish(env, r)
			return err
		}
		env.Out.Info(fmt.Sprintf("Running %q for each message from '%s' (subscription %s)\n", lo.exec, sub.Destination, sub.ID))
	}
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		exitOnSecondSignal()
	case <-r.done:
		err = r.err
	}
	close(quit)
	workers.Wait()
	if ferr := finish(env, r); err == nil {
		err = ferr
	}
	mu.Lock()
	defer mu.Unlock()
	if failed > 0 {
		env.Out.Error(fmt.Sprintf("%d of %d message(s) failed and were nacked", failed, processed))
	}
	return err
}

// runShell runs command with a message: the body on its standard input,
// the headers in STOMP_HEADER_<NAME> variables (reply --command and listen
// --exec alike).
func runShell(ctx context.Context, command string, f *frame.Frame) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdin = bytes.NewReader(f.Body)
	cmd.Env = append(os.Environ(), headerEnv(f)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// execOne runs the command for one message and passes its output on.
func execOne(ctx context.Context, env *commands.Env, command string, f *frame.Frame) bool {
	stdout, stderr, err := runShell(ctx, command, f)
	if len(stdout) > 0 {
		_, _ = env.Out.Write(stdout)
	}
	if len(stderr) > 0 {
		env.Out.Error(string(bytes.TrimRight(stderr, "\n")))
	}
	if err != nil {
		env.Out.Error(fmt.Sprintf("message %s: --exec command failed: %v", f.Header.Get(frame.MessageId), err))
		return false
	}
	return true
}
