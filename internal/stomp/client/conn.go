// Package client is stomp's connection to a broker: one socket, one reader
// and one writer goroutine; frames are read by internal/stomp/wire (within
// --max-frame-size) and written by go-stomp's frame writer.
//
// We do not use go-stomp's Conn: a late RECEIPT wedges it, one slow
// subscription stalls every other one, it hides outgoing frames from -V and
// it reads heart-beats the broker never promised (all seen with go-stomp
// v3.1.5). Its frame type and writer are sound, and that is what this
// package builds on. Everything the broker sends that nobody waits for
// (MESSAGE, unsolicited RECEIPT and ERROR) comes out of Incoming in order.
package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// Direction says which way a traced frame went.
type Direction int

const (
	Out Direction = iota // client to broker
	In                   // broker to client
)

// Conn is an open STOMP connection. All methods are safe for concurrent use.
type Conn struct {
	nc        io.ReadWriteCloser
	opts      Options
	version   string
	server    string
	session   string
	connected *frame.Frame

	sendEvery time.Duration // negotiated: we send a heart-beat this often
	readGrace time.Duration // negotiated: broker silent this long means dead

	out      chan outFrame
	incoming chan *frame.Frame

	mu        sync.Mutex
	receipts  map[string]chan *frame.Frame
	confirms  map[string]confirmWait // receipts asked for on tracked SENDs
	onConfirm func(seq uint64)
	closeErr  error

	nextID    atomic.Uint64
	leaving   atomic.Bool // DISCONNECT sent: the broker closing is expected
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	framesIn, framesOut, beatsIn, beatsOut atomic.Uint64
}

// ErrClosed is returned by operations on a connection that has ended;
// Err tells why it ended.
var ErrClosed = errors.New("not connected")

// BrokerError is an ERROR frame from the broker.
type BrokerError struct {
	Frame *frame.Frame
}

func (e *BrokerError) Error() string {
	msg := e.Frame.Header.Get("message")
	body := firstLine(string(e.Frame.Body))
	switch {
	case msg == "" && body == "":
		return "broker sent an ERROR frame with no message"
	case msg == "":
		return body
	case body == "" || body == msg:
		return msg
	default:
		return msg + ": " + body
	}
}

// ConnectionLostError says the connection ended without a DISCONNECT.
type ConnectionLostError struct{ Cause error }

func (e *ConnectionLostError) Error() string {
	if e.Cause == nil || errors.Is(e.Cause, io.EOF) {
		return "connection lost: the broker closed the connection"
	}
	return "connection lost: " + e.Cause.Error()
}
func (e *ConnectionLostError) Unwrap() error { return e.Cause }

// TimeoutError says a receipt or reply did not come in time.
type TimeoutError struct{ What string }

func (e *TimeoutError) Error() string { return e.What }

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return s[:i]
		}
	}
	return s
}

// Connect performs the STOMP handshake on an already dialled connection.
func Connect(ctx context.Context, nc io.ReadWriteCloser, opts Options) (*Conn, error) {
	opts.setDefaults()
	c := &Conn{
		nc:       nc,
		opts:     opts,
		out:      make(chan outFrame, 256),
		incoming: make(chan *frame.Frame, opts.IncomingBuffer),
		receipts: make(map[string]chan *frame.Frame),
		confirms: make(map[string]confirmWait),
		done:     make(chan struct{}),
	}
	// Every frame after CONNECTED is read as escaped, whatever the version:
	// go-stomp's writer, which sends ours, escapes in every version too.
	reader := wire.NewReader(nc, wire.Options{MaxFrameSize: opts.MaxFrameSize, Version: wire.V12})
	bw := bufio.NewWriterSize(nc, 64*1024)
	// go-stomp's frame.Writer flushes its buffer after every frame, and
	// handed a *bufio.Writer it uses that one as its buffer: every frame
	// would be a write(2). Behind a buffer of its own, its flush is a copy
	// into bw, which writeLoop flushes once per batch.
	writer := frame.NewWriterSize(struct{ io.Writer }{bw}, 4096)

	// The handshake runs synchronously, bounded by ctx, before any goroutine
	// exists: there is nothing to multiplex yet.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	cf := opts.connectFrame()
	c.trace(Out, cf)
	werr := writer.Write(cf)
	if werr == nil {
		werr = bw.Flush()
	}
	if werr != nil {
		nc.Close()
		return nil, &ConnectionLostError{Cause: fmt.Errorf("sending CONNECT: %w", inWords(werr))}
	}
	resp, err := reader.Read()
	for err == nil && resp == nil { // heart-beat EOLs before CONNECTED
		resp, err = reader.Read()
	}
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, &TimeoutError{What: "timed out waiting for the broker to answer CONNECT"}
		}
		if errors.Is(err, wire.ErrFrameTooLarge) {
			return nil, fmt.Errorf("the broker's answer to CONNECT is too large: %w", err)
		}
		return nil, &ConnectionLostError{Cause: fmt.Errorf("during the STOMP handshake: %w", inWords(err))}
	}
	c.trace(In, resp)
	switch resp.Command {
	case frame.CONNECTED:
	case frame.ERROR:
		nc.Close()
		return nil, &BrokerError{Frame: resp}
	default:
		nc.Close()
		return nil, fmt.Errorf("broker answered CONNECT with %s instead of CONNECTED", resp.Command)
	}
	c.connected = resp
	c.version = resp.Header.Get("version")
	if c.version == "" {
		c.version = "1.0"
	}
	if err := opts.checkVersion(c.version, resp.Header.Get("version") != ""); err != nil {
		nc.Close()
		return nil, err
	}
	c.server = resp.Header.Get("server")
	c.session = resp.Header.Get("session")
	if err := c.negotiateHeartBeats(resp.Header.Get("heart-beat")); err != nil {
		nc.Close()
		return nil, err
	}
	c.wg.Add(2)
	go c.readLoop(reader)
	go c.writeLoop(writer, bw)
	return c, nil
}

