package broker

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// Config configures an embedded broker. The zero value is usable: every
// field has a default that suits a local development broker.
type Config struct {
	// Listen lists listener specs (see listen.go): "HOST:PORT" or
	// "tcp://HOST:PORT", "ssl://HOST:PORT", "ws://HOST:PORT/PATH",
	// "wss://HOST:PORT/PATH"; default one TCP listener on "127.0.0.1:0".
	Listen       []string
	TLS          *tls.Config                      // for ssl:// and wss:// listeners
	Login        string                           // when non-empty, CONNECT must carry this login and Passcode
	Passcode     string                           // checked only when Login is non-empty
	MaxFrameSize int                              // bytes, headers+body; default 8 MiB; larger frames get an ERROR and the connection is closed
	HeartBeat    time.Duration                    // what the broker offers/wants for heart-beats; 0 (or negative) disables; the CLI passes DefaultHeartBeat
	Logf         func(format string, args ...any) // one line per event; nil = silent; called from many goroutines

	// MaxHeaders bounds the number of header lines in one frame so that a
	// frame of many tiny headers cannot amplify memory; default 1000.
	MaxHeaders int
	// OutBufferBytes is how many bytes of frames may wait in one
	// connection's outgoing queue before it counts as full (topic messages
	// are then dropped for it, queue messages wait in the queue); default 4 MiB.
	OutBufferBytes int
	// ConnectTimeout is how long a new connection has, from the moment it
	// is accepted, to complete its CONNECT frame; default 10s.
	ConnectTimeout time.Duration
	// MaxConnections caps open connections (logged in or not); a
	// connection over the cap gets an ERROR and is closed. Default
	// DefaultMaxConnections.
	MaxConnections int
	// MaxRedeliveries: a message whose delivery failed (NACK, or its
	// consumer gone without ACK) more often than this moves to its
	// dead-letter queue (see deadletter.go). 0 means
	// DefaultMaxRedeliveries, negative means no limit.
	MaxRedeliveries int
	// MaxHeldBytes bounds the messages held in memory (queued, awaiting
	// ACK, in open transactions): at the limit publishers wait until
	// consumers free some. Default DefaultMaxHeldBytes.
	MaxHeldBytes int64
}

// DefaultMaxRedeliveries is ActiveMQ's default maximumRedeliveries.
const DefaultMaxRedeliveries = 6

// DefaultMaxHeldBytes leaves room for a million small messages waiting
// in a queue (what the benchmarks fill) on a development machine.
const DefaultMaxHeldBytes = 1 << 30

// DefaultHeartBeat is the heart-beat interval `stomp serve` offers unless
// told otherwise. Config.HeartBeat itself is literal: 0 disables.
const DefaultHeartBeat = 10 * time.Second

// DefaultMaxConnections is ActiveMQ's default maximumConnections: a
// development broker needs far fewer, and with it the memory of every
// connection together stays bounded.
const DefaultMaxConnections = 1000

// preLoginMaxFrame caps frames before CONNECT succeeds (and a WebSocket
// upgrade request's headers): a CONNECT needs a few hundred bytes, and a
// stranger must not make the broker buffer megabytes.
const preLoginMaxFrame = 8 << 10

// Broker is a running embedded STOMP broker.
type Broker struct {
	cfg Config

	router *router
	id     string // random, so sessions (and message ids) differ across brokers

	mu        sync.Mutex // guards the fields below
	listeners []*listener
	serving   map[net.Listener]bool // listeners being served, closed by Close
	conns     map[*conn]bool
	refusing  int // connections over the cap still being sent their ERROR
	nextConn  uint64
	closed    bool
	done      chan struct{}
	failed    chan error // Start: a listener stopped for good
	wg        sync.WaitGroup
}

// Start listens on every cfg.Listen spec and serves in the background.
func Start(cfg Config) (*Broker, error) {
	b := New(cfg)
	var opened []*listener
	for _, spec := range b.cfg.Listen {
		ln, err := b.open(spec)
		if err != nil {
			for _, o := range opened {
				o.l.Close()
			}
			return nil, err
		}
		opened = append(opened, ln)
	}
	b.mu.Lock()
	b.listeners = opened
	for _, ln := range opened {
		b.serving[ln.l] = true
	}
	b.wg.Add(len(opened))
	b.mu.Unlock()
	for _, ln := range opened {
		go func() {
			defer b.wg.Done()
			if err := b.serveListener(ln); err != nil {
				b.cfg.Logf("broker: accept failed, no longer listening on %s: %v", ln.url(), err)
				select {
				case b.failed <- fmt.Errorf("no longer listening on %s: %w", ln.url(), err):
				default:
				}
			}
		}()
	}
	return b, nil
}

// New returns a broker that is not yet listening; call Serve.
func New(cfg Config) *Broker {
	cfg = cfg.withDefaults()
	var id [4]byte
	_, _ = rand.Read(id[:])
	return &Broker{
		cfg:     cfg,
		router:  newRouter(cfg),
		id:      hex.EncodeToString(id[:]),
		serving: map[net.Listener]bool{},
		conns:   map[*conn]bool{},
		done:    make(chan struct{}),
		failed:  make(chan error, 1),
	}
}

