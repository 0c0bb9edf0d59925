package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// A hostile broker: a TCP server in the test that reads CONNECT and then
// does whatever the test's script says. Every test checks that the client
// ends with a clean error of the right type in bounded time, leaks no
// goroutine and never panics.

const connected = "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"

type hostile struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	cons []net.Conn
}

// startHostile serves each connection with script, which gets the
// connection and a reader positioned after the CONNECT frame (already
// read). The listener and every connection are closed at cleanup.
func startHostile(t *testing.T, script func(nc net.Conn, br *bufio.Reader)) *hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.cons = append(h.cons, nc)
			h.mu.Unlock()
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				defer nc.Close()
				br := bufio.NewReader(nc)
				if _, err := br.ReadBytes(0); err != nil { // CONNECT
					return
				}
				script(nc, br)
			}()
		}
	}()
	t.Cleanup(h.close)
	return h
}

func (h *hostile) close() {
	h.ln.Close()
	h.mu.Lock()
	for _, nc := range h.cons {
		nc.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *hostile) endpoint() Endpoint {
	host, port, _ := net.SplitHostPort(h.ln.Addr().String())
	return Endpoint{Host: host, Port: port}
}

// readFrames calls fn for every frame the client sends until it hangs up.
func readFrames(br *bufio.Reader, fn func(f *frame.Frame)) {
	r := wire.NewReader(br, wire.Options{MaxFrameSize: 1 << 20, Version: wire.V12})
	for {
		f, err := r.Read()
		if err != nil {
			return
		}
		if f != nil {
			fn(f)
		}
	}
}

// hold keeps the connection open until the client (or cleanup) closes it.
func hold(br *bufio.Reader) { _, _ = io.Copy(io.Discard, br) }

// writeForever writes chunk until the peer goes away or limit bytes went out.
func writeForever(nc net.Conn, chunk []byte, limit int) {
	for sent := 0; limit == 0 || sent < limit; sent += len(chunk) {
		if _, err := nc.Write(chunk); err != nil {
			return
		}
	}
}

// checkLeaks fails the test if goroutines started during it are still
// running at cleanup (after the hostile server was closed), allowing a
// short settle.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func dialHostile(t *testing.T, h *hostile, opts Options) (*Conn, error) {
	t.Helper()
	return Dial(context.Background(), h.endpoint(), 3*time.Second, opts)
}

// mustConnect dials h and closes the connection at cleanup (registered
// after checkLeaks, so it runs before the leak check).
func mustConnect(t *testing.T, h *hostile, opts Options) *Conn {
	t.Helper()
	c, err := dialHostile(t, h, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// ended waits (bounded) for the connection to end and returns why.
func ended(t *testing.T, c *Conn, within time.Duration) error {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(within):
		t.Fatalf("connection still open after %v", within)
	}
	// Incoming is closed once the reader is gone; drain it.
	timeout := time.After(within)
	for {
		select {
		case _, ok := <-c.Incoming():
			if !ok {
				return c.Err()
			}
		case <-timeout:
			t.Fatalf("Incoming not closed %v after the end", within)
		}
	}
}

func wantLost(t *testing.T, err error, contains string) {
	t.Helper()
	var lost *ConnectionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("want *ConnectionLostError, got %T: %v", err, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not mention %q", err, contains)
	}
}

func TestHostileGarbageAfterConnected(t *testing.T) {
	checkLeaks(t)
	rng := rand.New(rand.NewSource(1))
	junk := make([]byte, 256<<10)
	rng.Read(junk)
	junk[0] = 'X' // not an EOL: the first line is garbage
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		_, _ = nc.Write(junk)
		hold(br)
	})
	c := mustConnect(t, h, Options{})
	err := ended(t, c, 5*time.Second)
	wantLost(t, err, "")
	if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("want a malformed-frame cause, got %v", err)
	}
	if _, err := c.Request(context.Background(), frame.New(frame.BEGIN, frame.Transaction, "t")); err == nil {
		t.Fatal("Request on a dead connection succeeded")
	}
}

