// Package wsstream carries a STOMP byte stream over WebSocket messages, in
// both directions: reads concatenate the peer's messages, writes are cut
// into one message per frame (heart-beat EOLs travel alone), the
// convention of RabbitMQ web-stomp, ActiveMQ's ws transport and stomp.js.
// The client (internal/stomp/client) and the embedded broker (internal/broker)
// both use it, so each can keep its buffered writer and frame reader.
//
// It builds on github.com/coder/websocket (maintained; every call takes a
// context). Its own net.Conn adapter is not used: it sends one message per
// Write, and a buffered writer's flush holds many frames, or part of one.
package wsstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// Subprotocols are the registered STOMP WebSocket subprotocols, newest
// first: what RabbitMQ web-stomp offers, and what the broker accepts.
var Subprotocols = []string{"v12.stomp", "v11.stomp", "v10.stomp"}

// Conn is a net.Conn over one WebSocket. Deadlines are kept by cancelling
// the WebSocket's contexts, which closes it: a timed-out read or write
// ends the connection (what a STOMP peer does after one anyway).
type Conn struct {
	ws            *websocket.Conn
	local, remote net.Addr

	readCtx    context.Context
	readCancel context.CancelFunc
	r          io.Reader // the message being read
	rdl        deadline

	writeCtx    context.Context
	writeCancel context.CancelFunc
	wdl         deadline
	wmu         sync.Mutex
	pending     []byte // bytes of an incomplete frame
	closeOnce   sync.Once
}

// deadline cancels a context when it passes.
type deadline struct {
	mu       sync.Mutex
	timer    *time.Timer
	timedOut atomic.Bool
}

func (d *deadline) set(t time.Time, cancel context.CancelFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if !t.IsZero() {
		d.timer = time.AfterFunc(time.Until(t), func() {
			d.timedOut.Store(true)
			cancel()
		})
	}
}

func (d *deadline) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}

// New wraps ws. local and remote are what LocalAddr and RemoteAddr
// report (either may be nil).
func New(ws *websocket.Conn, local, remote net.Addr) *Conn {
	c := &Conn{ws: ws, local: orNone(local), remote: orNone(remote)}
	c.readCtx, c.readCancel = context.WithCancel(context.Background())
	c.writeCtx, c.writeCancel = context.WithCancel(context.Background())
	return c
}

// Read reads the next bytes of the peer's stream, across messages.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			_, r, err := c.ws.Reader(c.readCtx)
			if err != nil {
				return 0, c.readErr(err)
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		if err != nil {
			return n, c.readErr(err)
		}
		return n, nil
	}
}

func (c *Conn) readErr(err error) error {
	if c.rdl.timedOut.Load() {
		return timeout{}
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return io.EOF // the peer hung up
	case -1:
	default:
		return fmt.Errorf("the peer closed the WebSocket: %w", err)
	}
	return err
}

// timeout is the net.Error a read or write past its deadline returns, as
// net.Conn's do, so a missed heart-beat is reported as one.
type timeout struct{}

func (timeout) Error() string   { return "i/o timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }

// SetReadDeadline bounds the reads to come.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdl.set(t, c.readCancel)
	return nil
}

// SetWriteDeadline bounds the writes to come.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wdl.set(t, c.writeCancel)
	return nil
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rdl.set(t, c.readCancel)
	c.wdl.set(t, c.writeCancel)
	return nil
}

// Write queues p and sends every complete frame in it as one message.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.pending = append(c.pending, p...)
	sent := 0
	for {
		n := frameEnd(c.pending[sent:])
		if n == 0 {
			break
		}
		msg := c.pending[sent : sent+n]
		typ := websocket.MessageText
		if !utf8.Valid(msg) {
			typ = websocket.MessageBinary // a text message must be UTF-8
		}
		if err := c.ws.Write(c.writeCtx, typ, msg); err != nil {
			if c.wdl.timedOut.Load() {
				return 0, timeout{}
			}
			return 0, err
		}
		sent += n
	}
	c.pending = append(c.pending[:0], c.pending[sent:]...)
	if cap(c.pending) > 64<<10 && len(c.pending) == 0 {
		c.pending = nil // one big frame must not pin its buffer
	}
	return len(p), nil
}

// Close closes the WebSocket with a normal closure.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.rdl.stop()
		c.wdl.stop()
		c.writeCancel()
		err = c.ws.Close(websocket.StatusNormalClosure, "")
		c.readCancel()
		if err != nil && (errors.Is(err, net.ErrClosed) || websocket.CloseStatus(err) != -1) {
			err = nil // closed already, by either side
		}
	})
	return err
}

// LocalAddr reports the address given to New.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr reports the address given to New.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

type noAddr struct{}

func (noAddr) Network() string { return "websocket" }
func (noAddr) String() string  { return "websocket" }

func orNone(a net.Addr) net.Addr {
	if a == nil {
		return noAddr{}
	}
	return a
}

// frameEnd returns the length of the first complete unit in b: a heart-beat
// EOL, or a frame up to and including its NUL (after content-length body
// bytes when the header is there). 0 means b holds no complete unit yet.
func frameEnd(b []byte) int {
	switch {
	case len(b) == 0:
		return 0
	case b[0] == '\n':
		return 1
	case b[0] == '\r':
		if len(b) < 2 {
			return 0
		}
		if b[1] == '\n' {
			return 2
		}
	}
	pos, bodyStart, length := 0, -1, -1
	for first := true; ; first = false {
		j := bytes.IndexByte(b[pos:], '\n')
		if j < 0 {
			return 0
		}
		line := bytes.TrimSuffix(b[pos:pos+j], []byte{'\r'})
		pos += j + 1
		if !first && len(line) == 0 {
			bodyStart = pos
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("content-length:")); ok && !first && length < 0 {
			if n, err := strconv.Atoi(string(v)); err == nil && n >= 0 {
				length = n // the first one counts (STOMP 1.2)
			}
		}
	}
	if length >= 0 {
		end := bodyStart + length
		if len(b) <= end {
			return 0
		}
		if b[end] == 0 {
			return end + 1
		}
		// A wrong content-length: fall back to the first NUL after it.
		bodyStart = end
	}
	k := bytes.IndexByte(b[bodyStart:], 0)
	if k < 0 {
		return 0
	}
	return bodyStart + k + 1
}

// CloseNow closes the WebSocket at once, without the closing handshake
// (which may wait seconds for a peer that does not answer).
func (c *Conn) CloseNow() error {
	var err error
	c.closeOnce.Do(func() {
		c.rdl.stop()
		c.wdl.stop()
		c.writeCancel()
		c.readCancel()
		err = c.ws.CloseNow()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}
