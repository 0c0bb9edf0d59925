package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures an embedded broker. The zero value is usable: every
// field has a default that suits a local development broker.
type Config struct {
	Addr         string                           // listen address for Start; default "127.0.0.1:0"
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
	// ConnectTimeout is how long a new TCP connection may take to send its
	// CONNECT frame; default 10s.
	ConnectTimeout time.Duration
}

// DefaultHeartBeat is the heart-beat interval `stomp serve` offers unless
// told otherwise. Config.HeartBeat itself is literal: 0 disables.
const DefaultHeartBeat = 10 * time.Second

// Broker is a running embedded STOMP broker.
type Broker struct {
	cfg Config

	router *router
	id     string // random, so sessions (and message ids) differ across brokers

	mu        sync.Mutex // guards the fields below
	listener  net.Listener
	listeners map[net.Listener]bool
	conns     map[*conn]bool
	nextConn  uint64
	closed    bool
	done      chan struct{}
	wg        sync.WaitGroup
}

// CheckListenAddr refuses to expose an unauthenticated broker beyond the
// local machine: addr must be loopback unless a login is configured.
func CheckListenAddr(addr, login string) error {
	if login != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("refusing to listen on %s without --user/--password: %v", addr, err)
	}
	if isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without --user/--password: only loopback addresses (127.0.0.0/8, ::1, localhost) may be used without authentication", addr)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// Start listens on cfg.Addr and serves in the background.
func Start(cfg Config) (*Broker, error) {
	b := New(cfg)
	l, err := net.Listen("tcp", b.cfg.Addr)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.listener = l
	b.listeners[l] = true
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		if err := b.Serve(l); err != nil {
			b.cfg.Logf("broker: accept failed, no longer listening on %s: %v", l.Addr(), err)
		}
	}()
	return b, nil
}

// New returns a broker that is not yet listening; call Serve.
func New(cfg Config) *Broker {
	cfg = cfg.withDefaults()
	var id [4]byte
	_, _ = rand.Read(id[:])
	return &Broker{
		cfg:       cfg,
		router:    newRouter(cfg.Logf),
		id:        hex.EncodeToString(id[:]),
		listeners: map[net.Listener]bool{},
		conns:     map[*conn]bool{},
		done:      make(chan struct{}),
	}
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
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
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Addr returns the listening address, e.g. "127.0.0.1:61613", or "" if
// the broker is not listening.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listener == nil {
		return ""
	}
	return b.listener.Addr().String()
}

// Serve accepts connections on l until Close; it returns nil after Close.
func (b *Broker) Serve(l net.Listener) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		l.Close()
		return nil
	}
	b.listener = l
	b.listeners[l] = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, l)
		b.mu.Unlock()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			select {
			case <-b.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		b.accept(nc)
	}
}

// accept registers and starts a connection, unless the broker is closing.
func (b *Broker) accept(nc net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		nc.Close()
		return
	}
	b.nextConn++
	c := newConn(b, nc, b.id+"-"+strconv.FormatUint(b.nextConn, 10))
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
				_ = c.nc.Close()
				b.forget(c)
			}
		}()
		c.run()
	}()
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
	var err error
	for l := range b.listeners {
		if e := l.Close(); e != nil && err == nil {
			err = e
		}
	}
	for c := range b.conns {
		// Unblocks the reader and writer; each tears itself down.
		_ = c.nc.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
	return err
}
