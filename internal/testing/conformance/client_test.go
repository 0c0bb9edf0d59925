package conformance

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// Timeouts. Brokers on loopback answer in milliseconds; these only bound a
// failing test.
const (
	waitFrame = 5 * time.Second        // expect: how long to wait for a frame that must come
	quiet     = 300 * time.Millisecond // expectNone: how long nothing must arrive
	maxFrame  = 16 << 20               // reader limit; the biggest body sent is 1 MiB
)

// event is what the reader goroutine reports: a frame, or the error that
// ended the stream (io.EOF when the broker closed the connection).
type event struct {
	f   *frame.Frame
	err error
}

// client is one raw STOMP connection to a broker under test. All methods
// must be called from the test goroutine; they fail the test on error.
type client struct {
	t      testing.TB
	target testbroker.Target
	label  string // target name, plus a role when a test has several clients
	conn   net.Conn
	w      *frame.Writer

	events  chan event
	done    chan struct{}
	closeMu sync.Once
	ended   error          // set once the reader's final event was consumed
	pending []*frame.Frame // frames read while waiting for another command

	heartBeats atomic.Int64 // EOLs received

	version   string       // negotiated, from CONNECTED ("1.0" when absent)
	connected *frame.Frame // the CONNECTED frame
	receipts  int

	lastInOrder *frame.Frame // the last frame expectInOrder read
}

// dialRaw opens a TCP connection and starts the reader; nothing is sent.
func dialRaw(t testing.TB, tg testbroker.Target, role string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", tg.Addr(), waitFrame)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", tg.Name, tg.Addr(), err)
	}
	label := tg.Name
	if role != "" {
		label += " " + role
	}
	c := &client{
		t:      t,
		target: tg,
		label:  label,
		conn:   conn,
		w:      frame.NewWriter(conn),
		events: make(chan event, 64),
		done:   make(chan struct{}),
	}
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *client) read() {
	r := wire.NewReader(c.conn, wire.Options{MaxFrameSize: maxFrame, Version: wire.V12})
	for {
		f, err := r.Read()
		if err == nil && f == nil {
			c.heartBeats.Add(1)
			continue
		}
		select {
		case c.events <- event{f: f, err: err}:
		case <-c.done:
			return
		}
		if err != nil {
			close(c.events)
			return
		}
	}
}

// close closes the connection (idempotent).
func (c *client) close() {
	c.closeMu.Do(func() {
		close(c.done)
		_ = c.conn.Close()
	})
}

// connectOpts says how to open a session.
type connectOpts struct {
	command   string // frame.CONNECT (default) or frame.STOMP
	accept    string // accept-version header; "" omits it (STOMP 1.0)
	heartBeat string // heart-beat header; "" omits it
	role      string // label for messages when a test has several clients
}

// connect opens a session with accept-version = version ("1.0" sends no
// accept-version header, as a 1.0 client does), no heart-beats, and checks
// that the broker agreed to that version.
func connect(t testing.TB, tg testbroker.Target, version, role string) *client {
	t.Helper()
	accept := version
	if version == "1.0" {
		accept = ""
	}
	c := connectWith(t, tg, connectOpts{accept: accept, role: role})
	if c.version != version {
		t.Fatalf("%s: CONNECTED version %q, want %q", c.label, c.version, version)
	}
	return c
}

// connectWith sends CONNECT (or STOMP) with host, login and passcode of the
// target and the given options, and waits for CONNECTED.
func connectWith(t testing.TB, tg testbroker.Target, o connectOpts) *client {
	t.Helper()
	c := dialRaw(t, tg, o.role)
	cmd := o.command
	if cmd == "" {
		cmd = frame.CONNECT
	}
	host := tg.Vhost
	if host == "" {
		host = "/"
	}
	f := frame.New(cmd, frame.Host, host)
	if o.accept != "" {
		f.Header.Add(frame.AcceptVersion, o.accept)
	}
	if o.heartBeat != "" {
		f.Header.Add(frame.HeartBeat, o.heartBeat)
	}
	if tg.Login != "" {
		f.Header.Add(frame.Login, tg.Login)
		f.Header.Add(frame.Passcode, tg.Passcode)
	}
	c.write(f)
	c.connected = c.expect(frame.CONNECTED)
	c.version = "1.0"
	if v, ok := c.connected.Header.Contains(frame.Version); ok {
		c.version = v
	}
	return c
}

// write sends one frame.
func (c *client) write(f *frame.Frame) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitFrame))
	if err := c.w.Write(f); err != nil {
		c.t.Fatalf("%s: write %s: %v", c.label, f.Command, err)
	}
}

