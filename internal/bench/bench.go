// Package bench is the engine behind `stomp bench`: publishers and
// subscribers on their own connections (internal/client), a send timestamp
// in a header of every message for end-to-end latency, an HdrHistogram of
// those latencies, and the throughput of every client. It measures what the
// broker and our client do together, as `nats bench` does for NATS.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/session"
)

// Headers every benchmark message carries.
const (
	// HeaderTimestamp is the publisher's wall clock at send, in nanoseconds
	// since the Unix epoch. Publishers and subscribers run in one process,
	// so the clocks agree.
	HeaderTimestamp = "stomp-bench-ts"
	// HeaderRun tells this run's messages from leftovers of earlier runs
	// still in a queue.
	HeaderRun = "stomp-bench-run"
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
	Endpoint       client.Endpoint
	Client         client.Options
	ConnectTimeout time.Duration // per connection; default 10s

	Pub, Sub int    // publishers and subscribers, each on its own connection
	Msgs     int    // messages published in all, split evenly among publishers
	Size     int    // body size in bytes
	Rate     int    // total publish rate in msg/s; 0 = as fast as possible
	Ack      string // subscribers' ack mode: auto (default), client or client-individual

	// Destination defaults to DefaultDestination(Topic). Topic says every
	// subscriber receives every message (a /topic/ destination implies it);
	// on a queue the subscribers share the messages.
	Destination string
	Topic       bool

	// AckEvery is how many messages a client-ack subscriber receives
	// before its cumulative ACK; default 100. client-individual acks each.
	AckEvery int
	// Idle is how long subscribers wait without a message, once publishing
	// is over, before giving up on the ones still missing (a topic may drop
	// messages for a slow subscriber); default 10s.
	Idle time.Duration

	// Progress, when set, is updated live (for a progress display).
	Progress *Progress
}

