// Package bench is the engine behind `stomp bench`: publishers and
// subscribers on their own connections (internal/stomp/client), an open-loop
// schedule when a rate is set, a timestamp and a sequence number in every
// message, an HdrHistogram of the end-to-end latencies, per-second series
// and the throughput of every client.
//
// Latency is measured from each message's intended send time, as wrk2 does:
// a publisher that falls behind its schedule (the broker pushed back) does
// not hide the wait, the late messages carry the time they should have been
// sent. This is HdrHistogram's coordinated-omission correction done at the
// source, which is exact where the histogram's own correction estimates.
//
// cli.go is the command's front-end (its flags checked into a Config, the
// live line, the output files, `stomp bench report`); cmd/bench.go only
// registers the flags and supplies the connection.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Headers every benchmark message carries.
const (
	// HeaderTimestamp is the message's intended send time (its actual one
	// without a rate), in nanoseconds since the Unix epoch. Publishers and
	// subscribers run in one process, so the clocks agree.
	HeaderTimestamp = "stomp-bench-ts"
	// HeaderRun tells this run's messages from leftovers of earlier runs
	// still in a queue.
	HeaderRun = "stomp-bench-run"
	// HeaderPub and HeaderSeq name the publisher (from 0) and the message's
	// place in its sequence (from 0): every arrival is checked against them,
	// so lost and duplicated messages are counted.
	HeaderPub = "stomp-bench-pub"
	HeaderSeq = "stomp-bench-seq"
)

// DefaultDestination is where a benchmark goes unless told otherwise:
// /queue/stomp-bench, or /topic/stomp-bench for a topic benchmark.
func DefaultDestination(topic bool) string {
	if topic {
		return "/topic/stomp-bench"
	}
	return "/queue/stomp-bench"
}

// Config describes one benchmark run.
type Config struct {
	// Dial opens one connection to the broker; each client gets its own.
	// Without it, Endpoint and Client are dialled.
	Dial           func(ctx context.Context) (*client.Conn, error)
	Endpoint       client.Endpoint
	Client         client.Options
	ConnectTimeout time.Duration // per connection; default 10s

	Pub, Sub int // publishers and subscribers, each on its own connection

	// How long the run publishes: Msgs messages in all (split evenly among
	// the publishers), or for Duration when Msgs is 0. Warmup comes first:
	// what is sent then is checked for loss but not measured.
	Msgs     int
	Duration time.Duration
	Warmup   time.Duration

	// Rate is the total publish rate in msg/s, spread evenly over the
	// publishers and scheduled by time (open loop); 0 = as fast as possible.
	Rate int

	// Size is the body size in bytes; with SizeMax > Size every body's size
	// is drawn uniformly from [Size, SizeMax].
	Size, SizeMax int

	Persistent bool   // SEND with persistent:true
	TxSize     int    // publishers send in transactions of TxSize messages; 0 = none
	Ack        string // subscribers' ack mode: auto (default), client or client-individual
	// AckEvery is how many messages a client-ack subscriber receives
	// before its cumulative ACK; default 100. client-individual acks each.
	AckEvery int

	// Destination defaults to DefaultDestination(Topic). Topic says every
	// subscriber receives every message (a /topic/ destination implies it);
	// on a queue the subscribers share the messages.
	Destination string
	Topic       bool

	// Idle is how long subscribers wait without a message, once publishing
	// is over, before giving up on the ones still missing (a topic may drop
	// messages for a slow subscriber); default 10s.
	Idle time.Duration

	// Label names the run in reports (default: the broker's server header).
	Label string

	// Live, when set, is updated while the run goes on.
	Live *Live
}

// Live is what a run has done so far, for a display. Safe for concurrent use.
type Live struct {
	Sent, Received atomic.Int64          // messages, warm-up included
	Last           atomic.Pointer[Point] // the last full second, nil before the first
}

