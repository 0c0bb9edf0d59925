// Package listen runs a listener, -L and `stomp listen`: it subscribes to
// destinations and hands each message to its sink until Ctrl-C, --count
// messages or --timeout of silence. The sink is the printer, with each
// message acked only once it is written out, or a shell command per
// message (--exec), acked when it succeeds, retried with a growing wait
// and moved to a dead-letter destination when it keeps failing.
package listen

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

// Options say what to listen to and how (-L and `stomp listen`).
type Options struct {
	Dests []string
	Ack   string
	// AckGiven: --ack was on the command line. Only then does Count keep
	// auto mode (see Run).
	AckGiven    bool
	Count       int           // stop after this many messages (0 = never)
	Idle        time.Duration // stop when no message came for this long (0 = never)
	Headers     [][2]string   // extra SUBSCRIBE headers (selector, ...)
	Browse      bool
	Exec        string // run this shell command for each message instead of printing it
	Concurrency int
	// MaxRedeliveries bounds the runs of Exec for one message after the
	// first; then it goes to DeadLetter, or the run stops.
	MaxRedeliveries int
	DeadLetter      string
}

// Run subscribes to every destination and shows messages until
// Ctrl-C or SIGTERM (exit 0), --count messages (exit 0), --timeout of
// silence (exit 0, or 3 when --count was not reached), the end of a browse,
// or the end of the connection (exit 1). In client ack modes each message
// is acked only after it has been written out, so nothing acked is lost.
func Run(ctx context.Context, env *commands.Env, lo Options) error {
	if lo.Exec != "" {
		return runExec(ctx, env, lo)
	}
	if err := checkBrokerFeatures(env, lo); err != nil {
		env.Finish(env.Receive(commands.Hooks{}))
		return err
	}
	if lo.Browse {
		lo.Headers = append(lo.Headers, [2]string{"browser", "true"})
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
	mode, batchAck := lo.Ack, false
	if lo.Count > 0 && lo.Ack == session.AckAuto && !lo.AckGiven {
		mode, batchAck = session.AckClient, true
		if len(lo.Dests) > 1 && env.Session.Version() != "1.0" {
			mode = session.AckClientIndividual
		}
	}
	var (
		mu       sync.Mutex
		failure  error // the first sink or ack failure: it ends the run
		seen     int
		skipped  bool
		stopped  bool                  // by the user: nothing more is shown
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
	// A message shown is acked even after Ctrl-C or SIGTERM (the session
	// settles past a stop): the stop must not turn it into a redelivery,
	// nor its ack into the run's failure.
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
	browseEnd := func(f *frame.Frame) bool { return lo.Browse && f.Header.Get("browser") == "end" }
	r := env.Receive(commands.Hooks{
		Listening: true,
		// The hooks run one after the other on the receiver's goroutine.
		Skip: func(f *frame.Frame) bool {
			mu.Lock()
			defer mu.Unlock()
			skipped = browseEnd(f) || f.Command == frame.MESSAGE && (stopped || lo.Count > 0 && seen >= lo.Count || failure != nil)
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
			ackNow := p != nil && (!batchAck || n%100 == 0 || n == lo.Count)
			if idle || ackNow {
				if !flushAcks() {
					return
				}
			}
			if n == lo.Count {
				end()
			}
			select {
			case arrived <- struct{}{}:
			default:
			}
		},
	})
	for _, dest := range lo.Dests {
		if _, err := commands.Subscribe(ctx, env, dest, mode, lo.Headers); err != nil {
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
	if lo.Idle > 0 {
		timer = time.NewTimer(lo.Idle)
		defer timer.Stop()
		idle = timer.C
	}
	for {
		select {
		case <-arrived:
			if timer != nil {
				timer.Reset(lo.Idle)
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
			if lo.Count > 0 && got < lo.Count {
				return exitcode.Timeoutf("timed out: %d of %d messages arrived (no message for %v)", got, lo.Count, lo.Idle)
			}
			return err
		case <-ctx.Done():
			// Stopped by the user: show nothing more (what comes now goes
			// back to the queue) and ack what was shown, before the
			// UNSUBSCRIBE and DISCONNECT go out.
			r.Between(func() {
				mu.Lock()
				stopped = true
				mu.Unlock()
				flushAcks()
			})
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
func checkBrokerFeatures(env *commands.Env, lo Options) error {
	server := env.Session.Conn().Server()
	if strings.HasPrefix(server, "ActiveMQ") {
		return nil
	}
	if server == "" {
		server = "this broker"
	}
	if lo.Browse {
		return exitcode.New(exitcode.Usage, "--browse is not supported by %s: it would consume the messages instead of showing them (ActiveMQ supports browsing)", server)
	}
	for _, h := range lo.Headers {
		if h[0] == "selector" {
			return exitcode.New(exitcode.Usage, "--selector is not supported by %s: it would ignore the selector and consume the messages it excludes (ActiveMQ supports selectors)", server)
		}
	}
	return nil
}

// Validate checks the options before anything connects (a usage error,
// exit 2). The ack mode is the front-end's to check, with its other --ack
// flags.
func (lo Options) Validate() error {
	if lo.Count < 0 || lo.Idle < 0 {
		return exitcode.New(exitcode.Usage, "--count and --timeout cannot be negative")
	}
	if lo.Concurrency < 1 {
		return exitcode.New(exitcode.Usage, "--concurrency must be at least 1")
	}
	if lo.MaxRedeliveries < 0 {
		return exitcode.New(exitcode.Usage, "--max-redeliveries cannot be negative")
	}
	if lo.Exec == "" && lo.DeadLetter != "" {
		return exitcode.New(exitcode.Usage, "--dead-letter goes with --exec: it is where messages the command keeps failing go")
	}
	if lo.Exec != "" && (lo.Browse || lo.Ack != session.AckAuto || lo.Idle > 0) {
		return exitcode.New(exitcode.Usage, "--exec acks each message itself: it cannot be combined with --ack, --browse or --timeout")
	}
	return nil
}