// send writes a frame made of command, header pairs and body.
func (c *client) send(command string, body []byte, headers ...string) {
	c.t.Helper()
	f := frame.New(command, headers...)
	f.Body = body
	c.write(f)
}

// withReceipt writes f with a fresh receipt header and waits for the
// RECEIPT that answers it (other frames read meanwhile are kept for later
// expect calls).
func (c *client) withReceipt(f *frame.Frame) {
	c.t.Helper()
	c.receipts++
	id := fmt.Sprintf("r-%d-%s", c.receipts, strings.ToLower(f.Command))
	f.Header.Set(frame.Receipt, id)
	c.write(f)
	r := c.expect(frame.RECEIPT)
	if got := r.Header.Get(frame.ReceiptId); got != id {
		c.t.Fatalf("%s: RECEIPT receipt-id %q, want %q (for %s)", c.label, got, id, f.Command)
	}
}

// sendMsg sends body to dest with a receipt, so that the broker has it
// when sendMsg returns.
func (c *client) sendMsg(dest, body string, headers ...string) {
	c.t.Helper()
	f := frame.New(frame.SEND, append([]string{frame.Destination, dest}, headers...)...)
	f.Body = []byte(body)
	c.withReceipt(f)
}

// subscribe subscribes with a receipt.
func (c *client) subscribe(dest, id, ack string, headers ...string) {
	c.t.Helper()
	c.withReceipt(frame.New(frame.SUBSCRIBE, append([]string{frame.Destination, dest, frame.Id, id, frame.Ack, ack}, headers...)...))
}

// ackFrame builds an ACK or NACK of msg in this session's version: 1.2 names
// the MESSAGE's ack header as id, 1.1 message-id and subscription, 1.0
// message-id.
func (c *client) ackFrame(command string, msg *frame.Frame, headers ...string) *frame.Frame {
	c.t.Helper()
	var f *frame.Frame
	switch c.version {
	case "1.2":
		ack, ok := msg.Header.Contains(frame.Ack)
		if !ok {
			c.t.Fatalf("%s: 1.2 MESSAGE without an ack header: %v", c.label, msg.Header)
		}
		f = frame.New(command, frame.Id, ack)
	case "1.1":
		f = frame.New(command, frame.MessageId, msg.Header.Get(frame.MessageId), frame.Subscription, msg.Header.Get(frame.Subscription))
	default:
		f = frame.New(command, frame.MessageId, msg.Header.Get(frame.MessageId))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		f.Header.Add(headers[i], headers[i+1])
	}
	return f
}

// disconnect sends DISCONNECT with a receipt, waits for it and closes.
func (c *client) disconnect() {
	c.t.Helper()
	c.withReceipt(frame.New(frame.DISCONNECT))
	c.close()
}

// next returns the next event, from pending first; ok is false on timeout.
func (c *client) next(deadline time.Time) (event, bool) {
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return event{f: f}, true
	}
	if c.ended != nil {
		return event{err: c.ended}, true
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case ev, ok := <-c.events:
		if !ok || ev.err != nil {
			if ev.err == nil {
				ev.err = errors.New("connection closed")
			}
			c.ended = ev.err
			return event{err: ev.err}, true
		}
		return ev, true
	case <-timer.C:
		return event{}, false
	}
}

// expect waits for the next frame with this command. Frames of other
// commands read meanwhile are kept for later calls (a broker may order a
// RECEIPT and a MESSAGE either way), except an unexpected ERROR, which
// fails the test.
func (c *client) expect(command string) *frame.Frame {
	c.t.Helper()
	return c.expectWithin(command, waitFrame)
}

func (c *client) expectWithin(command string, timeout time.Duration) *frame.Frame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var held []*frame.Frame
	defer func() { c.pending = append(held, c.pending...) }()
	for {
		ev, ok := c.next(deadline)
		switch {
		case !ok:
			c.t.Fatalf("%s: no %s within %v (frames held: %s)", c.label, command, timeout, describe(held))
		case ev.err != nil:
			c.t.Fatalf("%s: connection ended while waiting for %s: %v (frames held: %s)", c.label, command, ev.err, describe(held))
		case ev.f.Command == command:
			return ev.f
		case ev.f.Command == frame.ERROR:
			c.t.Fatalf("%s: ERROR while waiting for %s: %s", c.label, command, describe([]*frame.Frame{ev.f}))
		default:
			held = append(held, ev.f)
		}
	}
}

