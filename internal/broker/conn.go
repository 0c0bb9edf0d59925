package broker

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
	"github.com/stomp-cli/stomp/internal/stomp/wsstream"
)

const (
	readBufSize  = 64 << 10
	writeBufSize = 64 << 10
	// lingerTime bounds how long a connection closed by the broker (after
	// ERROR or DISCONNECT) keeps draining input so that the client reads
	// the final frame instead of a TCP reset.
	lingerTime = time.Second
	// finalWriteTime bounds how long the final frames may take to write.
	finalWriteTime = 5 * time.Second
)

// conn is one client connection: a reader goroutine (run, which also
// handles frames) and a writer goroutine (writeLoop).
type conn struct {
	b       *Broker
	r       *router
	nc      net.Conn
	session string
	out     *outbox
	dec     *wire.Reader
	rd      *deadlineReader
	ver     wire.Version // set once by CONNECT, before CONNECTED is queued

	writerDone chan struct{}

	// reader goroutine only
	connected bool
	txs       map[string][]*frame.Frame
	txBytes   int

	// guarded by r.mu
	subs    map[string]*subscription
	pending map[uint64]*delivery
	temps   map[string]*queue // "/temp-queue/NAME" -> queue
	nextSeq uint64
}

// deadlineReader bounds reads. Before CONNECT, until is an absolute
// deadline counted from when the connection was accepted, so a CONNECT
// trickled one byte at a time cannot hold the connection. After it,
// timeout is refreshed before every read from the socket (once per
// buffer fill, not per frame), so silence longer than timeout fails the
// read: that is how heart-beat timeouts work.
type deadlineReader struct {
	nc      net.Conn
	until   time.Time     // before CONNECT
	timeout time.Duration // after CONNECT; 0 = none
	armed   bool          // a deadline is set and must be cleared if both are off
	set     time.Time     // the absolute deadline armed, when until is in use
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	switch {
	case !d.until.IsZero():
		if !d.armed || !d.set.Equal(d.until) {
			_ = d.nc.SetReadDeadline(d.until)
			d.armed, d.set = true, d.until
		}
	case d.timeout > 0:
		_ = d.nc.SetReadDeadline(time.Now().Add(d.timeout))
		d.armed, d.set = true, time.Time{}
	case d.armed:
		_ = d.nc.SetReadDeadline(time.Time{})
		d.armed = false
	}
	return d.nc.Read(p)
}

// Buffer sizes before and after CONNECT: a connection that has not logged
// in gets small buffers, so many of them cost little.
const (
	preLoginBufSize = 4 << 10
)

func newConn(b *Broker, nc net.Conn, session string, acceptedAt time.Time) *conn {
	c := &conn{
		b: b, r: b.router, nc: nc, session: session,
		out:        newOutbox(b.cfg.OutBufferBytes),
		rd:         &deadlineReader{nc: nc, until: acceptedAt.Add(b.cfg.ConnectTimeout)},
		writerDone: make(chan struct{}),
		txs:        map[string][]*frame.Frame{},
		subs:       map[string]*subscription{},
		pending:    map[uint64]*delivery{},
		temps:      map[string]*queue{},
	}
	c.dec = wire.NewReader(c.rd, wire.Options{
		MaxFrameSize:     preLoginMaxFrame,
		MaxHeaders:       b.cfg.MaxHeaders,
		ClientFramesOnly: true,
		BufferSize:       preLoginBufSize,
	})
	return c
}

func (c *conn) logf(format string, args ...any) {
	c.b.cfg.Logf("session "+c.session+" ("+c.nc.RemoteAddr().String()+"): "+format, args...)
}

// run serves the connection until it ends, then releases everything.
func (c *conn) run() {
	go func() {
		defer c.b.wg.Done()
		c.writeLoop()
	}()
	graceful := c.safeReadLoop()
	c.finish(graceful)
}

// safeReadLoop is the last line of defence: a bug must cost one connection,
// never the process. Code must not rely on it.
func (c *conn) safeReadLoop() (graceful bool) {
	defer func() {
		if p := recover(); p != nil {
			c.logf("internal error (connection dropped): %v\n%s", p, debug.Stack())
			graceful = false
		}
	}()
	return c.readLoop()
}

// readLoop reads and handles frames. It returns true when the broker ends
// the connection deliberately (ERROR or DISCONNECT queued), false when the
// connection broke.
func (c *conn) readLoop() bool {
	for {
		f, err := readFrame(c.dec)
		if err == nil {
			err = c.handle(f)
		}
		if err == nil {
			continue
		}
		var pe *protoError
		var ne net.Error
		switch {
		case err == errDisconnect:
			return true
		case errors.As(err, &pe):
			c.logf("protocol error: %s", pe.Error())
			c.sendError(pe, f)
			return true
		case errors.As(err, &ne) && ne.Timeout():
			what := "heart-beat timeout: nothing received for " + c.rd.timeout.String()
			if !c.connected {
				what = "no CONNECT frame within " + c.b.cfg.ConnectTimeout.String() + " of connecting"
			}
			c.logf("%s", what)
			c.sendError(&protoError{msg: what}, nil)
			return true
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
			return false
		default:
			c.logf("read error: %v", err)
			return false
		}
	}
}