func TestHostileGarbageInsteadOfConnected(t *testing.T) {
	checkLeaks(t)
	for _, junk := range []string{"HTTP/1.1 400 Bad Request\r\n\r\n", "\x00\x00\x00\x00\n", "\xff\xfe\n\n\x00", "CONNECTED\nno colon\n\n\x00"} {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, junk)
			hold(br)
		})
		start := time.Now()
		_, err := dialHostile(t, h, Options{})
		wantLost(t, err, "handshake")
		if !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("%q: want ErrMalformed inside, got %v", junk, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q: took %v", junk, d)
		}
		h.close()
	}
	// Garbage with no line end: the reader waits for the rest of the
	// line, and the handshake's deadline ends the wait.
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, "\x00\x01\x02 no line end")
		hold(br)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, h.endpoint(), 10*time.Second, Options{})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want *TimeoutError, got %T %v", err, err)
	}
}

func TestHostileTruncatedFrameThenClose(t *testing.T) {
	checkLeaks(t)
	for name, partial := range map[string]string{
		"mid command":          "MESS",
		"mid header":           "MESSAGE\ndestination:/queue/a\nmessage-id:",
		"mid body":             "MESSAGE\ndestination:/queue/a\nmessage-id:1\n\nhalf a bo",
		"short content-length": "MESSAGE\ndestination:/queue/a\nmessage-id:1\ncontent-length:100\n\nonly this",
	} {
		t.Run(name, func(t *testing.T) {
			h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
				_, _ = io.WriteString(nc, connected+"MESSAGE\ndestination:/queue/a\nmessage-id:0\n\nwhole\x00"+partial)
				// and hang up
			})
			c := mustConnect(t, h, Options{})
			var got []string
			deadline := time.After(5 * time.Second)
		loop:
			for {
				select {
				case f, ok := <-c.Incoming():
					if !ok {
						break loop
					}
					got = append(got, string(f.Body))
				case <-deadline:
					t.Fatal("Incoming not closed after the broker hung up")
				}
			}
			if len(got) != 1 || got[0] != "whole" {
				t.Fatalf("want only the whole frame, got %q", got)
			}
			wantLost(t, c.Err(), "broker closed the connection")
		})
	}
}

func TestHostileTruncatedConnected(t *testing.T) {
	checkLeaks(t)
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, "CONNECTED\nversion:1.2\nserv")
	})
	_, err := dialHostile(t, h, Options{})
	wantLost(t, err, "broker closed the connection")
}

// A frame whose NUL never comes while the socket stays open: with
// heart-beats negotiated the read grace ends it; with an endless body the
// frame size limit does.
func TestHostileFrameWithoutNUL(t *testing.T) {
	checkLeaks(t)
	t.Run("stalls", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, "CONNECTED\nversion:1.2\nheart-beat:100,0\n\n\x00")
			_, _ = io.WriteString(nc, "MESSAGE\ndestination:/queue/a\nmessage-id:1\n\nno nul, ever")
			hold(br)
		})
		c := mustConnect(t, h, Options{HeartBeatRecv: 100 * time.Millisecond})
		_, grace := c.HeartBeats()
		start := time.Now()
		err := ended(t, c, grace+3*time.Second)
		wantLost(t, err, "")
		if d := time.Since(start); d > grace+2*time.Second {
			t.Fatalf("took %v with a read grace of %v", d, grace)
		}
		if !strings.Contains(err.Error(), "timed out: no heart-beat from the broker for") {
			t.Fatalf("a broker that goes silent mid-frame is reported as %q, not as a missing heart-beat "+
				"(internal/stomp/wire/reader.go until() replaces the deadline error with io.ErrUnexpectedEOF)", err)
		}
	})
	t.Run("endless body", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected+"MESSAGE\ndestination:/queue/a\nmessage-id:1\n\n")
			go hold(br)
			writeForever(nc, bytes.Repeat([]byte("x"), 64<<10), 100<<20)
		})
		c := mustConnect(t, h, Options{MaxFrameSize: 1 << 20})
		err := ended(t, c, 5*time.Second)
		wantLost(t, err, "raise --max-frame-size")
		if !errors.Is(err, wire.ErrFrameTooLarge) {
			t.Fatalf("want ErrFrameTooLarge inside, got %v", err)
		}
	})
}