func (c *Config) normalize() error {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.Ack == "" {
		c.Ack = session.AckAuto
	}
	switch c.Ack {
	case session.AckAuto, session.AckClient, session.AckClientIndividual:
	default:
		return fmt.Errorf("unknown ack mode %q: use auto, client or client-individual", c.Ack)
	}
	if c.Pub < 0 || c.Sub < 0 || c.Msgs < 0 || c.Size < 0 || c.Rate < 0 || c.TxSize < 0 || c.Duration < 0 || c.Warmup < 0 {
		return errors.New("publishers, subscribers, messages, size, rate, transaction size and durations must not be negative")
	}
	if c.SizeMax < c.Size {
		c.SizeMax = c.Size
	}
	if c.Pub == 0 && c.Sub == 0 {
		return errors.New("nothing to do: give at least one publisher or subscriber")
	}
	if c.Msgs == 0 && c.Duration == 0 {
		return errors.New("nothing to do: give a number of messages or a duration")
	}
	if c.Msgs > 0 && c.Pub > c.Msgs {
		return fmt.Errorf("%d publishers for %d messages: give at least one message per publisher", c.Pub, c.Msgs)
	}
	if c.Destination == "" {
		c.Destination = DefaultDestination(c.Topic)
	}
	if strings.HasPrefix(c.Destination, "/topic/") {
		c.Topic = true
	}
	if c.Topic && c.Pub == 0 {
		return errors.New("a topic keeps no messages: subscribers alone would wait for nothing (add --pub)")
	}
	if c.AckEvery <= 0 {
		c.AckEvery = 100
	}
	if c.Idle <= 0 {
		c.Idle = 10 * time.Second
	}
	return nil
}

// copies is how many subscribers receive each message: all of them on a
// topic, one of them on a queue.
func (c Config) copies() int64 {
	switch {
	case c.Sub == 0:
		return 0
	case c.Topic || strings.HasPrefix(c.Destination, "/topic/"):
		return int64(c.Sub)
	}
	return 1
}