func (c Config) withDefaults() Config {
	if len(c.Listen) == 0 {
		c.Listen = []string{"127.0.0.1:0"}
	}
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = 8 << 20
	}
	if c.HeartBeat < 0 {
		c.HeartBeat = 0
	}
	if c.MaxHeaders <= 0 {
		c.MaxHeaders = 1000
	}
	if c.OutBufferBytes <= 0 {
		c.OutBufferBytes = 4 << 20
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	switch {
	case c.MaxRedeliveries == 0:
		c.MaxRedeliveries = DefaultMaxRedeliveries
	case c.MaxRedeliveries < 0:
		c.MaxRedeliveries = -1
	}
	if c.MaxHeldBytes <= 0 {
		c.MaxHeldBytes = DefaultMaxHeldBytes
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Addr returns the first listener's address, e.g. "127.0.0.1:61613", or
// "" if the broker is not listening.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.listeners) == 0 {
		return ""
	}
	return b.listeners[0].l.Addr().String()
}

// URLs returns what each listener serves, in Config.Listen order, e.g.
// "tcp://127.0.0.1:61613", "ws://127.0.0.1:15674/ws".
func (b *Broker) URLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ln := range b.listeners {
		out = append(out, ln.url())
	}
	return out
}

// Failed reports a listener of Start that stopped for good (a permanent
// accept error): the broker is then no longer fully serving, and a
// long-running process should exit rather than linger half alive.
func (b *Broker) Failed() <-chan error { return b.failed }

func (b *Broker) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// Serve accepts TCP connections on l until Close; it returns nil after
// Close. Temporary accept errors (out of descriptors above all) are
// logged and retried with back-off.
func (b *Broker) Serve(l net.Listener) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		l.Close()
		return nil
	}
	if !b.serving[l] {
		b.listeners = append(b.listeners, &listener{spec: listenSpec{scheme: "tcp"}, l: l})
		b.serving[l] = true
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.serving, l)
		b.mu.Unlock()
	}()
	var backoff time.Duration
	failures := 0
	for {
		nc, err := l.Accept()
		if err != nil {
			if b.isClosed() {
				return nil
			}
			if !temporaryAcceptError(err) {
				return err
			}
			backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
			if failures++; failures == 1 || failures%100 == 0 {
				b.cfg.Logf("broker: accept on %s failed (%v); retrying in %v (%d failure(s) in a row)", l.Addr(), err, backoff, failures)
			}
			select {
			case <-time.After(backoff):
			case <-b.done:
				return nil
			}
			continue
		}
		if failures > 0 {
			b.cfg.Logf("broker: accepting on %s again after %d failure(s)", l.Addr(), failures)
		}
		backoff, failures = 0, 0
		b.accept(nc, time.Now())
	}
}

// maxRefusing bounds the goroutines telling connections over the cap
// why they are refused; past it they are just closed.
const maxRefusing = 64

// accept registers and starts a connection, unless the broker is closing
// or full. acceptedAt starts the CONNECT deadline.
func (b *Broker) accept(nc net.Conn, acceptedAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		closeNow(nc)
		return
	}
	if len(b.conns) >= b.cfg.MaxConnections {
		if b.refusing >= maxRefusing {
			closeNow(nc)
			return
		}
		b.refusing++
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.refuse(nc)
			b.mu.Lock()
			b.refusing--
			b.mu.Unlock()
		}()
		return
	}
	if acceptedAt.IsZero() {
		acceptedAt = time.Now()
	}
	b.nextConn++
	c := newConn(b, nc, b.id+"-"+strconv.FormatUint(b.nextConn, 10), acceptedAt)
	b.conns[c] = true
	b.wg.Add(2) // reader (run) and writer
	go func() {
		defer b.wg.Done()
		defer func() {
			// Last line of defence (run has its own for the read loop):
			// a bug in teardown must not take the process down.
			if p := recover(); p != nil {
				c.logf("internal error during teardown: %v", p)
				c.out.abort()
				closeNow(c.nc)
				b.forget(c)
			}
		}()
		c.run()
	}()
}

// refuse tells a connection over the cap why, then closes it.
func (b *Broker) refuse(nc net.Conn) {
	b.cfg.Logf("broker: refused a connection from %s: %d connections open (--max-connections)", nc.RemoteAddr(), b.cfg.MaxConnections)
	msg := "too many connections (limit " + strconv.Itoa(b.cfg.MaxConnections) + ")"
	_ = nc.SetDeadline(time.Now().Add(lingerTime))
	_, err := io.WriteString(nc, "ERROR\nmessage:"+msg+"\ncontent-type:text/plain\ncontent-length:"+
		strconv.Itoa(len(msg)+1)+"\n\n"+msg+"\n\x00")
	if tc, ok := nc.(interface{ CloseWrite() error }); ok && err == nil {
		// Read what the client sent (its CONNECT) so that closing does
		// not reset the connection before it reads the ERROR.
		_ = tc.CloseWrite()
		_, _ = io.Copy(io.Discard, io.LimitReader(nc, preLoginMaxFrame))
	}
	_ = nc.Close()
}

// closeNow closes a connection without a WebSocket closing handshake.
func closeNow(nc net.Conn) {
	if cn, ok := nc.(interface{ CloseNow() error }); ok {
		_ = cn.CloseNow()
		return
	}
	_ = nc.Close()
}

// forget unregisters a finished connection.
func (b *Broker) forget(c *conn) {
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
}

// Close stops listening, closes every connection and waits for all of the
// broker's goroutines to finish.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	b.router.shutdown()
	var err error
	for l := range b.serving {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	for _, ln := range b.listeners {
		if ln.http != nil {
			_ = ln.http.Close() // connections not yet upgraded
		}
	}
	for c := range b.conns {
		// Unblocks the reader and writer; each tears itself down.
		closeNow(c.nc)
	}
	b.mu.Unlock()
	b.wg.Wait()
	return err
}
