// Package faultproxy is a TCP proxy for tests that breaks the connections it
// carries on command: between a STOMP client and a broker on loopback, a test
// resets connections (RST), stalls them in one or both directions, cuts them
// in the middle of a frame, or refuses new connections for a while (the
// broker is "down" from the client's view). Everything else passes through
// unchanged. Faults apply to one connection (Conn) or to all (Proxy), and
// can be injected while connections are open.
//
// Toxiproxy does most of this, but as a server with its own HTTP API and a
// dozen dependencies, with faults per proxy rather than per connection and
// no notion of a frame; the few hundred lines here are what the tests need.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Direction is which way data flows through a connection.
type Direction int

// The directions a fault applies to.
const (
	ToBroker Direction = 1 << iota // client → broker
	ToClient                       // broker → client
	Both     = ToBroker | ToClient
)

func (d Direction) String() string {
	switch d {
	case ToBroker:
		return "to-broker"
	case ToClient:
		return "to-client"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Proxy listens on a loopback port and forwards every connection to the
// target address.
type Proxy struct {
	target string
	addr   string // the listening address, kept across Refuse

	mu       sync.Mutex
	ln       net.Listener // nil while refusing
	conns    map[*Conn]struct{}
	stall    [2]time.Time // proxy-wide stall deadline per direction (index dirIndex)
	accepted int
	refuse   *time.Timer
	closed   bool
	wake     chan struct{} // closed and replaced whenever a stall changes
	wg       sync.WaitGroup
}

// New starts a proxy on a free loopback port that forwards to target
// ("host:port").
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[*Conn]struct{}{}, wake: make(chan struct{})}
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the proxy's "host:port", the address clients connect to.
func (p *Proxy) Addr() string { return p.addr }

// Host and Port split Addr.
func (p *Proxy) Host() string { h, _, _ := net.SplitHostPort(p.addr); return h }

// Port is the proxy's port.
func (p *Proxy) Port() string { _, port, _ := net.SplitHostPort(p.addr); return port }

// Accepted is the number of client connections accepted so far (those
// refused while the proxy refuses are not counted).
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Conns are the connections open now, oldest first.
func (p *Proxy) Conns() []*Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := make([]*Conn, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	for i := 1; i < len(cs); i++ { // few connections: insertion sort by id
		for j := i; j > 0 && cs[j].id < cs[j-1].id; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	return cs
}

// Close stops listening, resets every open connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.refuse != nil {
		p.refuse.Stop()
	}
	ln := p.ln
	p.ln = nil
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	p.ResetAll()
	p.wg.Wait()
	return nil
}

// ResetAll resets every open connection (see Conn.Reset).
func (p *Proxy) ResetAll() {
	for _, c := range p.Conns() {
		c.Reset()
	}
}

// StallAll stops forwarding in dir on every connection, open now or opened
// before d has passed, for d.
func (p *Proxy) StallAll(dir Direction, d time.Duration) {
	p.mu.Lock()
	extendStall(&p.stall, dir, d)
	p.mu.Unlock()
	p.wakeStalled()
}

// ResumeAll ends every stall in dir, the proxy's and each connection's, at
// once: what was held flows on.
func (p *Proxy) ResumeAll(dir Direction) {
	p.mu.Lock()
	for _, i := range dirIndexes(dir) {
		p.stall[i] = time.Time{}
	}
	p.mu.Unlock()
	for _, c := range p.Conns() {
		c.mu.Lock()
		for _, i := range dirIndexes(dir) {
			c.stall[i] = time.Time{}
		}
		c.mu.Unlock()
	}
	p.wakeStalled()
}

// CutAll arms a mid-frame cut in dir on every open connection (see
// Conn.CutMidFrame).
func (p *Proxy) CutAll(dir Direction) {
	for _, c := range p.Conns() {
		c.CutMidFrame(dir)
	}
}

// Refuse closes the listening socket for d, so that connecting fails with
// "connection refused", then listens on the same port again. Open
// connections are not touched (ResetAll ends them). Refusing while already
// refusing extends the outage to d from now.
func (p *Proxy) Refuse(d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("faultproxy: closed")
	}
	if p.refuse != nil {
		p.refuse.Stop()
	}
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.refuse = time.AfterFunc(d, p.relisten)
	return nil
}

// Refusing reports whether the proxy is refusing connections now.
func (p *Proxy) Refusing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ln == nil && !p.closed
}

// relisten listens on the proxy's port again after Refuse. The port was
// ours a moment ago, so binding it again succeeds unless another socket took
// it in between; then it keeps trying.
func (p *Proxy) relisten() {
	for {
		p.mu.Lock()
		if p.closed || p.ln != nil {
			p.mu.Unlock()
			return
		}
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.ln = ln
			p.wg.Add(1)
			go p.accept(ln)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		client, err := ln.Accept()
		if err != nil {
			return // closed: by Close or by Refuse
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			client.Close()
			return
		}
		p.accepted++
		id := p.accepted
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(id, client.(*net.TCPConn))
	}
}