// allocated runs fn and returns how many bytes it allocated in total.
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hugeHeaderLine is a MESSAGE whose one header line is 100 MB long.
func hugeHeaderLine(nc net.Conn) {
	if _, err := io.WriteString(nc, "MESSAGE\ndestination:/queue/a\nx:"); err != nil {
		return
	}
	writeForever(nc, bytes.Repeat([]byte("a"), 64<<10), 100<<20)
}

func TestHostileHugeHeaderLine(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		name     string
		max      int
		maxAlloc uint64
	}{
		{"1 MiB limit", 1 << 20, 8 << 20},
		// The default 64 MiB limit lets the reader buffer up to 64 MiB of
		// the line before refusing it; it must still allocate well under
		// the 100 MB it was sent.
		{"default limit", 0, 100 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
				_, _ = io.WriteString(nc, connected)
				go hold(br)
				hugeHeaderLine(nc)
			})
			var err error
			start := time.Now()
			alloc := allocated(func() {
				c, cerr := dialHostile(t, h, Options{MaxFrameSize: tc.max})
				if cerr != nil {
					t.Fatalf("connect: %v", cerr)
				}
				err = ended(t, c, 20*time.Second)
				c.Close()
			})
			t.Logf("refused after %v, %d MB allocated", time.Since(start).Round(time.Millisecond), alloc>>20)
			wantLost(t, err, "raise --max-frame-size")
			if !errors.Is(err, wire.ErrFrameTooLarge) {
				t.Fatalf("want ErrFrameTooLarge inside, got %v", err)
			}
			if alloc > tc.maxAlloc {
				if tc.max == 0 {
					t.Fatalf("with the default MaxFrameSize (64 MiB) a 100 MB header line costs %d MB of allocation "+
						"before it is refused: internal/stomp/wire/reader.go until() grows its buffer by append, 64 KiB at a time "+
						"(~1.25x growth for large slices), so buffering 64 MiB allocates ~5x that; a NUL-less body goes the same way", alloc>>20)
				}
				t.Errorf("allocated %d MB for a 100 MB header line (limit %d MB)", alloc>>20, tc.maxAlloc>>20)
			}
		})
	}
	t.Run("instead of CONNECTED", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			go hold(br)
			_, _ = io.WriteString(nc, "CONNECTED\nx:")
			writeForever(nc, bytes.Repeat([]byte("a"), 64<<10), 100<<20)
		})
		var err error
		alloc := allocated(func() { _, err = dialHostile(t, h, Options{MaxFrameSize: 1 << 20}) })
		if !errors.Is(err, wire.ErrFrameTooLarge) || !strings.Contains(err.Error(), "answer to CONNECT is too large") {
			t.Fatalf("want a too-large CONNECT answer, got %v", err)
		}
		if alloc > 8<<20 {
			t.Errorf("allocated %d MB", alloc>>20)
		}
	})
}

func TestHostileHugeContentLength(t *testing.T) {
	checkLeaks(t)
	for _, cl := range []string{"99999999999999", "9223372036854775807", "99999999999999999999999", "67108865"} {
		t.Run(cl, func(t *testing.T) {
			h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
				_, _ = io.WriteString(nc, connected+"MESSAGE\ndestination:/queue/a\ncontent-length:"+cl+"\n\nsome")
				hold(br)
			})
			var err error
			alloc := allocated(func() {
				c, cerr := dialHostile(t, h, Options{})
				if cerr != nil {
					t.Fatalf("connect: %v", cerr)
				}
				err = ended(t, c, 5*time.Second)
				c.Close()
			})
			wantLost(t, err, "")
			if !errors.Is(err, wire.ErrFrameTooLarge) && !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("want ErrFrameTooLarge or ErrMalformed inside, got %v", err)
			}
			if alloc > 8<<20 {
				t.Errorf("allocated %d MB for a content-length the reader refuses", alloc>>20)
			}
		})
	}
}