// negotiateHeartBeats applies the STOMP 1.1 rules: we send every
// max(cx, sy) when both are non-zero, and expect to hear from the broker
// every max(sx, cy) when both are non-zero. (go-stomp reads with a timeout
// even when sx is 0: its pitfall 1.)
func (c *Conn) negotiateHeartBeats(value string) error {
	if value == "" || c.version == "1.0" {
		return nil
	}
	sx, sy, err := frame.ParseHeartBeat(value)
	if err != nil {
		return fmt.Errorf("broker sent an invalid heart-beat header %q", value)
	}
	// A broker's absurd values must not overflow the arithmetic below.
	const longest = 24 * time.Hour
	sx, sy = min(sx, longest), min(sy, longest)
	cx, cy := c.opts.HeartBeatSend, c.opts.HeartBeatRecv
	if cx > 0 && sy > 0 {
		c.sendEvery = max(cx, sy)
	}
	if cy > 0 && sx > 0 {
		// Generous grace: brokers (RabbitMQ) have one-second granularity
		// and a busy machine delays timers.
		c.readGrace = 2*max(cy, sx) + time.Second
	}
	return nil
}

// Version is the negotiated protocol version: "1.0", "1.1" or "1.2".
func (c *Conn) Version() string { return c.version }

// Server is the CONNECTED frame's server header.
func (c *Conn) Server() string { return c.server }

// Session is the CONNECTED frame's session header.
func (c *Conn) Session() string { return c.session }

// Connected returns the CONNECTED frame.
func (c *Conn) Connected() *frame.Frame { return c.connected }

// HeartBeats returns the negotiated send interval and read grace (0 = off).
func (c *Conn) HeartBeats() (send, grace time.Duration) { return c.sendEvery, c.readGrace }

// Counts reports frames and heart-beats in and out since the connection opened.
func (c *Conn) Counts() (framesIn, framesOut, beatsIn, beatsOut uint64) {
	return c.framesIn.Load(), c.framesOut.Load(), c.beatsIn.Load(), c.beatsOut.Load()
}

// Incoming delivers MESSAGE frames and the RECEIPT and ERROR frames nobody
// waits for, in the order they arrived. It is closed when the connection
// ends. Reading it slowly slows the broker down (TCP backpressure); it never
// drops a frame.
func (c *Conn) Incoming() <-chan *frame.Frame { return c.incoming }

// Done is closed when the connection has ended; Err says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is open; afterwards it is ErrClosed after
// a clean Disconnect, or the error that ended it.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// NewID returns a connection-unique id for receipts.
func (c *Conn) NewID(prefix string) string {
	return prefix + strconv.FormatUint(c.nextID.Add(1), 10)
}

// Send queues a frame for the broker. It returns once the frame is queued,
// not when it is written: ask for a receipt (Request) to know the broker
// has it.
func (c *Conn) Send(ctx context.Context, f *frame.Frame) error {
	return c.queue(ctx, outFrame{f: f})
}

