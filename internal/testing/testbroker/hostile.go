package testbroker

import (
	"bufio"
	"net"
	"sync"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// Hostile is a scripted STOMP broker on loopback for tests of what a
// misbehaving broker does to a client: each connection runs the test's
// script, which reads the client's frames and answers them, or not, as it
// likes: drop the connection after some SENDs, reset it instead of
// answering DISCONNECT, answer CONNECT with a version never offered. It
// records the body of every SEND it read, on every connection, so a test
// can tell what reached the broker.
type Hostile struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	sends []Sent
}

// Sent is the body of a SEND the hostile broker read, and the connection
// (HostileConn.N) it came on.
type Sent struct {
	Conn int
	Body string
}

// HostileConn is one client connection, as its script sees it.
type HostileConn struct {
	N       int          // 1 for the first connection, 2 for the next, ...
	Connect *frame.Frame // the client's CONNECT (or STOMP) frame, already read
	h       *Hostile
	nc      net.Conn
	r       *wire.Reader
	w       *frame.Writer
	bw      *bufio.Writer
}

// StartHostile listens on a free loopback port and runs script for each
// connection once its CONNECT has been read. Everything is closed when the
// test ends.
func StartHostile(t testing.TB, script func(c *HostileConn)) *Hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &Hostile{ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for n := 1; ; n++ {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, nc)
			h.mu.Unlock()
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				defer nc.Close()
				bw := bufio.NewWriter(nc)
				c := &HostileConn{N: n, h: h, nc: nc, r: wire.NewReader(nc, wire.Options{MaxFrameSize: 64 << 20, Version: wire.V12}), w: frame.NewWriter(bw), bw: bw}
				f, err := c.Read()
				if err != nil {
					return
				}
				c.Connect = f
				script(c)
			}()
		}
	}()
	t.Cleanup(h.Close)
	return h
}

// Target is where the hostile broker listens (no login).
func (h *Hostile) Target() Target {
	host, port, _ := net.SplitHostPort(h.ln.Addr().String())
	return Target{Name: "hostile", Host: host, Port: port}
}

// Sends returns the SEND frames read so far, in order, over all
// connections.
func (h *Hostile) Sends() []Sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Sent(nil), h.sends...)
}

// Close stops listening and ends every connection.
func (h *Hostile) Close() {
	h.ln.Close()
	h.mu.Lock()
	for _, nc := range h.conns {
		nc.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// Read returns the client's next frame, skipping heart-beats, and records
// a SEND's body.
func (c *HostileConn) Read() (*frame.Frame, error) {
	for {
		f, err := c.r.Read()
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		if f.Command == frame.SEND {
			c.h.mu.Lock()
			c.h.sends = append(c.h.sends, Sent{Conn: c.N, Body: string(f.Body)})
			c.h.mu.Unlock()
		}
		return f, nil
	}
}

// Write sends f to the client.
func (c *HostileConn) Write(f *frame.Frame) error {
	if err := c.w.Write(f); err != nil {
		return err
	}
	return c.bw.Flush()
}

// Connected answers CONNECT with CONNECTED for version, without
// heart-beats.
func (c *HostileConn) Connected(version string) error {
	return c.Write(frame.New(frame.CONNECTED, frame.Version, version, frame.HeartBeat, "0,0", frame.Server, "hostile/1.0"))
}

// Receipt answers f's receipt header, if it has one.
func (c *HostileConn) Receipt(f *frame.Frame) error {
	id := f.Header.Get(frame.Receipt)
	if id == "" {
		return nil
	}
	return c.Write(frame.New(frame.RECEIPT, frame.ReceiptId, id))
}

// Serve behaves as a broker should until the client leaves: every receipt
// is answered, and DISCONNECT's receipt ends the connection. handle, when
// not nil, sees each frame first and returns true when it dealt with the
// frame itself (answered it, or chose not to), so Serve answers nothing for
// it; a handle that ends the connection (Reset) ends Serve with it.
func (c *HostileConn) Serve(handle func(f *frame.Frame) bool) {
	for {
		f, err := c.Read()
		if err != nil {
			return
		}
		if handle != nil && handle(f) {
			continue
		}
		if c.Receipt(f) != nil || f.Command == frame.DISCONNECT {
			return
		}
	}
}

// Reset ends the connection with a TCP reset: no DISCONNECT receipt, no
// FIN, and whatever the client still sends is refused.
func (c *HostileConn) Reset() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.nc.Close()
}