// Latencies are recorded in microseconds, from 1µs to one hour.
const (
	histMin, histMax = 1, int64(time.Hour / time.Microsecond)
	histDigits       = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// runState is what the goroutines of one run share.
type runState struct {
	cfg          Config
	runID        string
	t0           time.Time    // the schedule's origin
	measureFrom  time.Time    // end of the warm-up
	measureUntil time.Time    // Duration runs: when publishing stops
	distinct     atomic.Int64 // distinct messages received, warm-up included
	sentMeasured atomic.Int64
	live         *Live
	queue        *tracker // shared by the subscribers of a queue

	// halted is set, and halt cancelled, when the caller's context ends
	// once measuring has begun (Ctrl-C): publishing stops and the run
	// reports what it measured. halt is also cancelled when the run fails.
	halted atomic.Bool
	halt   context.Context
}

// An interrupted run still waits interruptGrace for the messages in
// flight (what has not come by then counts as lost), then gives its
// clients interruptWindDown to disconnect before it cuts them off: a broker
// that stopped reading must not keep the user waiting.
const (
	interruptGrace    = 2 * time.Second
	interruptWindDown = 5 * time.Second
)

// Run runs one benchmark: it connects every client, subscribes, publishes,
// waits for the subscribers to receive what they should (or to give up
// after Idle), disconnects and returns the measurements.
//
// When ctx ends while connecting, Run fails with ctx's error. When it ends
// once measuring has begun (the user pressed Ctrl-C), publishing stops,
// the clients disconnect as usual, and Run returns what was measured until
// then, marked Interrupted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	st := &runState{cfg: cfg, runID: newRunID(), live: cfg.Live, queue: newTracker(cfg.Pub)}
	caller := ctx
	// The clients' own context outlives the caller's, so that an
	// interrupted run still disconnects cleanly; while connecting, the
	// caller's end ends it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(caller))
	defer cancel()
	stopSetup := context.AfterFunc(caller, cancel)

	var conns []*client.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	dial := func() (*client.Conn, error) {
		var c *client.Conn
		var err error
		if cfg.Dial != nil {
			c, err = cfg.Dial(ctx)
		} else {
			c, err = client.Dial(ctx, cfg.Endpoint, cfg.ConnectTimeout, cfg.Client)
		}
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		return c, nil
	}

	// Subscribers first, each SUBSCRIBE confirmed by a receipt, so that a
	// topic subscriber misses nothing.
	subs := make([]*subscriber, cfg.Sub)
	for i := range subs {
		c, err := dial()
		if err != nil {
			closeAll()
			return nil, err
		}
		if cfg.Ack == session.AckClientIndividual && c.Version() == "1.0" {
			closeAll()
			return nil, errors.New("client-individual ack needs STOMP 1.1 or later: the broker chose 1.0")
		}
		s := &subscriber{name: fmt.Sprintf("sub%d", i+1), conn: c, subID: strconv.Itoa(i + 1),
			mode: cfg.Ack, ackEvery: cfg.AckEvery, hist: newHist(), interval: newHist(), seen: st.queue}
		if cfg.copies() > 1 {
			s.seen = newTracker(cfg.Pub) // every subscriber of a topic gets every message
		}
		if err := subscribe(ctx, c, s.subID, cfg); err != nil {
			closeAll()
			return nil, fmt.Errorf("subscribing to %s: %w", cfg.Destination, err)
		}
		subs[i] = s
	}
	pubs := make([]*publisher, cfg.Pub)
	for i := range pubs {
		c, err := dial()
		if err != nil {
			closeAll()
			return nil, err
		}
		p := &publisher{name: fmt.Sprintf("pub%d", i+1), index: i, conn: c, share: -1}
		if cfg.Msgs > 0 {
			p.share = cfg.Msgs / cfg.Pub
			if i < cfg.Msgs%cfg.Pub {
				p.share++
			}
		}
		pubs[i] = p
	}

	if !stopSetup() {
		closeAll()
		return nil, caller.Err() // interrupted while connecting
	}
	halt, stopPublishing := context.WithCancel(ctx)
	defer stopPublishing()
	st.halt = halt
	defer context.AfterFunc(caller, func() { st.halted.Store(true); stopPublishing() })()

	res := &Result{Label: cfg.Label, Config: summary(cfg), Machine: thisMachine()}
	if len(conns) > 0 {
		res.Broker, res.Version = conns[0].Server(), conns[0].Version()
	}
	if res.Label == "" {
		res.Label = res.Broker
	}

	st.t0 = time.Now()
	st.measureFrom = st.t0.Add(cfg.Warmup)
	if cfg.Msgs == 0 {
		st.measureUntil = st.measureFrom.Add(cfg.Duration)
	}
	res.Start = st.measureFrom

	stop := make(chan struct{}) // closed when the subscribers should finish
	errs := make(chan error, cfg.Pub+cfg.Sub)
	var subWG, pubWG sync.WaitGroup
	for _, s := range subs {
		subWG.Add(1)
		go func() {
			defer subWG.Done()
			if err := s.receive(ctx, st, stop); err != nil {
				errs <- fmt.Errorf("%s: %w", s.name, err)
			}
		}()
	}
	for _, p := range pubs {
		pubWG.Add(1)
		go func() {
			defer pubWG.Done()
			if err := p.publish(ctx, st); err != nil {
				errs <- fmt.Errorf("%s: %w", p.name, err)
			}
		}()
	}
	pubsDone := make(chan struct{})
	go func() { pubWG.Wait(); close(pubsDone) }()
	sampler := newSampler(st, subs)
	samplerDone := make(chan struct{})
	go func() { defer close(samplerDone); sampler.run(stop) }()

	runErr := st.wait(ctx, pubs, pubsDone, errs)
	res.Interrupted = st.halted.Load()
	close(stop)
	if runErr != nil {
		cancel()
	}
	if res.Interrupted {
		cutOff := time.AfterFunc(interruptWindDown, func() { cancel(); closeAll() })
		defer cutOff.Stop()
	}
	pubWG.Wait()
	subWG.Wait()
	<-samplerDone
	if runErr == nil && !res.Interrupted { // an interrupted run's wind-down may be cut off: it reports all the same
		select {
		case err := <-errs:
			runErr = err
		default:
		}
	}
	res.End = time.Now()
	if runErr != nil {
		closeAll()
		return nil, runErr
	}
	res.Series = append([]Point{}, sampler.series...) // [] rather than null in JSON
	res.collect(st, pubs, subs)
	return res, nil
}