// SendTracked queues a SEND that the caller keeps until the broker
// confirms it. The writer asks for a receipt on the SEND that ends a burst
// and, within a burst, every few hundred messages or milliseconds (on
// this one too when force is set); when such a RECEIPT arrives, the
// handler set with OnConfirm is called with its seq. Brokers process a
// connection's frames in order, so it confirms every tracked SEND queued
// before it. seq must grow with each call and be above zero.
func (c *Conn) SendTracked(ctx context.Context, f *frame.Frame, seq uint64, force bool) error {
	return c.queue(ctx, outFrame{f: f, seq: seq, force: force})
}

// OnConfirm sets the handler SendTracked's confirmations go to. It runs
// on the connection's reader: it must not block.
func (c *Conn) OnConfirm(fn func(seq uint64)) {
	c.mu.Lock()
	c.onConfirm = fn
	c.mu.Unlock()
}

func (c *Conn) queue(ctx context.Context, o outFrame) error {
	if err := c.Err(); err != nil {
		return err
	}
	select {
	case c.out <- o:
		c.framesOut.Add(1) // counted when queued, so `stats` right after a send sees it
		return nil
	case <-c.done:
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Request sends f with a receipt header and waits for the RECEIPT, the ERROR
// that answers it, the end of the connection, or ctx. A receipt that arrives
// after we gave up is discarded: it can never block the reader.
func (c *Conn) Request(ctx context.Context, f *frame.Frame) (*frame.Frame, error) {
	id := f.Header.Get(frame.Receipt)
	if id == "" {
		id = c.NewID("rcpt-")
		f.Header.Set(frame.Receipt, id)
	}
	ch := make(chan *frame.Frame, 1)
	c.mu.Lock()
	if c.closeErr != nil {
		err := c.closeErr
		c.mu.Unlock()
		return nil, err
	}
	c.receipts[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.receipts, id)
		c.mu.Unlock()
	}()
	if err := c.Send(ctx, f); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Command == frame.ERROR {
			return r, &BrokerError{Frame: r}
		}
		return r, nil
	case <-c.done:
		// The answer may have arrived just before the end.
		select {
		case r := <-ch:
			if r.Command == frame.ERROR {
				return r, &BrokerError{Frame: r}
			}
			return r, nil
		default:
		}
		return nil, c.Err()
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &TimeoutError{What: fmt.Sprintf("no receipt from the broker for %s (receipt %s)", f.Command, id)}
		}
		return nil, ctx.Err()
	}
}

// Disconnect sends DISCONNECT with a receipt and waits (bounded by ctx) for
// it: once it arrives the broker has processed every frame we sent. The
// connection is closed either way.
func (c *Conn) Disconnect(ctx context.Context) error {
	if err := c.Err(); err != nil {
		c.Close()
		return err
	}
	c.leaving.Store(true)
	_, err := c.Request(ctx, frame.New(frame.DISCONNECT))
	c.shutdown(ErrClosed)
	c.wg.Wait()
	if errors.Is(err, ErrClosed) {
		// Some brokers (RabbitMQ over WebSocket, older ActiveMQ) close the
		// socket instead of answering; the frames before it were processed.
		return nil
	}
	return err
}

// Close ends the connection at once, without DISCONNECT.
func (c *Conn) Close() {
	c.shutdown(ErrClosed)
	c.wg.Wait()
}

// shutdown records why the connection ended (the first reason wins) and
// closes the socket; the loops notice and exit.
func (c *Conn) shutdown(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closeErr = err
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
	})
}

func (c *Conn) trace(d Direction, f *frame.Frame) {
	if c.opts.Trace != nil {
		c.opts.Trace(d, f)
	}
}

func (c *Conn) readLoop(r *wire.Reader) {
	defer c.wg.Done()
	defer close(c.incoming)
	afterFrame := false
	for {
		if c.readGrace > 0 {
			if d, ok := c.nc.(interface{ SetReadDeadline(time.Time) error }); ok {
				_ = d.SetReadDeadline(time.Now().Add(c.readGrace))
			}
		}
		f, err := r.Read()
		if err != nil {
			var ne net.Error
			switch {
			case c.Err() != nil: // we closed it
			case c.leaving.Load():
				c.shutdown(ErrClosed)
			case errors.As(err, &ne) && ne.Timeout():
				c.shutdown(&ConnectionLostError{Cause: fmt.Errorf("timed out: no heart-beat from the broker for %v", c.readGrace)})
			case errors.Is(err, wire.ErrFrameTooLarge):
				c.shutdown(&ConnectionLostError{Cause: fmt.Errorf("the broker sent %w; raise --max-frame-size", err)})
			default:
				c.shutdown(&ConnectionLostError{Cause: inWords(err)})
			}
			return
		}
		if f == nil {
			// Brokers (RabbitMQ) may end every frame with an EOL: only an
			// EOL that does not follow a frame is a heart-beat.
			if !afterFrame {
				c.beatsIn.Add(1)
			}
			afterFrame = false
			continue
		}
		afterFrame = true
		c.framesIn.Add(1)
		c.trace(In, f)
		if !c.dispatch(f) {
			return
		}
	}
}