// serve dials the broker for one client connection and forwards both ways.
// When the broker cannot be reached the client gets a reset, as a load
// balancer in front of a dead broker would give it.
func (p *Proxy) serve(id int, client *net.TCPConn) {
	defer p.wg.Done()
	bc, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.SetLinger(0)
		client.Close()
		return
	}
	c := &Conn{id: id, p: p, client: client, broker: bc.(*net.TCPConn), done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Reset()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pump(ToBroker, c.broker, c.client) }()
	go func() { defer wg.Done(); c.pump(ToClient, c.client, c.broker) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// wakeStalled makes every waiting pump look at its stall deadline again.
func (p *Proxy) wakeStalled() {
	p.mu.Lock()
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// extendStall makes the stall deadlines for dir at least d from now.
func extendStall(stall *[2]time.Time, dir Direction, d time.Duration) {
	until := time.Now().Add(d)
	for _, i := range dirIndexes(dir) {
		if until.After(stall[i]) {
			stall[i] = until
		}
	}
}

func dirIndexes(dir Direction) []int {
	var is []int
	if dir&ToBroker != 0 {
		is = append(is, 0)
	}
	if dir&ToClient != 0 {
		is = append(is, 1)
	}
	return is
}

func dirIndex(dir Direction) int {
	if dir == ToBroker {
		return 0
	}
	return 1
}

// Conn is one proxied connection: a client and the broker connection
// dialed for it.
type Conn struct {
	id     int
	p      *Proxy
	client *net.TCPConn
	broker *net.TCPConn

	mu    sync.Mutex // guards the fields below; the Proxy's mu is taken before it, never after
	stall [2]time.Time
	cut   [2]bool
	bytes [2]int64
	once  sync.Once
	done  chan struct{} // closed when the connection is torn down
}

// ID is the connection's number, from 1 in the order accepted.
func (c *Conn) ID() int { return c.id }

// Forwarded is how many bytes went through in dir so far.
func (c *Conn) Forwarded(dir Direction) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes[dirIndex(dir)]
}

// Reset ends the connection with a TCP reset on both sides: each peer's
// next read or write fails with "connection reset by peer" and nothing
// still buffered in the proxy is delivered.
func (c *Conn) Reset() {
	c.teardown(true)
}

// Stall stops forwarding in dir for d. Data the peers send meanwhile waits
// in the proxy and the socket buffers (and, once those are full, in the
// sender), and is delivered when the stall ends, unless the connection is
// reset first.
func (c *Conn) Stall(dir Direction, d time.Duration) {
	c.mu.Lock()
	extendStall(&c.stall, dir, d)
	c.mu.Unlock()
	c.p.wakeStalled()
}

// CutMidFrame arms a cut in dir: the next STOMP frame that flows that way
// is forwarded only in part (its first half, never its terminating NUL),
// then both sides are closed (FIN, not reset). Heart-beat newlines before
// the frame pass through. Both arms each direction separately; the first
// cut closes the connection.
func (c *Conn) CutMidFrame(dir Direction) {
	c.mu.Lock()
	for _, i := range dirIndexes(dir) {
		c.cut[i] = true
	}
	c.mu.Unlock()
}

func (c *Conn) teardown(reset bool) {
	c.once.Do(func() {
		if reset {
			c.client.SetLinger(0)
			c.broker.SetLinger(0)
		}
		c.client.Close()
		c.broker.Close()
		close(c.done)
	})
}

// stallUntil is the later of the connection's and the proxy's stall
// deadlines for dir, and the channel that says when either changes.
func (c *Conn) stallUntil(dir Direction) (time.Time, <-chan struct{}) {
	i := dirIndex(dir)
	c.p.mu.Lock()
	until, wake := c.p.stall[i], c.p.wake
	c.p.mu.Unlock()
	c.mu.Lock()
	if c.stall[i].After(until) {
		until = c.stall[i]
	}
	c.mu.Unlock()
	return until, wake
}

// waitStall blocks while dir is stalled; false when the connection ended.
func (c *Conn) waitStall(dir Direction) bool {
	for {
		until, wake := c.stallUntil(dir)
		wait := time.Until(until)
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-wake:
			t.Stop()
		case <-c.done:
			t.Stop()
			return false
		}
	}
}

// pump copies src to dst in dir, obeying stalls and cuts, until either
// side ends; then it closes the connection (a clean end on one side is
// passed on as a close of both, as a broker closing its socket would look).
func (c *Conn) pump(dir Direction, dst, src *net.TCPConn) {
	buf := make([]byte, 32*1024)
	i := dirIndex(dir)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !c.waitStall(dir) {
				return
			}
			chunk := buf[:n]
			c.mu.Lock()
			cutNow := c.cut[i]
			c.mu.Unlock()
			if cutNow {
				if at, ok := cutPoint(chunk); ok {
					dst.Write(chunk[:at])
					c.count(i, at)
					c.teardown(false)
					return
				}
			}
			if _, werr := dst.Write(chunk); werr != nil {
				c.teardown(true)
				return
			}
			c.count(i, n)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.teardown(false)
			} else {
				c.teardown(true)
			}
			return
		}
	}
}

func (c *Conn) count(i, n int) {
	c.mu.Lock()
	c.bytes[i] += int64(n)
	c.mu.Unlock()
}

// cutPoint is where to cut chunk so that a frame is left unfinished: half
// way between the frame's first byte (after any heart-beat newlines) and
// its NUL, or the end of the chunk when the NUL is not in it; the NUL itself
// is never forwarded. ok is false
// when chunk holds only heart-beats.
func cutPoint(chunk []byte) (int, bool) {
	start := 0
	for start < len(chunk) && (chunk[start] == '\n' || chunk[start] == '\r') {
		start++
	}
	if start == len(chunk) {
		return 0, false
	}
	end := len(chunk)
	if nul := bytes.IndexByte(chunk[start:], 0); nul >= 0 {
		end = start + nul
	}
	if end-start < 2 {
		return start, true // the frame's last byte or its NUL: forward none of it
	}
	return start + (end-start)/2, true
}
