package broker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/go-stomp/stomp/v3/frame"
)

// stillServes checks the broker works for a fresh, well-behaved client.
func stillServes(t *testing.T, b *Broker) {
	t.Helper()
	c := connect(t, b, "1.2")
	c.send(frame.BEGIN, nil, frame.Transaction, "t", frame.Receipt, "alive")
	c.expectReceipt("alive")
}

func TestGarbageBytes(t *testing.T) {
	b := startBroker(t, Config{MaxFrameSize: 64 << 10})
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		junk := make([]byte, 1+rng.Intn(200<<10))
		rng.Read(junk)
		c := dial(t, b)
		if i%2 == 1 { // garbage after a valid CONNECT
			c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
			c.expect(frame.CONNECTED)
		}
		go func() { _, _ = c.nc.Write(junk) }()
		f, err := c.read()
		if err == nil && f.Command != frame.ERROR {
			t.Fatalf("garbage got %s", describe(f))
		}
		// Either an ERROR or (if our write raced the close) a reset; the
		// connection must end either way.
		if err == nil {
			c.expectClosed()
		}
	}
	for _, junk := range []string{"\x00\x00\x00\n", "HELLO\n\n\x00", "SEND\nno colon here\n\n\x00", "send\n\n\x00", "CONNECT\n:empty-name\n\n\x00"} {
		c := dial(t, b)
		c.sendRaw(junk)
		c.expect(frame.ERROR)
		c.expectClosed()
	}
	stillServes(t, b)
}

func TestFrameWithoutNULThenClose(t *testing.T) {
	b := startBroker(t, Config{})
	cons := connect(t, b, "1.2")
	cons.subscribe("s", "/queue/partial", "auto")
	c := connect(t, b, "1.2")
	c.sendRaw("SEND\ndestination:/queue/partial\n\nthis never ends")
	c.nc.Close()
	c2 := connect(t, b, "1.2")
	c2.sendRaw("SEND\ndestination:/queue/partial\ncontent-length:100\n\nshort")
	c2.nc.Close()
	cons.expectNothing(100 * time.Millisecond)
	stillServes(t, b)
}

// TestHugeHeaderLine sends a 100 MB header line; the broker must stop at
// MaxFrameSize and answer quickly without buffering 100 MB.
func TestHugeHeaderLine(t *testing.T) {
	b := startBroker(t, Config{MaxFrameSize: 1 << 20})
	c := connect(t, b, "1.2")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	go func() {
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		if _, err := io.WriteString(c.nc, "SEND\ndestination:"); err != nil {
			return
		}
		for i := 0; i < 100; i++ {
			if _, err := c.nc.Write(chunk); err != nil {
				return
			}
		}
	}()
	c.expectError("frame too large (limit 1048576 bytes)")
	runtime.ReadMemStats(&after)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("ERROR took %v", d)
	}
	// Everything allocated meanwhile, by test and broker together.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MB while rejecting the line", alloc>>20)
	}
	stillServes(t, b)
}

func TestManySubscriptions(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	const n = 10000
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		dest := fmt.Sprintf("/queue/many-%d", i)
		if i%2 == 0 {
			dest = "/topic/many"
		}
		fmt.Fprintf(&buf, "SUBSCRIBE\nid:%d\ndestination:%s\nack:client\n\n\x00", i, dest)
	}
	start := time.Now()
	c.sendRaw(buf.String())
	c.send(frame.SEND, []byte("fan"), frame.Destination, "/topic/many")
	c.send(frame.SEND, []byte("one"), frame.Destination, "/queue/many-9999", frame.Receipt, "done")
	c.expectReceipt("done")
	topic := 0
	for topic < n/2 {
		f := c.expect(frame.MESSAGE)
		if string(f.Body) == "fan" {
			topic++
		}
	}
	c.expectMessage("one")
	for i := 0; i < n; i += 2 {
		c.send(frame.UNSUBSCRIBE, nil, frame.Id, fmt.Sprint(i))
	}
	c.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	c.expectReceipt("bye")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	// The unacked queue message went back to its queue.
	c2 := connect(t, b, "1.2")
	c2.subscribe("s", "/queue/many-9999", "auto")
	c2.expectMessage("one")
}

// logCounter counts broker log lines containing a substring.
type logCounter struct {
	t    *testing.T
	sub  string
	n    atomic.Int64
	mu   sync.Mutex
	done bool
}

func (l *logCounter) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	if !l.done {
		l.t.Log("broker: " + line)
	}
	l.mu.Unlock()
	if strings.Contains(line, l.sub) {
		l.n.Add(1)
	}
}