// Progress counts messages while a run goes on. Safe for concurrent use.
type Progress struct {
	Sent, Received atomic.Int64
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
	if c.Pub < 0 || c.Sub < 0 || c.Msgs < 0 || c.Size < 0 || c.Rate < 0 {
		return errors.New("publishers, subscribers, messages, size and rate must not be negative")
	}
	if c.Pub == 0 && c.Sub == 0 {
		return errors.New("nothing to do: give at least one publisher or subscriber")
	}
	if c.Msgs == 0 {
		return errors.New("nothing to do: give a number of messages")
	}
	if c.Pub > c.Msgs {
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

// Expected returns how many messages the run sends and how many its
// subscribers should receive between them.
func (c Config) Expected() (send, receive int64) {
	if c.Pub > 0 {
		send = int64(c.Msgs)
	}
	switch {
	case c.Sub == 0:
		receive = 0
	case c.Topic || strings.HasPrefix(c.Destination, "/topic/"):
		receive = int64(c.Msgs) * int64(c.Sub)
	default:
		receive = int64(c.Msgs)
	}
	return send, receive
}

// Latencies are recorded in microseconds, from 1µs to one hour.
const (
	histMin, histMax = 1, int64(time.Hour / time.Microsecond)
	histDigits       = 3
)

type publisher struct {
	name  string
	conn  *client.Conn
	msgs  int
	rate  float64 // msg/s, 0 = unlimited
	stats Stats
	start time.Time
	end   time.Time
}

type subscriber struct {
	name        string
	conn        *client.Conn
	subID       string
	hist        *hdrhistogram.Histogram
	msgs, bytes int64
	stale       int64
	first, last time.Time
	mode        string       // ack mode
	ackEvery    int          // client mode: messages per cumulative ACK
	unacked     *frame.Frame // last MESSAGE not yet covered by a cumulative ACK
	sinceAck    int
}

// runState is what the goroutines of one run share.
type runState struct {
	cfg      Config
	runID    string
	expected int64
	received atomic.Int64
	done     chan struct{} // closed when every expected message arrived
	doneOnce sync.Once
	progress *Progress
}

func (st *runState) count() {
	n := st.received.Add(1)
	if st.progress != nil {
		st.progress.Received.Add(1)
	}
	if n >= st.expected {
		st.doneOnce.Do(func() { close(st.done) })
	}
}

// Run runs one benchmark: it connects every client, subscribes, publishes,
// waits for the subscribers to receive what they should (or to give up
// after Idle), disconnects and returns the measurements.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	sendN, recvN := cfg.Expected()
	st := &runState{cfg: cfg, runID: newRunID(), expected: recvN, done: make(chan struct{}), progress: cfg.Progress}
	if recvN == 0 {
		close(st.done)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var conns []*client.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	dial := func() (*client.Conn, error) {
		c, err := client.Dial(ctx, cfg.Endpoint, cfg.ConnectTimeout, cfg.Client)
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
			mode: cfg.Ack, ackEvery: cfg.AckEvery, hist: hdrhistogram.New(histMin, histMax, histDigits)}
		sf := frame.New(frame.SUBSCRIBE, frame.Id, s.subID, frame.Destination, cfg.Destination, frame.Ack, cfg.Ack)
		rctx, rcancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
		_, err = c.Request(rctx, sf)
		rcancel()
		if err != nil {
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
		p := &publisher{name: fmt.Sprintf("pub%d", i+1), conn: c, msgs: cfg.Msgs / cfg.Pub}
		if i < cfg.Msgs%cfg.Pub {
			p.msgs++
		}
		if cfg.Rate > 0 {
			p.rate = float64(cfg.Rate) / float64(cfg.Pub)
		}
		pubs[i] = p
	}

	res := &Result{
		Config: summary(cfg), Start: time.Now(),
		Expected: recvN, Published: sendN,
	}
	if len(conns) > 0 {
		res.Broker, res.Version = conns[0].Server(), conns[0].Version()
	}

	// Subscribers read until every expected message arrived, or stop says so.
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopSubs := func() { stopOnce.Do(func() { close(stop) }) }
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
	body := makeBody(cfg.Size)
	for _, p := range pubs {
		pubWG.Add(1)
		go func() {
			defer pubWG.Done()
			if err := p.publish(ctx, st, body); err != nil {
				errs <- fmt.Errorf("%s: %w", p.name, err)
			}
		}()
	}
	pubsDone := make(chan struct{})
	go func() { pubWG.Wait(); close(pubsDone) }()

	// Wait for everything to arrive; after publishing, give up once no
	// message came for Idle.
	var runErr error
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	published := false
	lastCount, lastChange := int64(-1), time.Now()
wait:
	for {
		select {
		case <-st.done:
			if published || cfg.Pub == 0 {
				break wait
			}
			<-pubsDone // every message arrived: the publishers are finishing
			published = true
			break wait
		case <-pubsDone:
			published = true
			pubsDone = nil
			lastChange = time.Now()
		case err := <-errs:
			runErr = err
			break wait
		case <-ctx.Done():
			runErr = ctx.Err()
			break wait
		case <-tick.C:
			if n := st.received.Load(); n != lastCount {
				lastCount, lastChange = n, time.Now()
			} else if (published || cfg.Pub == 0) && time.Since(lastChange) >= cfg.Idle {
				break wait
			}
		}
	}
	stopSubs()
	if runErr != nil {
		cancel()
	}
	pubWG.Wait()
	subWG.Wait()
	if runErr == nil {
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
	res.collect(pubs, subs)
	return res, nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func makeBody(n int) []byte {
	b := make([]byte, n)
	const pattern = "stomp bench payload 0123456789 "
	for i := range b {
		b[i] = pattern[i%len(pattern)]
	}
	return b
}

// publish sends p's share of the messages, paced when a rate is set, then
// disconnects: the DISCONNECT receipt proves the broker has them all.
func (p *publisher) publish(ctx context.Context, st *runState, body []byte) error {
	dest := st.cfg.Destination
	length := strconv.Itoa(len(body))
	var interval time.Duration
	if p.rate > 0 {
		interval = time.Duration(float64(time.Second) / p.rate)
	}
	p.start = time.Now()
	for i := 0; i < p.msgs; i++ {
		if interval > 0 {
			if wait := time.Until(p.start.Add(time.Duration(i) * interval)); wait > time.Millisecond {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		f := frame.New(frame.SEND,
			frame.Destination, dest,
			frame.ContentLength, length,
			HeaderRun, st.runID,
			HeaderTimestamp, strconv.FormatInt(time.Now().UnixNano(), 10))
		f.Body = body
		if err := p.conn.Send(ctx, f); err != nil {
			return err
		}
		if st.progress != nil {
			st.progress.Sent.Add(1)
		}
	}
	err := disconnect(p.conn)
	p.end = time.Now()
	p.stats = newStats(p.name, int64(p.msgs), int64(p.msgs)*int64(len(body)), p.end.Sub(p.start))
	return err
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

// receive reads messages until stop, recording each one's latency; in the
// client ack modes it acks as it goes.
func (s *subscriber) receive(ctx context.Context, st *runState, stop <-chan struct{}) error {
	in := s.conn.Incoming()
	checkRun := st.cfg.Pub > 0
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
			ours := !checkRun || f.Header.Get(HeaderRun) == st.runID
			if err := s.ack(ctx, f); err != nil {
				return err
			}
			if !ours {
				s.stale++
				continue
			}
			if s.msgs == 0 {
				s.first = now
			}
			s.last = now
			s.msgs++
			s.bytes += int64(len(f.Body))
			if ts, err := strconv.ParseInt(f.Header.Get(HeaderTimestamp), 10, 64); err == nil {
				us := now.Sub(time.Unix(0, ts)).Microseconds()
				_ = s.hist.RecordValue(min(max(us, histMin), histMax))
			}
			st.count()
		case <-stop:
			return s.finish(ctx)
		case <-ctx.Done():
			return nil
		}
	}
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