// Endless heart-beat EOLs: the client counts them and stays responsive;
// it does not buffer them, and it can still be closed at once.
func TestHostileHeartBeatFlood(t *testing.T) {
	checkLeaks(t)
	eols := bytes.Repeat([]byte("\n"), 64<<10)
	t.Run("after CONNECTED", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected)
			go hold(br)
			writeForever(nc, eols, 0)
		})
		var c *Conn
		alloc := allocated(func() {
			c = mustConnect(t, h, Options{})
			// A bound on how long to wait, not a speed claim: on an idle
			// machine this takes a fraction of a second, under -race on a
			// loaded 2-core box several.
			deadline := time.Now().Add(60 * time.Second)
			for {
				_, _, beats, _ := c.Counts()
				if beats > 5<<20 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d heart-beats read in 60s", beats)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
		_, _, beats, _ := c.Counts()
		t.Logf("%d heart-beats, %d MB allocated", beats, alloc>>20)
		if alloc > 32<<20 {
			t.Errorf("allocated %d MB reading %d heart-beats", alloc>>20, beats)
		}
		// The flood never answers: a request times out cleanly.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := c.Request(ctx, frame.New(frame.BEGIN, frame.Transaction, "t"))
		var te *TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("want *TimeoutError, got %T %v", err, err)
		}
		start := time.Now()
		c.Close()
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Close took %v during a flood", d)
		}
		if !errors.Is(c.Err(), ErrClosed) {
			t.Fatalf("Err after Close = %v", c.Err())
		}
	})
	t.Run("instead of CONNECTED", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			go hold(br)
			writeForever(nc, eols, 0)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Dial(ctx, h.endpoint(), 10*time.Second, Options{})
		var te *TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("want *TimeoutError, got %T %v", err, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v with a 500ms context", d)
		}
	})
}

func TestHostileBareError(t *testing.T) {
	checkLeaks(t)
	t.Run("after CONNECTED", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected+"ERROR\n\n\x00")
			hold(br)
		})
		c := mustConnect(t, h, Options{})
		var shown []*frame.Frame
		deadline := time.After(5 * time.Second)
	loop:
		for {
			select {
			case f, ok := <-c.Incoming():
				if !ok {
					break loop
				}
				shown = append(shown, f)
			case <-deadline:
				t.Fatal("Incoming not closed after an ERROR")
			}
		}
		if len(shown) != 1 || shown[0].Command != frame.ERROR {
			t.Fatalf("want the ERROR on Incoming, got %v", shown)
		}
		var be *BrokerError
		if !errors.As(c.Err(), &be) {
			t.Fatalf("want *BrokerError, got %T %v", c.Err(), c.Err())
		}
		if c.Err().Error() != "broker sent an ERROR frame with no message" {
			t.Fatalf("message %q", c.Err())
		}
	})
	t.Run("answering a receipt", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected)
			readFrames(br, func(f *frame.Frame) {
				if f.Command == frame.SEND {
					_, _ = io.WriteString(nc, "ERROR\nreceipt-id:"+f.Header.Get(frame.Receipt)+"\n\n\x00")
				}
			})
		})
		c := mustConnect(t, h, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Request(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a"))
		var be *BrokerError
		if !errors.As(err, &be) {
			t.Fatalf("want *BrokerError, got %T %v", err, err)
		}
		ended(t, c, 5*time.Second)
	})
	t.Run("instead of CONNECTED", func(t *testing.T) {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, "ERROR\n\n\x00")
			hold(br)
		})
		_, err := dialHostile(t, h, Options{})
		var be *BrokerError
		if !errors.As(err, &be) {
			t.Fatalf("want *BrokerError, got %T %v", err, err)
		}
	})
}

func TestHostileNeverAnswersConnect(t *testing.T) {
	checkLeaks(t)
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) { hold(br) })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, h.endpoint(), 10*time.Second, Options{})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want *TimeoutError, got %T %v", err, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 300ms context", d)
	}
	// Dial's own timeout bounds it too.
	start = time.Now()
	_, err = Dial(context.Background(), h.endpoint(), 300*time.Millisecond, Options{})
	if !errors.As(err, &te) {
		t.Fatalf("want *TimeoutError from Dial's timeout, got %T %v", err, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 300ms timeout", d)
	}
}