// TestSlowTopicConsumerDoesNotStall: one subscriber never reads; the
// producer and another subscriber carry on, and the slow one's messages
// are dropped (and logged).
func TestSlowTopicConsumerDoesNotStall(t *testing.T) {
	lc := &logCounter{t: t, sub: "too slow"}
	t.Cleanup(func() { lc.mu.Lock(); lc.done = true; lc.mu.Unlock() })
	b := startBroker(t, Config{OutBufferBytes: 64 << 10, Logf: lc.logf})
	slow := connect(t, b, "1.2")
	slow.subscribe("s", "/topic/flood", "auto")
	fast := connect(t, b, "1.2")
	fast.subscribe("s", "/topic/flood", "auto")
	p := connect(t, b, "1.2")

	// Batches smaller than the outgoing buffer, and the producer waits
	// for the fast subscriber after each: so the fast one never drops.
	const total, batch = 20000, 50
	body := bytes.Repeat([]byte("x"), 1024)
	var got atomic.Int64
	fastDone := make(chan error, 1)
	fast.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	go func() {
		for got.Load() < total {
			f, err := fast.r.Read()
			if err != nil {
				fastDone <- err
				return
			}
			if f != nil && f.Command == frame.MESSAGE {
				got.Add(1)
			}
		}
		fastDone <- nil
	}()
	start := time.Now()
	for i := 0; i < total; i += batch {
		for j := 0; j < batch-1; j++ {
			p.send(frame.SEND, body, frame.Destination, "/topic/flood")
		}
		// Flow control for the producer: wait for a receipt per batch.
		p.send(frame.SEND, body, frame.Destination, "/topic/flood", frame.Receipt, "b")
		p.expectReceipt("b")
		for deadline := time.Now().Add(5 * time.Second); got.Load() < int64(i+batch); {
			if time.Now().After(deadline) {
				t.Fatalf("fast subscriber stalled at %d of %d", got.Load(), i+batch)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	t.Logf("published %d x 1 KB in %v", total, time.Since(start))
	fast.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := <-fastDone; err != nil {
		t.Fatalf("fast subscriber got %d of %d: %v", got.Load(), total, err)
	}
	if lc.n.Load() == 0 {
		t.Errorf("no drop was logged for the slow subscriber")
	}
	stillServes(t, b)
}

// TestSlowQueueConsumerDoesNotStall: a queue consumer that never reads
// gets only what fits in its buffers; the rest goes to the live consumer,
// and what the slow one held unacked is redelivered when it goes away.
func TestSlowQueueConsumerDoesNotStall(t *testing.T) {
	b := startBroker(t, Config{OutBufferBytes: 64 << 10})
	slow := connect(t, b, "1.2")
	slow.subscribe("s", "/queue/work", "client-individual")
	fast := connect(t, b, "1.2")
	fast.subscribe("s", "/queue/work", "auto")
	p := connect(t, b, "1.2")

	const total, batch = 20000, 500
	seen := make([]bool, total)
	var mu sync.Mutex
	count := 0
	allIn := make(chan struct{})
	go func() {
		for {
			f, err := fast.r.Read()
			if err != nil {
				return
			}
			if f == nil || f.Command != frame.MESSAGE {
				continue
			}
			var i int
			fmt.Sscanf(string(f.Body[:8]), "%d", &i)
			mu.Lock()
			if !seen[i] {
				seen[i] = true
				count++
				if count == total {
					close(allIn)
				}
			}
			mu.Unlock()
		}
	}()
	pad := strings.Repeat("y", 1000)
	for i := 0; i < total; i += batch {
		for j := i; j < i+batch; j++ {
			h := []string{frame.Destination, "/queue/work"}
			if j == i+batch-1 {
				h = append(h, frame.Receipt, "b")
			}
			p.send(frame.SEND, []byte(fmt.Sprintf("%08d", j)+pad), h...)
		}
		p.expectReceipt("b")
	}
	// Generous bounds: this checks that nothing is lost, not speed, and
	// under -race on a loaded 2-core machine the fast consumer reads only
	// about a thousand messages a second.
	fast.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
	mu.Lock()
	n := count
	mu.Unlock()
	if n == total {
		t.Logf("the slow consumer took nothing?")
	}
	slow.nc.Close() // its unacked messages must reach the fast consumer
	select {
	case <-allIn:
	case <-time.After(45 * time.Second):
		mu.Lock()
		t.Fatalf("fast consumer saw %d of %d distinct messages", count, total)
		mu.Unlock()
	}
}

// TestFloodWaitsForConsumers: at MaxHeldBytes of messages in memory a
// publisher waits (its frames are not read, so its RECEIPT does not
// come) until a consumer frees memory; nothing is lost either way.
func TestFloodWaitsForConsumers(t *testing.T) {
	lc := &logCounter{t: t, sub: "publishers wait"}
	t.Cleanup(func() { lc.mu.Lock(); lc.done = true; lc.mu.Unlock() })
	b := startBroker(t, Config{MaxHeldBytes: 1 << 20, Logf: lc.logf})
	p := connect(t, b, "1.2")
	const n = 3000 // about 3.4 MB with the per-message overhead
	body := bytes.Repeat([]byte("f"), 1000)
	go func() {
		var buf bytes.Buffer
		for i := 0; i < n; i++ {
			fmt.Fprintf(&buf, "SEND\ndestination:/queue/flood\ncontent-length:%d\n", len(body))
			if i == n-1 {
				buf.WriteString("receipt:last\n")
			}
			buf.WriteString("\n")
			buf.Write(body)
			buf.WriteByte(0)
		}
		p.nc.Write(buf.Bytes())
	}()
	p.expectNothing(500 * time.Millisecond)
	b.router.mu.Lock()
	held := b.router.held
	b.router.mu.Unlock()
	if held < 1<<20 || held > 1<<20+64<<10 {
		t.Errorf("held %d bytes, want the 1 MiB limit plus at most a frame", held)
	}
	if lc.n.Load() == 0 {
		t.Errorf("flow control was not logged")
	}
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/flood", "auto")
	for i := 0; i < n; i++ {
		c.expect(frame.MESSAGE)
	}
	p.expectReceipt("last")
	stillServes(t, b)
}

// TestConnectDeadlineNotIdle: the CONNECT deadline counts from the
// accept, so a CONNECT trickled a byte at a time (never idle for long)
// is cut off at the deadline, not held while the bytes keep coming.
func TestConnectDeadlineNotIdle(t *testing.T) {
	b := startBroker(t, Config{ConnectTimeout: 300 * time.Millisecond, Listen: []string{"127.0.0.1:0", "ws://127.0.0.1:0/ws"}})
	connect := "CONNECT\naccept-version:1.2\nx-pad:" + strings.Repeat("p", 200) + "\n\n\x00"
	// trickle writes a byte every 20 ms (4 s in all) and reports how many
	// were written before the broker hung up.
	trickle := func(write func([]byte) error) chan int {
		stopped := make(chan int, 1)
		go func() {
			for i := 0; i < len(connect); i++ {
				if err := write([]byte{connect[i]}); err != nil {
					stopped <- i
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			stopped <- len(connect)
		}()
		return stopped
	}

	c := dial(t, b)
	stopped := trickle(func(p []byte) error { _, err := c.nc.Write(p); return err })
	c.expectError("no CONNECT frame within 300ms")
	if n := <-stopped; n == len(connect) {
		t.Errorf("TCP: the broker read the whole trickled CONNECT")
	}

	// Over WebSocket, one message per byte; a timed-out read ends the
	// WebSocket (no ERROR frame).
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, listenerURL(t, b, "ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	stopped = trickle(func(p []byte) error { return ws.Write(ctx, websocket.MessageText, p) })
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, msg, err := ws.Read(rctx); err == nil {
		t.Errorf("WebSocket: got %q", msg)
	}
	if n := <-stopped; n == len(connect) {
		t.Errorf("WebSocket: the broker read the whole trickled CONNECT")
	}
}

// TestPreLoginFrameCap: before CONNECT succeeds a frame may be a few KB,
// whatever --max-frame-size says; after it, the configured limit holds.
func TestPreLoginFrameCap(t *testing.T) {
	b := startBroker(t, Config{Login: "alice", Passcode: "s3cret"})
	c := dial(t, b)
	go c.nc.Write([]byte("CONNECT\naccept-version:1.2\nlogin:alice\npasscode:" + strings.Repeat("x", 4<<20) + "\n\n\x00"))
	c.expectError("frame too large (limit 8192 bytes)")

	c = dial(t, b)
	go c.nc.Write([]byte("CONNECT\naccept-version:1.2\ncontent-length:3000000\n\n"))
	c.expectError("frame too large (limit 8192 bytes)")

	c = connect(t, b, "1.2", frame.Login, "alice", frame.Passcode, "s3cret", "x-pad", strings.Repeat("p", 7000))
	big := bytes.Repeat([]byte("b"), 1<<20)
	c.send(frame.SEND, big, frame.Destination, "/queue/big", frame.Receipt, "big")
	c.expectReceipt("big")
}

// TestMaxConnections: over the cap a connection (TCP or WebSocket) gets
// an ERROR and is closed; once one leaves, a new one is served.
func TestMaxConnections(t *testing.T) {
	b := startBroker(t, Config{MaxConnections: 3, Listen: []string{"127.0.0.1:0", "ws://127.0.0.1:0/ws"}})
	var open []*raw
	for i := 0; i < 2; i++ {
		open = append(open, connect(t, b, "1.2"))
	}
	open = append(open, dial(t, b)) // not yet logged in: counts too
	for _, ws := range []bool{false, true} {
		c := dial(t, b)
		if ws {
			var err error
			if c, _, err = dialWS(t, listenerURL(t, b, "ws"), nil, ""); err != nil {
				t.Fatal(err)
			}
		}
		c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
		c.expectError("too many connections (limit 3)")
	}
	open[2].nc.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		c := dial(t, b)
		c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
		f, err := c.read()
		if err == nil && f.Command == frame.CONNECTED {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a connection closed: %v %v", describe(f), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
