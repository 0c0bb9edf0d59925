package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// listenOpts are what -L and `stomp listen` share.
type listenOpts struct {
	dests []string
	ack   string
	// ackGiven: --ack was on the command line. Only then does --count keep
	// auto mode (see runListen).
	ackGiven    bool
	count       int           // stop after this many messages (0 = never)
	idle        time.Duration // stop when no message came for this long (0 = never)
	headers     [][2]string   // extra SUBSCRIBE headers (selector, ...)
	browse      bool
	exec        string // run this for each message instead of printing it
	concurrency int
	// maxRedeliveries bounds the runs of exec for one message after the
	// first; then it goes to deadLetter, or the run stops.
	maxRedeliveries int
	deadLetter      string
}

// countTimeoutError ends a listen whose --timeout passed before --count
// messages came (exit 3).
type countTimeoutError struct {
	got, want int
	idle      time.Duration
}

func (e *countTimeoutError) Kind() exitcode.Kind { return exitcode.Timeout }

func (e *countTimeoutError) Error() string {
	return fmt.Sprintf("timed out: %d of %d messages arrived (no message for %v)", e.got, e.want, e.idle)
}

// runListen subscribes to every destination and shows messages until
// Ctrl-C or SIGTERM (exit 0), --count messages (exit 0), --timeout of
// silence (exit 0, or 3 when --count was not reached), the end of a browse,
// or the end of the connection (exit 1). In client ack modes each message
// is acked only after it has been written out, so nothing acked is lost.
func runListen(ctx context.Context, env *commands.Env, lo listenOpts) error {
	if lo.exec != "" {
		return runExec(ctx, env, lo)
	}
	if err := checkBrokerFeatures(env, lo); err != nil {
		env.Finish(env.Receive(commands.Hooks{}))
		return err
	}
	if lo.browse {
		lo.headers = append(lo.headers, [2]string{"browser", "true"})
	}
	// With --count, exactly count messages are shown: we take them in client
	// mode and ack (cumulatively) only those shown, so any extra the broker
	// had already sent goes back to the queue instead of being lost. That
	// costs the broker its bookkeeping of unacked messages (RabbitMQ
	// delivers about 15% fewer per second), so an explicit --ack auto keeps
	// auto mode: the user chose its meaning, extras included, as
	// mosquitto_sub -C and nats sub --count do. With several destinations
	// each message is acked on its own (client-individual): RabbitMQ's
	// cumulative ack covers the whole connection, so acking one
	// subscription's newest would ack another's extras too, and a later ack
	// of those is refused ("unknown delivery tag").
	mode, batchAck := lo.ack, false
	if lo.count > 0 && lo.ack == session.AckAuto && !lo.ackGiven {
		mode, batchAck = session.AckClient, true
		if len(lo.dests) > 1 && env.Session.Version() != "1.0" {
			mode = session.AckClientIndividual
		}
	}
	var (
		mu       sync.Mutex
		failure  error // the first sink or ack failure: it ends the run
		seen     int
		skipped  bool
		unacked  []*session.Pending    // batchAck: shown, not yet acked
		done     = make(chan struct{}) // count reached, browse ended or a sink failed
		doneOnce sync.Once
		arrived  = make(chan struct{}, 1)
	)
	end := func() { doneOnce.Do(func() { close(done) }) }
	fail := func(err error) {
		mu.Lock()
		if failure == nil {
			failure = err
		}
		mu.Unlock()
		end()
	}
	// Output is batched and flushed whenever no message waits, so a trickle
	// shows at once and a flood costs one write per batch, not per message.
	env.Out.Buffer()
	ack := func(p *session.Pending) {
		// A stale ack (the message came before a reconnect) is fine: the
		// broker redelivers that message.
		if err := env.Session.Ack(ctx, p.MessageID, p.Subscription, false); err != nil && !errors.Is(err, session.ErrStaleAck) {
			fail(err)
		}
	}
	// flushAcks acks what is shown, once it is really written out: nothing
	// is acked before its output is flushed.
	flushAcks := func() bool {
		if err := env.Out.Flush(); err != nil {
			fail(fmt.Errorf("writing output: %w (what was not written is not acked: the broker keeps it)", err))
			return false
		}
		if mode == session.AckClient && len(unacked) > 0 {
			// One cumulative ack per subscription covers the rest.
			newest := map[string]*session.Pending{}
			for _, p := range unacked {
				newest[p.Subscription] = p
			}
			unacked = unacked[:0]
			for _, p := range newest {
				ack(p)
			}
		}
		for _, p := range unacked {
			ack(p)
		}
		unacked = unacked[:0]
		return true
	}
	browseEnd := func(f *frame.Frame) bool { return lo.browse && f.Header.Get("browser") == "end" }
	r := env.Receive(commands.Hooks{
		Listening: true,
		// The hooks run one after the other on the receiver's goroutine.
		Skip: func(f *frame.Frame) bool {
			mu.Lock()
			defer mu.Unlock()
			skipped = browseEnd(f) || f.Command == frame.MESSAGE && (lo.count > 0 && seen >= lo.count || failure != nil)
			return skipped
		},
		After: func(f *frame.Frame, p *session.Pending, sinkErr error) {
			if f.Command != frame.MESSAGE {
				return
			}
			if browseEnd(f) {
				end()
			}
			if skipped {
				return
			}
			if sinkErr != nil {
				// Not acked: NACK gives it back at once where the protocol
				// has it; otherwise the broker redelivers it when we go.
				if p != nil && env.Session.Version() != "1.0" {
					_ = env.Session.Nack(ctx, p.MessageID, p.Subscription, false)
				}
				fail(fmt.Errorf("message %s was not acked: %w", render.VisibleLine(f.Header.Get(frame.MessageId)), sinkErr))
				return
			}
			if p != nil {
				unacked = append(unacked, p)
			}
			mu.Lock()
			seen++
			n := seen
			mu.Unlock()
			idle := len(env.Session.Conn().Incoming()) == 0
			ackNow := p != nil && (!batchAck || n%100 == 0 || n == lo.count)
			if idle || ackNow {
				if !flushAcks() {
					return
				}
			}
			if n == lo.count {
				end()
			}
			select {
			case arrived <- struct{}{}:
			default:
			}
		},
	})
	for _, dest := range lo.dests {
		if _, err := commands.Subscribe(ctx, env, dest, mode, lo.headers); err != nil {
			if ctx.Err() != nil {
				break // Ctrl-C while subscribing: stopped by the user, below
			}
			env.Finish(r)
			return err
		}
	}
	_ = env.Out.Flush()
	var idle <-chan time.Time
	var timer *time.Timer
	if lo.idle > 0 {
		timer = time.NewTimer(lo.idle)
		defer timer.Stop()
		idle = timer.C
	}
	for {
		select {
		case <-arrived:
			if timer != nil {
				timer.Reset(lo.idle)
			}
			continue
		case <-done:
			err := env.Finish(r)
			mu.Lock()
			defer mu.Unlock()
			if failure != nil {
				return failure
			}
			return err
		case <-idle:
			err := env.Finish(r)
			mu.Lock()
			got := seen
			mu.Unlock()
			if lo.count > 0 && got < lo.count {
				return &countTimeoutError{got: got, want: lo.count, idle: lo.idle}
			}
			return err
		case <-ctx.Done():
			env.FinishStopped(r)
			return nil
		case <-r.Done():
			if r.Err() != nil {
				return r.Err()
			}
			mu.Lock()
			defer mu.Unlock()
			return failure
		}
	}
}

// checkBrokerFeatures refuses --browse and --selector on brokers that
// would ignore them and consume the messages instead: only ActiveMQ
// honours `browser:true` and JMS selectors (RabbitMQ and the embedded
// broker ignore both).
func checkBrokerFeatures(env *commands.Env, lo listenOpts) error {
	server := env.Session.Conn().Server()
	if strings.HasPrefix(server, "ActiveMQ") {
		return nil
	}
	if server == "" {
		server = "this broker"
	}
	if lo.browse {
		return usageErrorf("--browse is not supported by %s: it would consume the messages instead of showing them (ActiveMQ supports browsing)", server)
	}
	for _, h := range lo.headers {
		if h[0] == "selector" {
			return usageErrorf("--selector is not supported by %s: it would ignore the selector and consume the messages it excludes (ActiveMQ supports selectors)", server)
		}
	}
	return nil
}