var errDisconnect = errors.New("disconnect")

// sendError queues an ERROR frame; f is the offending frame, if known.
func (c *conn) sendError(pe *protoError, f *frame.Frame) {
	ef := frame.New(frame.ERROR, frame.Message, pe.msg)
	for i := 0; i+1 < len(pe.headers); i += 2 {
		ef.Header.Add(pe.headers[i], pe.headers[i+1])
	}
	if f != nil {
		if r, ok := f.Header.Contains(frame.Receipt); ok {
			ef.Header.Add(frame.ReceiptId, r)
		}
	}
	if pe.detail != "" {
		ef.Header.Add(frame.ContentType, "text/plain")
		ef.Body = []byte(pe.detail + "\n")
	}
	c.pushControl(ef)
}

func (c *conn) pushControl(f *frame.Frame) {
	c.out.push(outItem{f: f}, 128+len(f.Body))
}

// finish tears the connection down. Graceful: let the writer flush the
// final ERROR/RECEIPT, half-close, and drain input briefly so the peer
// sees our last frame rather than a reset. Otherwise: stop at once.
func (c *conn) finish(graceful bool) {
	defer c.b.forget(c)
	c.dropTxBytes(c.txBytes) // open transactions die with the connection
	if graceful {
		c.out.close()
		c.r.detach(c)
		_ = c.nc.SetWriteDeadline(time.Now().Add(finalWriteTime))
		<-c.writerDone
		if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
			_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.Copy(io.Discard, c.nc)
		}
		_ = c.nc.Close()
	} else {
		c.out.abort()
		_ = c.nc.Close()
		c.r.detach(c)
		<-c.writerDone
	}
	c.logf("disconnected")
}

// writeLoop writes queued frames, flushing only when the outbox is empty
// (so a burst of messages becomes few large writes), and sends heart-beat
// EOLs when nothing else was written for a while.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	defer func() {
		if p := recover(); p != nil {
			c.logf("internal error in writer (connection dropped): %v\n%s", p, debug.Stack())
			c.out.abort()
			_ = c.nc.Close()
		}
	}()
	// Small until the first MESSAGE: CONNECTED, RECEIPT and ERROR are short.
	bw := bufio.NewWriterSize(c.nc, preLoginBufSize)
	_, overWebSocket := c.nc.(*wsstream.Conn) // one frame per message there: no EOL after it
	enc := &encoder{w: bw, eol: !overWebSocket}
	var (
		batch      []outItem
		hbInterval time.Duration
		hbTicker   *time.Ticker
		hbTick     <-chan time.Time
		lastWrite  = time.Now()
	)
	defer func() {
		if hbTicker != nil {
			hbTicker.Stop()
		}
	}()
	fail := func(err error) {
		if !errors.Is(err, net.ErrClosed) {
			c.logf("write error: %v", err)
		}
		c.out.abort()
		_ = c.nc.Close()
	}
	for {
		var starved, closed, aborted bool
		batch, starved, closed, aborted = c.out.take(batch)
		if aborted {
			return
		}
		if starved {
			c.r.redispatch(c)
		}
		if len(batch) > 0 {
			for i := range batch {
				it := &batch[i]
				var err error
				if it.msg != nil && it.sub.mode != ackAuto && it.sub.cancelled.Load() {
					// Its subscription ended and the message went back to
					// the queue: sent now, it would come after the
					// UNSUBSCRIBE's receipt (it was held back, see
					// outbox.hold), for a subscription the client no
					// longer has, and to another consumer as well.
					continue
				}
				if it.msg != nil {
					if bw.Size() < writeBufSize {
						if err := bw.Flush(); err != nil {
							fail(err)
							return
						}
						bw = bufio.NewWriterSize(c.nc, writeBufSize)
						enc.w = bw
					}
					err = enc.writeMessage(it, c.session, c.ver)
				} else {
					err = enc.writeFrame(it.f, c.ver)
				}
				if err != nil {
					fail(err)
					return
				}
				if it.heartBeat > 0 && hbTicker == nil {
					hbInterval = it.heartBeat
					hbTicker = time.NewTicker(hbInterval / 2)
					hbTick = hbTicker.C
				}
			}
			continue // more may have arrived; flush only when empty
		}
		if bw.Buffered() > 0 {
			if err := bw.Flush(); err != nil {
				fail(err)
				return
			}
			lastWrite = time.Now()
		}
		if closed {
			return
		}
		select {
		case <-c.out.wake:
		case <-hbTick:
			if time.Since(lastWrite) >= hbInterval/2 {
				bw.WriteByte('\n')
				if err := bw.Flush(); err != nil {
					fail(err)
					return
				}
				lastWrite = time.Now()
			}
		}
	}
}

// parseHeartBeat parses "cx,cy" in milliseconds.
func parseHeartBeat(s string) (cx, cy time.Duration, ok bool) {
	if s == "" {
		return 0, 0, true
	}
	a, b, found := strings.Cut(s, ",")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 31)
	y, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 31)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond, true
}
