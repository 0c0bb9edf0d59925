package faultproxy_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/faultproxy"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// echoServer accepts connections and writes back what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	return testbroker.Loopback(t, func(c net.Conn) { io.Copy(c, c); c.Close() })
}

func newProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo writes s and reads it back within d; it returns the error instead
// of failing so that tests can expect one.
func echo(c net.Conn, s string, d time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, s); err != nil {
		return "", err
	}
	buf := make([]byte, len(s))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

// waitConns waits until the proxy has n open connections.
func waitConns(t *testing.T, p *faultproxy.Proxy, n int) []*faultproxy.Conn {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cs := p.Conns(); len(cs) == n {
			return cs
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("want %d open connections, have %d", n, len(p.Conns()))
	return nil
}

func TestPassThrough(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dial(t, p.Addr())
	big := strings.Repeat("0123456789", 100_000) // more than one read buffer
	got, err := echo(c, big, 5*time.Second)
	if err != nil || got != big {
		t.Fatalf("echo through the proxy: %d of %d bytes, %v", len(got), len(big), err)
	}
	cs := waitConns(t, p, 1)
	if n := cs[0].Forwarded(faultproxy.ToBroker); n != int64(len(big)) {
		t.Errorf("Forwarded(ToBroker) = %d, want %d", n, len(big))
	}
	if p.Accepted() != 1 || cs[0].ID() != 1 {
		t.Errorf("Accepted() = %d, ID() = %d, want 1 and 1", p.Accepted(), cs[0].ID())
	}
}

// TestReset: the client's next read fails with a reset, not a clean EOF,
// and only the connection reset is affected.
func TestReset(t *testing.T) {
	p := newProxy(t, echoServer(t))
	a, b := dial(t, p.Addr()), dial(t, p.Addr())
	cs := waitConns(t, p, 2)
	cs[0].Reset()
	_, err := echo(a, "x", 2*time.Second)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("after Reset: %v, want connection reset", err)
	}
	if got, err := echo(b, "still here", 2*time.Second); err != nil || got != "still here" {
		t.Fatalf("the other connection: %q, %v", got, err)
	}
	p.ResetAll()
	if _, err := echo(b, "x", 2*time.Second); err == nil {
		t.Fatal("after ResetAll the connection still echoes")
	}
	waitConns(t, p, 0)
}

// TestStall: data sent during a stall arrives only after it, in order;
// stalling one direction leaves the other flowing; StallAll also holds
// connections opened during the stall.
func TestStall(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dial(t, p.Addr())
	cs := waitConns(t, p, 1)

	cs[0].Stall(faultproxy.ToClient, 400*time.Millisecond)
	start := time.Now()
	if _, err := echo(c, "held", 100*time.Millisecond); err == nil {
		t.Fatal("the echo came back during a stall")
	}
	got := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "held" {
		t.Fatalf("after the stall: %q, %v", got, err)
	}
	if waited := time.Since(start); waited < 350*time.Millisecond {
		t.Errorf("the data came back after %v, before the stall ended", waited)
	}
	if n := cs[0].Forwarded(faultproxy.ToBroker); n != 4 {
		t.Errorf("the client's bytes were held too: Forwarded(ToBroker) = %d, want 4", n)
	}

	p.StallAll(faultproxy.ToClient, time.Hour)
	if _, err := echo(c, "resumed", 100*time.Millisecond); err == nil {
		t.Fatal("the echo came back during StallAll")
	}
	p.ResumeAll(faultproxy.Both)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if got, err := io.ReadAll(io.LimitReader(c, 7)); err != nil || string(got) != "resumed" {
		t.Fatalf("after ResumeAll: %q, %v", got, err)
	}

	p.StallAll(faultproxy.Both, 300*time.Millisecond)
	late := dial(t, p.Addr())
	if _, err := echo(late, "x", 100*time.Millisecond); err == nil {
		t.Fatal("a connection opened during StallAll echoed at once")
	}
	late.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(late, got[:1]); err != nil || got[0] != 'x' {
		t.Fatalf("after StallAll: %q, %v", got[:1], err)
	}
}