// subscribe subscribes c. On a topic it waits for the broker's receipt,
// so that the subscriber misses nothing once publishing starts. Not on a
// queue, which keeps the messages anyway: there the broker may deliver
// what the queue already holds before the receipt, and nobody reads them
// yet.
func subscribe(ctx context.Context, c *client.Conn, id string, cfg Config) error {
	sf := frame.New(frame.SUBSCRIBE, frame.Id, id, frame.Destination, cfg.Destination, frame.Ack, cfg.Ack)
	if cfg.copies() <= 1 {
		return c.Send(ctx, sf)
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	_, err := c.Request(rctx, sf)
	return err
}

// wait returns when every message sent has arrived, when no message came
// for Idle after publishing ended, on the first error, or interruptGrace
// after the run was halted.
func (st *runState) wait(ctx context.Context, pubs []*publisher, pubsDone <-chan struct{}, errs <-chan error) error {
	cfg := st.cfg
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	published := false
	var expected int64
	lastCount, lastChange := int64(-1), time.Now()
	halted := st.halt.Done()
	var haltedAt time.Time
	for {
		select {
		case <-halted:
			halted = nil
			if !st.halted.Load() {
				continue // the run failed: errs says why
			}
			if cfg.Pub == 0 {
				return nil // draining: nothing in flight to wait for
			}
			haltedAt = time.Now()
		case <-pubsDone:
			pubsDone = nil
			if cfg.Pub == 0 {
				continue // draining: there is no publishing to wait for
			}
			published = true
			for _, p := range pubs {
				expected += p.sent * cfg.copies()
			}
			lastChange = time.Now()
		case err := <-errs:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		n := st.distinct.Load()
		switch {
		case cfg.Pub == 0 && cfg.Msgs > 0 && n >= int64(cfg.Msgs):
			return nil
		case cfg.Pub == 0 && cfg.Msgs == 0 && time.Now().After(st.measureUntil):
			return nil
		case published && n >= expected:
			return nil
		case !haltedAt.IsZero() && time.Since(haltedAt) >= interruptGrace:
			return nil
		}
		if n != lastCount {
			lastCount, lastChange = n, time.Now()
		} else if (published || cfg.Pub == 0) && time.Since(lastChange) >= cfg.Idle {
			return nil
		}
	}
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// makeBody returns the largest body; a message uses a prefix of it.
func makeBody(n int) []byte {
	b := make([]byte, n)
	const pattern = "stomp bench payload 0123456789 "
	for i := range b {
		b[i] = pattern[i%len(pattern)]
	}
	return b
}

type publisher struct {
	name  string
	index int
	conn  *client.Conn
	share int // messages to send after the warm-up; -1: until the Duration ends

	sent, warm  int64 // all messages sent; those of the warm-up
	measured    int64 // sent after the warm-up
	bytes       int64 // bodies of the measured messages
	first, last time.Time
}

// publish sends p's messages on its schedule, then disconnects: the
// DISCONNECT receipt proves the broker has them all.
//
// With a rate, message k of publisher i of P is due at t0 + (k*P + i)/rate,
// so the publishers together send evenly. A publisher that is late sends at
// once, to catch up, and the message still carries the time it was due.
func (p *publisher) publish(ctx context.Context, st *runState) error {
	cfg := st.cfg
	body := makeBody(cfg.SizeMax)
	rng := mrand.New(mrand.NewPCG(uint64(p.index), uint64(time.Now().UnixNano())))
	pubs := int64(cfg.Pub)
	pubIndex := strconv.Itoa(p.index)
	tx := ""
	inTx := 0
	for k := int64(0); !st.halted.Load(); k++ {
		due := time.Now()
		if cfg.Rate > 0 {
			due = st.t0.Add(time.Duration(float64(k*pubs+int64(p.index)) * float64(time.Second) / float64(cfg.Rate)))
			if err := sleepUntil(st.halt, due); err != nil {
				if st.halted.Load() {
					break // interrupted: what was sent is confirmed below
				}
				return err
			}
		}
		warm := due.Before(st.measureFrom)
		if !warm && (p.share >= 0 && p.measured >= int64(p.share) || p.share < 0 && !due.Before(st.measureUntil)) {
			break
		}
		size := cfg.Size
		if cfg.SizeMax > cfg.Size {
			size += rng.IntN(cfg.SizeMax - cfg.Size + 1)
		}
		if cfg.TxSize > 0 && tx == "" {
			tx = p.conn.NewID("tx-")
			if err := p.conn.Send(ctx, frame.New(frame.BEGIN, frame.Transaction, tx)); err != nil {
				return err
			}
		}
		// The header in one allocation: frame.New grows it pair by pair,
		// which costs more than the rest of the loop.
		kv := append(make([]string, 0, 16),
			frame.Destination, cfg.Destination,
			frame.ContentLength, strconv.Itoa(size),
			HeaderRun, st.runID,
			HeaderPub, pubIndex,
			HeaderSeq, strconv.FormatInt(k, 10),
			HeaderTimestamp, strconv.FormatInt(due.UnixNano(), 10))
		if cfg.Persistent {
			kv = append(kv, "persistent", "true")
		}
		if tx != "" {
			kv = append(kv, frame.Transaction, tx)
		}
		f := &frame.Frame{Command: frame.SEND, Header: frame.NewHeader(kv...), Body: body[:size]}
		if err := p.conn.Send(st.halt, f); err != nil { // halt: a broker that stopped reading does not hold up Ctrl-C
			if st.halted.Load() {
				break // interrupted: f was not sent
			}
			return err
		}
		p.sent++
		if warm {
			p.warm++
		} else {
			if p.measured == 0 {
				p.first = due
			}
			p.measured++
			p.bytes += int64(size)
			p.last = time.Now()
			st.sentMeasured.Add(1)
		}
		if st.live != nil {
			st.live.Sent.Add(1)
		}
		if tx != "" {
			if inTx++; inTx == cfg.TxSize {
				if err := p.conn.Send(ctx, frame.New(frame.COMMIT, frame.Transaction, tx)); err != nil {
					return err
				}
				tx, inTx = "", 0
			}
		}
	}
	if tx != "" {
		if err := p.conn.Send(ctx, frame.New(frame.COMMIT, frame.Transaction, tx)); err != nil {
			return err
		}
	}
	err := disconnect(p.conn)
	p.last = time.Now() // the broker confirmed the last message
	return err
}

// sleepUntil waits for t precisely: Go's timers are late by up to a
// millisecond on Linux, which would show up as latency at a fixed rate, so
// the last stretch is a nanosleep (sleep_linux.go).
func sleepUntil(ctx context.Context, t time.Time) error {
	const coarse = 5 * time.Millisecond
	if d := time.Until(t); d > coarse {
		timer := time.NewTimer(d - coarse/2)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
	if d := time.Until(t); d > 0 {
		preciseSleep(d)
	}
	return nil
}

// disconnect sends DISCONNECT and waits for its receipt, reading (and
// dropping) whatever the broker still sends meanwhile so that the reader
// never blocks on a full Incoming.
func disconnect(c *client.Conn) error {
	go func() {
		for range c.Incoming() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.Disconnect(ctx)
	if errors.Is(err, client.ErrClosed) {
		return nil
	}
	return err
}

type subscriber struct {
	name  string
	conn  *client.Conn
	subID string
	seen  *tracker

	mu       sync.Mutex              // guards interval and recv, which the sampler reads
	interval *hdrhistogram.Histogram // latencies since the sampler's last look
	recv     int64                   // measured messages since the sampler's last look

	hist        *hdrhistogram.Histogram // every measured latency
	msgs, bytes int64                   // measured messages
	warm        int64
	dups, stale int64
	first, last time.Time

	mode     string       // ack mode
	ackEvery int          // client mode: messages per cumulative ACK
	unacked  *frame.Frame // last MESSAGE not yet covered by a cumulative ACK
	sinceAck int
}

// receive reads messages until stop, checking each one's sequence number
// and recording its latency; in the client ack modes it acks as it goes.
func (s *subscriber) receive(ctx context.Context, st *runState, stop <-chan struct{}) error {
	in := s.conn.Incoming()
	ownRun := st.cfg.Pub > 0
	for {
		select {
		case f, ok := <-in:
			if !ok {
				return s.conn.Err()
			}
			switch f.Command {
			case frame.MESSAGE:
			case frame.ERROR:
				return &client.BrokerError{Frame: f}
			default:
				continue
			}
			now := time.Now()
			if err := s.ack(ctx, f); err != nil {
				return err
			}
			s.arrived(st, f, now, ownRun)
		case <-stop:
			return s.finish(ctx)
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *subscriber) arrived(st *runState, f *frame.Frame, now time.Time, ownRun bool) {
	ts, tsErr := strconv.ParseInt(f.Header.Get(HeaderTimestamp), 10, 64)
	if ownRun {
		if f.Header.Get(HeaderRun) != st.runID {
			s.stale++
			return
		}
		pub, err1 := strconv.Atoi(f.Header.Get(HeaderPub))
		seq, err2 := strconv.ParseInt(f.Header.Get(HeaderSeq), 10, 64)
		if err1 != nil || err2 != nil || !s.seen.mark(pub, seq) {
			s.dups++
			return
		}
	}
	st.distinct.Add(1)
	if st.live != nil {
		st.live.Received.Add(1)
	}
	if ownRun && (tsErr != nil || time.Unix(0, ts).Before(st.measureFrom)) {
		s.warm++
		return
	}
	if s.msgs == 0 {
		s.first = now
	}
	s.last = now
	s.msgs++
	s.bytes += int64(len(f.Body))
	s.mu.Lock()
	if tsErr == nil {
		us := min(max(now.Sub(time.Unix(0, ts)).Microseconds(), histMin), histMax)
		_ = s.hist.RecordValue(us)
		_ = s.interval.RecordValue(us)
	}
	s.recv++
	s.mu.Unlock()
}

func (s *subscriber) ack(ctx context.Context, f *frame.Frame) error {
	switch s.mode {
	case session.AckClientIndividual:
		return s.conn.Send(ctx, s.ackFrame(f))
	case session.AckClient:
		s.unacked = f
		s.sinceAck++
		if s.sinceAck >= s.ackEvery {
			return s.flushAck(ctx)
		}
	}
	return nil
}

func (s *subscriber) flushAck(ctx context.Context) error {
	if s.unacked == nil {
		return nil
	}
	f := s.unacked
	s.unacked, s.sinceAck = nil, 0
	return s.conn.Send(ctx, s.ackFrame(f))
}

func (s *subscriber) ackFrame(f *frame.Frame) *frame.Frame {
	return session.AckFrame(s.conn.Version(), frame.ACK, &session.Pending{
		MessageID:    f.Header.Get(frame.MessageId),
		AckID:        f.Header.Get(frame.Ack),
		Subscription: f.Header.Get(frame.Subscription),
	})
}

// finish acks what a client-ack subscriber has not acked yet, unsubscribes
// and disconnects.
func (s *subscriber) finish(ctx context.Context) error {
	if err := s.flushAck(ctx); err != nil {
		return err
	}
	if err := s.conn.Send(ctx, frame.New(frame.UNSUBSCRIBE, frame.Id, s.subID)); err != nil {
		return err
	}
	return disconnect(s.conn)
}

// tracker remembers which sequence numbers of each publisher arrived.
type tracker struct {
	mu   sync.Mutex
	seen [][]uint64 // per publisher, a bit per sequence number
}

func newTracker(pubs int) *tracker { return &tracker{seen: make([][]uint64, pubs)} }

// mark notes seq of publisher pub and says whether it is new: false for a
// duplicate or a publisher that does not exist.
func (t *tracker) mark(pub int, seq int64) bool {
	if pub < 0 || pub >= len(t.seen) || seq < 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bits := t.seen[pub]
	w := int(seq / 64)
	if w >= len(bits) {
		bits = append(bits, make([]uint64, w-len(bits)+1+len(bits)/2)...)
		t.seen[pub] = bits
	}
	m := uint64(1) << (seq % 64)
	if bits[w]&m != 0 {
		return false
	}
	bits[w] |= m
	return true
}

// sampler takes a Point every second of the measured part of a run.
type sampler struct {
	st     *runState
	subs   []*subscriber
	hist   *hdrhistogram.Histogram
	series []Point
}

func newSampler(st *runState, subs []*subscriber) *sampler {
	return &sampler{st: st, subs: subs, hist: newHist()}
}

func (s *sampler) run(stop <-chan struct{}) {
	prevSent := int64(0)
	start := s.st.measureFrom
	select {
	case <-time.After(time.Until(start)):
	case <-stop:
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			// The last, partial second, so that the series adds up to
			// the totals (reports scale it to a rate).
			if p := s.take(time.Now(), start, &prevSent); p.Sent+p.Received > 0 {
				s.series = append(s.series, p)
			}
			return
		case now := <-tick.C:
			p := s.take(now, start, &prevSent)
			s.series = append(s.series, p)
			if s.st.live != nil {
				s.st.live.Last.Store(&p)
			}
		}
	}
}

// take collects what happened since the last point.
func (s *sampler) take(now, start time.Time, prevSent *int64) Point {
	s.hist.Reset()
	var recv int64
	for _, sub := range s.subs {
		sub.mu.Lock()
		s.hist.Merge(sub.interval)
		sub.interval.Reset()
		recv += sub.recv
		sub.recv = 0
		sub.mu.Unlock()
	}
	sent := s.st.sentMeasured.Load()
	p := Point{T: now.Sub(start).Round(time.Millisecond).Seconds(), Sent: sent - *prevSent, Received: recv}
	*prevSent = sent
	if s.hist.TotalCount() > 0 {
		p.P50, p.P99, p.Max = s.hist.ValueAtQuantile(50), s.hist.ValueAtQuantile(99), s.hist.Max()
	}
	return p
}