// dispatch routes one frame; it returns false when the connection ended.
func (c *Conn) dispatch(f *frame.Frame) bool {
	switch f.Command {
	case frame.RECEIPT:
		id := f.Header.Get(frame.ReceiptId)
		if c.answer(id, f) {
			return true
		}
		if user, ok := c.confirm(id); ok && !user {
			return true // ours alone: nobody needs to see it
		}
	case frame.ERROR:
		// An ERROR ends the connection (STOMP spec). Whoever waits for the
		// receipt it answers gets it; otherwise the user sees it.
		answered := c.answer(f.Header.Get(frame.ReceiptId), f)
		if !answered {
			c.deliver(f)
		}
		c.shutdown(&BrokerError{Frame: f})
		return false
	}
	return c.deliver(f)
}

// confirm reports a RECEIPT for a tracked SEND to the OnConfirm handler;
// ok is false if id is not one; user is true when the id was the user's
// own receipt header, whose RECEIPT is shown as well.
func (c *Conn) confirm(id string) (user, ok bool) {
	if id == "" {
		return false, false
	}
	c.mu.Lock()
	cw, ok := c.confirms[id]
	delete(c.confirms, id)
	fn := c.onConfirm
	c.mu.Unlock()
	if ok && fn != nil {
		fn(cw.seq)
	}
	return cw.user, ok
}

// answer hands f to whoever waits for receipt id; false if nobody does.
func (c *Conn) answer(id string, f *frame.Frame) bool {
	if id == "" {
		return false
	}
	c.mu.Lock()
	ch, ok := c.receipts[id]
	delete(c.receipts, id)
	c.mu.Unlock()
	if ok {
		ch <- f // buffered, and each receipt is answered at most once
	}
	return ok
}

func (c *Conn) deliver(f *frame.Frame) bool {
	select {
	case c.incoming <- f:
		return true
	case <-c.done:
		return false
	}
}

// outFrame is a frame queued for the writer. seq > 0 marks a tracked
// SEND (see SendTracked).
type outFrame struct {
	f     *frame.Frame
	seq   uint64
	force bool
}

// confirmWait is a receipt asked for on a tracked SEND.
type confirmWait struct {
	seq  uint64
	user bool // the id is the user's own receipt header
}

// How often the writer asks for a receipt on tracked SENDs within a
// burst: often enough that the caller's ledger of unconfirmed messages
// (session's, 2048 messages) stays small and keeps four receipts in
// flight at full speed, seldom enough that receipts cost the broker next
// to nothing. On RabbitMQ each one does cost: the STOMP adapter asks its
// AMQP channel for the publish sequence number of every SEND that carries
// a receipt (amqp_channel:next_publish_seqno, a synchronous call in
// rabbit_stomp_processor), so the connection's reader stops parsing until
// the channel has caught up. With a receipt every 2 ms (every ~120
// messages at 60k msg/s) that stall came ~800 times per 100k messages;
// every 512 messages, ~200 times.
//
// The last SEND of a burst waits holdInterval since the last receipt for
// another frame before it asks (see writeLoop): a lone message, or the end
// of a run, is confirmed within milliseconds.
const (
	confirmEvery    = 512
	confirmBytes    = 1 << 20
	confirmInterval = 10 * time.Millisecond
	holdInterval    = 2 * time.Millisecond
)

// confirmBatch is the writer's count of tracked SENDs since the last one
// that asked for a receipt.
type confirmBatch struct {
	sends, bytes int
	last         time.Time // zero: none asked yet
}

// due reports whether the next tracked SEND, of size bytes, should ask.
func (b *confirmBatch) due(size int) bool {
	return b.sends+1 >= confirmEvery || b.bytes+size >= confirmBytes || time.Since(b.last) >= confirmInterval
}