// A receipt that comes after the client gave up must not wedge the
// connection: the next request works, and Disconnect too.
func TestHostileLateReceipt(t *testing.T) {
	checkLeaks(t)
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		var wmu sync.Mutex
		write := func(s string) {
			wmu.Lock()
			defer wmu.Unlock()
			_, _ = io.WriteString(nc, s)
		}
		readFrames(br, func(f *frame.Frame) {
			id := f.Header.Get(frame.Receipt)
			switch {
			case id == "":
			case f.Header.Get("late") != "":
				time.AfterFunc(500*time.Millisecond, func() { write("RECEIPT\nreceipt-id:" + id + "\n\n\x00") })
			default:
				write("RECEIPT\nreceipt-id:" + id + "\n\n\x00")
			}
		})
	})
	c := mustConnect(t, h, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := c.Request(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a", "late", "yes"))
	cancel()
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want *TimeoutError, got %T %v", err, err)
	}
	// The late receipt arrives with nobody waiting: it comes out of
	// Incoming, it does not block the reader.
	select {
	case f := <-c.Incoming():
		if f.Command != frame.RECEIPT {
			t.Fatalf("want the late RECEIPT on Incoming, got %s", f.Command)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the late receipt never surfaced")
	}
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := c.Request(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a"))
		cancel()
		if err != nil || r.Command != frame.RECEIPT {
			t.Fatalf("request %d after a late receipt: %v %v", i, r, err)
		}
	}
	// Late receipts nobody reads, more than Incoming holds... the reader
	// would block on a full Incoming by design (backpressure); here a few.
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
}

// The broker closes the socket while a request waits: the request fails
// at once with ConnectionLostError, not at its timeout.
func TestHostileCloseWhileWaiting(t *testing.T) {
	checkLeaks(t)
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		readFrames(br, func(f *frame.Frame) {
			if f.Command == frame.SEND {
				_, _ = io.WriteString(nc, "RECEIPT\nreceipt-") // and close mid-frame
				nc.Close()
			}
		})
	})
	c := mustConnect(t, h, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Request(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a"))
	wantLost(t, err, "")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	_, err = c.Request(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a"))
	wantLost(t, err, "")
	if err := c.Disconnect(ctx); err == nil {
		t.Fatal("Disconnect of a lost connection reported success")
	}
}

// Hostile heart-beat headers in CONNECTED: refused or clamped, never a
// panic or a negative timer.
func TestHostileHeartBeatHeader(t *testing.T) {
	checkLeaks(t)
	for _, hb := range []string{"x", "-1,-1", "1,", "99999999999999999999,1", "0,1", "1000,1000",
		"4611686018427,1", "9223372036854,9223372036854"} {
		t.Run(hb, func(t *testing.T) {
			h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
				_, _ = io.WriteString(nc, "CONNECTED\nversion:1.2\nheart-beat:"+hb+"\n\n\x00")
				readFrames(br, func(f *frame.Frame) {
					if id := f.Header.Get(frame.Receipt); id != "" {
						_, _ = io.WriteString(nc, "RECEIPT\nreceipt-id:"+id+"\n\n\x00")
					}
				})
			})
			c, err := dialHostile(t, h, Options{HeartBeatSend: time.Second, HeartBeatRecv: time.Second})
			if err != nil {
				if !strings.Contains(err.Error(), "heart-beat") {
					t.Fatalf("refused with an unclear error: %v", err)
				}
				return
			}
			defer c.Close()
			send, grace := c.HeartBeats()
			sx, _, _ := frame.ParseHeartBeat(hb)
			if send < 0 || grace < 0 || (grace > 0 && grace < min(sx, 24*time.Hour)) {
				t.Fatalf("CONNECTED heart-beat:%s gives send %v, read grace %v: negotiateHeartBeats "+
					"(internal/stomp/client/conn.go) computes 2*max(cy, sx)+1s without clamping, which overflows "+
					"time.Duration, so the connection is dropped as silent at once (negative grace) or far too early", hb, send, grace)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Disconnect(ctx); err != nil {
				t.Fatalf("disconnect: %v", err)
			}
		})
	}
}