// expectMessage waits for a MESSAGE and checks its body.
func (c *client) expectMessage(body string) *frame.Frame {
	c.t.Helper()
	m := c.expect(frame.MESSAGE)
	if got := string(m.Body); got != body {
		c.t.Fatalf("%s: MESSAGE body %q, want %q", c.label, got, body)
	}
	return m
}

// expectMessages waits for len(bodies) MESSAGEs with these bodies, in
// this order.
func (c *client) expectMessages(bodies ...string) []*frame.Frame {
	c.t.Helper()
	var got []string
	var ms []*frame.Frame
	for range bodies {
		m := c.expect(frame.MESSAGE)
		ms = append(ms, m)
		got = append(got, string(m.Body))
	}
	if strings.Join(got, "|") != strings.Join(bodies, "|") {
		c.t.Fatalf("%s: MESSAGE bodies %q, want %q", c.label, got, bodies)
	}
	return ms
}

// expectNone checks that no frame arrives for d (heart-beats aside).
func (c *client) expectNone(d time.Duration) {
	c.t.Helper()
	if len(c.pending) > 0 {
		c.t.Fatalf("%s: want no frame, have %s", c.label, describe(c.pending))
	}
	ev, ok := c.next(time.Now().Add(d))
	switch {
	case !ok:
	case ev.err != nil:
		c.t.Fatalf("%s: want no frame, connection ended: %v", c.label, ev.err)
	default:
		c.t.Fatalf("%s: want no frame within %v, got %s", c.label, d, describe([]*frame.Frame{ev.f}))
	}
}

// expectClosed waits up to timeout for the broker to close the connection
// and returns the frames received before that.
func (c *client) expectClosed(timeout time.Duration) []*frame.Frame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var fs []*frame.Frame
	for {
		ev, ok := c.next(deadline)
		switch {
		case !ok:
			c.t.Fatalf("%s: connection still open after %v (frames: %s)", c.label, timeout, describe(fs))
		case ev.err != nil:
			return fs
		default:
			fs = append(fs, ev.f)
		}
	}
}

// describe renders frames for failure messages.
func describe(fs []*frame.Frame) string {
	if len(fs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Command)
		for j := 0; j < f.Header.Len(); j++ {
			k, v := f.Header.GetAt(j)
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
		body := f.Body
		if len(body) > 80 {
			body = body[:80]
		}
		fmt.Fprintf(&b, " body=%q", body)
	}
	return b.String()
}

// isRedelivered reports the MESSAGE's redelivered header.
func isRedelivered(m *frame.Frame) bool {
	b, _ := strconv.ParseBool(m.Header.Get("redelivered"))
	return b
}

// forAll runs fn as a parallel subtest against every broker of
// testbroker.All.
func forAll(t *testing.T, fn func(t *testing.T, tg testbroker.Target)) {
	t.Parallel()
	for _, tg := range testbroker.All(t) {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, tg)
		})
	}
}

// expectReceipts waits for RECEIPTs with these receipt-ids, in any order.
func (c *client) expectReceipts(ids ...string) {
	c.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(want) > 0 {
		r := c.expect(frame.RECEIPT)
		id := r.Header.Get(frame.ReceiptId)
		if !want[id] {
			c.t.Fatalf("%s: RECEIPT receipt-id %q, want one of %v", c.label, id, ids)
		}
		delete(want, id)
	}
}

// expectInOrder reads frames strictly in order (none held back for later)
// and checks each against "RECEIPT id" or "MESSAGE body". The last frame
// read is kept in lastInOrder.
func (c *client) expectInOrder(want ...string) {
	c.t.Helper()
	if len(c.pending) > 0 {
		c.t.Fatalf("%s: frames already read: %s", c.label, describe(c.pending))
	}
	var got []*frame.Frame
	deadline := time.Now().Add(waitFrame)
	for _, w := range want {
		ev, ok := c.next(deadline)
		switch {
		case !ok:
			c.t.Fatalf("%s: waiting for %q: nothing more within %v (got %s)", c.label, w, waitFrame, describe(got))
		case ev.err != nil:
			c.t.Fatalf("%s: waiting for %q: %v (got %s)", c.label, w, ev.err, describe(got))
		}
		got = append(got, ev.f)
		c.lastInOrder = ev.f
		cmd, arg, _ := strings.Cut(w, " ")
		var have string
		switch ev.f.Command {
		case frame.RECEIPT:
			have = ev.f.Header.Get(frame.ReceiptId)
		case frame.MESSAGE:
			have = string(ev.f.Body)
		}
		if ev.f.Command != cmd || have != arg {
			c.t.Fatalf("%s: frames in this order: %s; want %q", c.label, describe(got), want)
		}
	}
}