func (c *Conn) writeLoop(w *frame.Writer, bw *bufio.Writer) {
	defer c.wg.Done()
	var beat <-chan time.Time
	if c.sendEvery > 0 {
		// Send a heart-beat when nothing else went out for a while; check
		// twice per interval so a busy writer never sends one needlessly.
		t := time.NewTicker(c.sendEvery / 2)
		defer t.Stop()
		beat = t.C
	}
	// The timer that ends a hold (below) stays armed for its deadline, the
	// end of the interval since the last receipt, across holds: a stream
	// holds every message for a moment, and resetting a timer each time
	// wakes the runtime's timer thread each time.
	hold := time.NewTimer(time.Hour)
	defer hold.Stop()
	var holdUntil time.Time
	lastWrite := time.Now()
	var batch confirmBatch
	var next outFrame
	haveNext := false
	dirty := false // written but not flushed
	fail := func(err error) {
		c.shutdown(&ConnectionLostError{Cause: inWords(err)})
	}
	flush := func() bool {
		if !dirty {
			return true
		}
		if err := bw.Flush(); err != nil {
			fail(err)
			return false
		}
		dirty, lastWrite = false, time.Now()
		return true
	}
	for {
		var o outFrame
		switch {
		case haveNext:
			o, haveNext = next, false
		case !c.idle():
			o = <-c.out // only this goroutine receives: it is there
		default:
			// Nothing more to write for now: the batch goes out in one
			// write, and we wait.
			if !flush() {
				return
			}
			select {
			case o = <-c.out:
			case <-beat:
				if time.Since(lastWrite) >= c.sendEvery/2 {
					if _, err := bw.Write([]byte{'\n'}); err != nil {
						fail(err)
						return
					}
					dirty = true
					if !flush() {
						return
					}
					c.beatsOut.Add(1)
				}
				continue
			case <-c.done:
				return
			}
		}
		receipt := false
		if o.seq > 0 {
			receipt = o.force || batch.due(len(o.f.Body))
			switch {
			case receipt:
			case !c.idle():
				// Only a tracked SEND that follows carries the batch on
				// to a receipt. Anything else (the ACK of the request
				// this SEND answers, a DISCONNECT) may be the last frame
				// for a while: then this one asks.
				next, haveNext = <-c.out, true // only this goroutine receives: it is there
				receipt = next.seq == 0
			default:
				// The last SEND of a burst, for now. It asks for a
				// receipt unless a tracked SEND follows before the
				// interval ends: the end of a run is always confirmed,
				// and a stream is not slowed by a receipt per message.
				if !flush() {
					return
				}
				if until := batch.last.Add(holdInterval); !until.Equal(holdUntil) {
					holdUntil = until
					hold.Reset(time.Until(until))
				}
			held:
				for {
					select {
					case next = <-c.out:
						haveNext = true
						receipt = next.seq == 0
					case <-hold.C:
						if time.Now().Before(holdUntil) { // a deadline since moved on
							hold.Reset(time.Until(holdUntil))
							continue held
						}
						receipt = true
					case <-c.done:
						return
					}
					break
				}
			}
		}
		if err := c.write(w, o, receipt, &batch); err != nil {
			fail(err)
			return
		}
		dirty = true
	}
}

// idle reports whether no frame is queued. It yields once first, so a
// sender that is about to queue the next frame can: one write per batch,
// not per message.
func (c *Conn) idle() bool {
	if len(c.out) > 0 {
		return false
	}
	runtime.Gosched()
	return len(c.out) == 0
}

// write writes one frame; a tracked SEND asks for a receipt when receipt
// is set. The caller's frame is never changed: it may be sent again on
// another connection.
func (c *Conn) write(w *frame.Writer, o outFrame, receipt bool, batch *confirmBatch) error {
	f := o.f
	if o.seq > 0 {
		batch.sends++
		batch.bytes += len(f.Body)
		if receipt {
			id, user := f.Header.Get(frame.Receipt), true
			if id == "" {
				id, user = c.NewID("rcpt-"), false
				f = &frame.Frame{Command: f.Command, Header: f.Header.Clone(), Body: f.Body}
				f.Header.Add(frame.Receipt, id)
			}
			// Registered before it is written: the RECEIPT may come back
			// before Write returns.
			c.mu.Lock()
			c.confirms[id] = confirmWait{seq: o.seq, user: user}
			c.mu.Unlock()
			*batch = confirmBatch{last: time.Now()}
		}
	}
	c.trace(Out, f)
	return w.Write(f)
}