// TestRefuse: while refusing, connecting fails with "connection refused";
// open connections keep working; afterwards the same address accepts again.
func TestRefuse(t *testing.T) {
	p := newProxy(t, echoServer(t))
	open := dial(t, p.Addr())
	waitConns(t, p, 1)
	if err := p.Refuse(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !p.Refusing() {
		t.Error("Refusing() = false during Refuse")
	}
	if _, err := net.Dial("tcp", p.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial during Refuse: %v, want connection refused", err)
	}
	if got, err := echo(open, "open", time.Second); err != nil || got != "open" {
		t.Fatalf("an open connection during Refuse: %q, %v", got, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for p.Refusing() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c := dial(t, p.Addr())
	if got, err := echo(c, "back", time.Second); err != nil || got != "back" {
		t.Fatalf("after Refuse: %q, %v", got, err)
	}
	if p.Accepted() != 2 {
		t.Errorf("Accepted() = %d, want 2", p.Accepted())
	}
}

// TestBrokerDown: when the target cannot be reached, the client is reset.
func TestBrokerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, ln.Addr().String()) // while ln holds the port, the proxy cannot get it
	ln.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err == nil { // the reset may come before connect returns, or after
		defer c.Close()
		_, err = echo(c, "x", 2*time.Second)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("a connection to a dead target: %v, want connection reset", err)
	}
}

// stompConn is a raw STOMP connection for the tests against a real broker.
type stompConn struct {
	net.Conn
	r *bufio.Reader
}

func stompDial(t *testing.T, addr string) *stompConn {
	t.Helper()
	c := &stompConn{Conn: dial(t, addr)}
	c.r = bufio.NewReader(c.Conn)
	c.send(t, "CONNECT\naccept-version:1.2\nhost:/\n\n")
	if f := c.frame(t); !strings.HasPrefix(f, "CONNECTED\n") {
		t.Fatalf("want CONNECTED, got %q", f)
	}
	return c
}

func (c *stompConn) send(t *testing.T, frame string) {
	t.Helper()
	if _, err := io.WriteString(c, frame+"\x00"); err != nil {
		t.Fatal(err)
	}
}

// frame reads the next frame (without its NUL), skipping heart-beats.
func (c *stompConn) frame(t *testing.T) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		f, err := c.r.ReadString(0)
		if err != nil {
			t.Fatalf("reading a frame: %v (have %q)", err, f)
		}
		if f = strings.TrimLeft(f, "\r\n"); f != "" {
			return strings.TrimSuffix(f, "\x00")
		}
	}
}

// TestCutMidFrame runs against the embedded broker: a SEND cut in half
// never reaches the queue, the client sees the connection closed, and a
// cut towards the client leaves it with an unfinished frame and EOF.
func TestCutMidFrame(t *testing.T) {
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p := newProxy(t, b.Addr())

	sender := stompDial(t, p.Addr())
	cs := waitConns(t, p, 1)
	before := cs[0].Forwarded(faultproxy.ToBroker) // the CONNECT
	cs[0].CutMidFrame(faultproxy.ToBroker)
	frame := "SEND\ndestination:/queue/cut\nreceipt:r1\n\nthis message must not arrive"
	io.WriteString(sender, "\n\n"+frame+"\x00") // heart-beats first: they pass, the frame is cut
	sender.SetReadDeadline(time.Now().Add(3 * time.Second))
	// Brokers end a frame with NUL and a newline: the CONNECTED frame's
	// newline may still be unread.
	if rest, err := io.ReadAll(sender.r); err != nil || strings.Trim(string(rest), "\r\n") != "" {
		t.Fatalf("after a cut SEND the client read %q, %v; want a clean EOF and no receipt", rest, err)
	}
	sent := cs[0].Forwarded(faultproxy.ToBroker) - before
	if sent <= 2 || sent >= int64(2+len(frame)) {
		t.Errorf("%d bytes reached the broker, want part of the frame (2 < n < %d)", sent, 2+len(frame))
	}

	// The queue is empty: a frame that follows proves it, arriving first.
	c := stompDial(t, b.Addr())
	c.send(t, "SEND\ndestination:/queue/cut\n\nafter")
	c.send(t, "SUBSCRIBE\nid:0\ndestination:/queue/cut\n\n")
	if f := c.frame(t); !strings.HasSuffix(f, "\n\nafter") {
		t.Fatalf("the first message on the queue is %q, want the one sent after the cut", f)
	}

	// Towards the client: the MESSAGE frame arrives in part, then EOF.
	recv := stompDial(t, p.Addr())
	recv.send(t, "SUBSCRIBE\nid:0\ndestination:/queue/cut2\nreceipt:s\n\n")
	if f := recv.frame(t); !strings.HasPrefix(f, "RECEIPT\n") {
		t.Fatalf("want RECEIPT, got %q", f)
	}
	p.CutAll(faultproxy.ToClient)
	c.send(t, "SEND\ndestination:/queue/cut2\n\n"+strings.Repeat("m", 1000))
	recv.SetReadDeadline(time.Now().Add(3 * time.Second))
	part, err := io.ReadAll(recv.r)
	if err != nil {
		t.Fatalf("after a cut MESSAGE: %v", err)
	}
	if part = bytes.TrimLeft(part, "\r\n"); !bytes.HasPrefix(part, []byte("MESSAGE\n")) || bytes.IndexByte(part, 0) >= 0 {
		t.Fatalf("the client got %q, want the start of a MESSAGE and no NUL", part)
	}
}
