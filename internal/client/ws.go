package client

// STOMP over WebSocket (RabbitMQ web-stomp, ActiveMQ's ws transport,
// stomp.js brokers).
//
// We use github.com/coder/websocket (formerly nhooyr.io/websocket): it is
// maintained, every call takes a context (so --connect-timeout and Ctrl-C
// bound the HTTP upgrade like a TCP dial), and it has a net.Conn adapter
// whose deadline handling we mirror here. We do not use that adapter as
// is: it sends one WebSocket message per Write, and our writer batches
// frames into one flush, while brokers and the STOMP-over-WebSocket
// convention expect one STOMP frame per message. wsConn splits the byte
// stream on frame boundaries instead.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// WebSocketURL is the URL Dial opens for a WebSocket endpoint.
func (e Endpoint) WebSocketURL() string {
	scheme := "ws"
	if e.TLS != nil {
		scheme = "wss"
	}
	return scheme + "://" + e.Addr() + e.WSPath
}

// subprotocols maps STOMP versions to the registered WebSocket
// subprotocol names, newest first.
func subprotocols(versions []string) []string {
	if len(versions) == 0 {
		versions = []string{"1.0", "1.1", "1.2"}
	}
	var out []string
	for i := len(versions) - 1; i >= 0; i-- {
		switch versions[i] {
		case "1.2":
			out = append(out, "v12.stomp")
		case "1.1":
			out = append(out, "v11.stomp")
		case "1.0":
			out = append(out, "v10.stomp")
		}
	}
	return out
}

// dialWebSocket opens e.WebSocketURL() and performs the STOMP handshake
// over it. ctx bounds the upgrade and the handshake.
func dialWebSocket(ctx context.Context, e Endpoint, opts Options) (*Conn, error) {
	u := e.WebSocketURL()
	tr := &http.Transport{
		Proxy:       http.ProxyFromEnvironment, // never used for loopback
		DialContext: (&net.Dialer{}).DialContext,
	}
	if e.TLS != nil {
		cfg := e.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = e.Host // SNI and the name verified
		}
		tr.TLSClientConfig = cfg
	}
	defer tr.CloseIdleConnections()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		Subprotocols: subprotocols(opts.Versions),
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &DialError{Addr: u, TLS: e.TLS != nil, Cause: fmt.Errorf(
				"the server answered HTTP %q instead of upgrading to a WebSocket (check the path: RabbitMQ web-stomp serves /ws)", resp.Status)}
		}
		return nil, &DialError{Addr: u, Cause: err, TLS: e.TLS != nil}
	}
	// Frames are bounded by wire.Reader (--max-frame-size), which reads
	// the messages as a stream.
	ws.SetReadLimit(-1)
	return Connect(ctx, newWSConn(ws), opts)
}

// wsConn carries the STOMP byte stream over WebSocket messages: reads
// concatenate the messages, writes are cut into one message per frame
// (heart-beat EOLs travel alone).
type wsConn struct {
	ws *websocket.Conn

	readCtx    context.Context
	readCancel context.CancelFunc
	r          io.Reader // the message being read
	dmu        sync.Mutex
	deadline   *time.Timer
	timedOut   atomic.Bool

	writeCtx    context.Context
	writeCancel context.CancelFunc
	wmu         sync.Mutex
	pending     []byte // bytes of an incomplete frame
	closeOnce   sync.Once
}

func newWSConn(ws *websocket.Conn) *wsConn {
	w := &wsConn{ws: ws}
	w.readCtx, w.readCancel = context.WithCancel(context.Background())
	w.writeCtx, w.writeCancel = context.WithCancel(context.Background())
	return w
}

// Read reads the next bytes of the broker's stream, across messages.
func (w *wsConn) Read(p []byte) (int, error) {
	for {
		if w.r == nil {
			_, r, err := w.ws.Reader(w.readCtx)
			if err != nil {
				return 0, w.readErr(err)
			}
			w.r = r
		}
		n, err := w.r.Read(p)
		if errors.Is(err, io.EOF) {
			w.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		if err != nil {
			return n, w.readErr(err)
		}
		return n, nil
	}
}

func (w *wsConn) readErr(err error) error {
	if w.timedOut.Load() {
		return wsTimeout{}
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return io.EOF // the broker hung up
	case -1:
	default:
		return fmt.Errorf("the broker closed the WebSocket: %w", err)
	}
	return err
}

// wsTimeout is the net.Error a read past its deadline returns, as
// net.Conn's do, so a missed heart-beat is reported as one.
type wsTimeout struct{}

func (wsTimeout) Error() string   { return "i/o timeout" }
func (wsTimeout) Timeout() bool   { return true }
func (wsTimeout) Temporary() bool { return true }

// SetReadDeadline bounds the reads to come. coder/websocket reads are
// bounded by a context, so a deadline cancels it; that ends the
// connection, which is what Conn does after a missed heart-beat anyway.
func (w *wsConn) SetReadDeadline(t time.Time) error {
	w.dmu.Lock()
	defer w.dmu.Unlock()
	if w.deadline != nil {
		w.deadline.Stop()
		w.deadline = nil
	}
	if !t.IsZero() {
		w.deadline = time.AfterFunc(time.Until(t), func() {
			w.timedOut.Store(true)
			w.readCancel()
		})
	}
	return nil
}

// Write queues p and sends every complete frame in it as one message.
func (w *wsConn) Write(p []byte) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.pending = append(w.pending, p...)
	sent := 0
	for {
		n := frameEnd(w.pending[sent:])
		if n == 0 {
			break
		}
		msg := w.pending[sent : sent+n]
		typ := websocket.MessageText
		if !utf8.Valid(msg) {
			typ = websocket.MessageBinary // a text message must be UTF-8
		}
		if err := w.ws.Write(w.writeCtx, typ, msg); err != nil {
			return 0, err
		}
		sent += n
	}
	w.pending = append(w.pending[:0], w.pending[sent:]...)
	return len(p), nil
}

// Close closes the WebSocket with a normal closure.
func (w *wsConn) Close() error {
	var err error
	w.closeOnce.Do(func() {
		w.dmu.Lock()
		if w.deadline != nil {
			w.deadline.Stop()
		}
		w.dmu.Unlock()
		w.writeCancel()
		err = w.ws.Close(websocket.StatusNormalClosure, "")
		w.readCancel()
		if err != nil && (errors.Is(err, net.ErrClosed) || websocket.CloseStatus(err) != -1) {
			err = nil // closed already, by either side
		}
	})
	return err
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
