package broker

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"
)

// startBroker starts a broker on loopback and stops it when the test ends.
// Broker log lines go to the test log.
func startBroker(t testing.TB, cfg Config) *Broker {
	t.Helper()
	if cfg.Logf == nil {
		var mu sync.Mutex
		done := false
		t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
		cfg.Logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if !done {
				t.Logf("broker: "+format, args...)
			}
		}
	}
	b, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// raw is a test client speaking raw frames over TCP.
type raw struct {
	t      testing.TB
	queued []*frame.Frame // read early while waiting for a RECEIPT
	nc     net.Conn
	r      *frame.Reader
	w      *frame.Writer
}

func dial(t testing.TB, b *Broker) *raw {
	t.Helper()
	nc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc, r: frame.NewReader(nc), w: frame.NewWriter(nc)}
}

// connect dials and connects with the given accept-version ("" = 1.0,
// header omitted) and extra CONNECT headers.
func connect(t testing.TB, b *Broker, accept string, headers ...string) *raw {
	t.Helper()
	c := dial(t, b)
	h := []string{}
	if accept != "" {
		h = append(h, frame.AcceptVersion, accept, frame.Host, "/")
	}
	c.send(frame.CONNECT, nil, append(h, headers...)...)
	f := c.expect(frame.CONNECTED)
	if accept == "" && f.Header.Get(frame.Version) != "1.0" {
		t.Fatalf("CONNECTED version %q, want 1.0", f.Header.Get(frame.Version))
	}
	return c
}

func (c *raw) send(cmd string, body []byte, headers ...string) {
	c.t.Helper()
	f := frame.New(cmd, headers...)
	f.Body = body
	if err := c.w.Write(f); err != nil {
		c.t.Fatalf("write %s: %v", cmd, err)
	}
}

// sendRaw writes bytes exactly as given.
func (c *raw) sendRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame, skipping heart-beats, failing after 5 s.
func (c *raw) read() (*frame.Frame, error) {
	if len(c.queued) > 0 {
		f := c.queued[0]
		c.queued = c.queued[1:]
		return f, nil
	}
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		f, err := c.r.Read()
		if err != nil || f != nil {
			return f, err
		}
	}
}

func (c *raw) expect(cmd string) *frame.Frame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", cmd, err)
	}
	if f.Command != cmd {
		c.t.Fatalf("got %s, want %s: %s", f.Command, cmd, describe(f))
	}
	return f
}

// expectMessage reads a MESSAGE and checks its body.
func (c *raw) expectMessage(body string) *frame.Frame {
	c.t.Helper()
	f := c.expect(frame.MESSAGE)
	if string(f.Body) != body {
		c.t.Fatalf("MESSAGE body %q, want %q (%s)", f.Body, body, describe(f))
	}
	return f
}

// expectReceipt waits for a RECEIPT; MESSAGEs arriving first are kept
// for later expect calls.
func (c *raw) expectReceipt(id string) {
	c.t.Helper()
	var f *frame.Frame
	var early []*frame.Frame
	for {
		var err error
		f, err = c.read()
		if err != nil {
			c.t.Fatalf("waiting for RECEIPT %s: %v", id, err)
		}
		if f.Command != frame.MESSAGE {
			break
		}
		early = append(early, f)
	}
	c.queued = append(early, c.queued...)
	if f.Command != frame.RECEIPT {
		c.t.Fatalf("got %s, want RECEIPT", describe(f))
	}
	if got := f.Header.Get(frame.ReceiptId); got != id {
		c.t.Fatalf("receipt-id %q, want %q", got, id)
	}
}

// expectError reads an ERROR whose message contains want, then EOF.
func (c *raw) expectError(want string) *frame.Frame {
	c.t.Helper()
	f := c.expect(frame.ERROR)
	if msg := f.Header.Get(frame.Message); !strings.Contains(msg, want) {
		c.t.Fatalf("ERROR message %q, want it to contain %q (%s)", msg, want, describe(f))
	}
	c.expectClosed()
	return f
}

func (c *raw) expectClosed() {
	c.t.Helper()
	f, err := c.read()
	if err == nil {
		c.t.Fatalf("expected the connection to close, got %s", describe(f))
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatalf("expected the connection to close, it stayed open")
	}
}

// expectNothing checks that no frame arrives within d.
func (c *raw) expectNothing(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := c.r.Read()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return
			}
			c.t.Fatalf("expected silence, got error %v", err)
		}
		if f != nil {
			c.t.Fatalf("expected silence, got %s", describe(f))
		}
	}
}

func describe(f *frame.Frame) string {
	var b bytes.Buffer
	b.WriteString(f.Command)
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		fmt.Fprintf(&b, " %s=%q", k, v)
	}
	if len(f.Body) > 0 {
		fmt.Fprintf(&b, " body=%q", truncate(f.Body))
	}
	return b.String()
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// quietLogger silences go-stomp's client.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...interface{})   {}
func (quietLogger) Infof(string, ...interface{})    {}
func (quietLogger) Warningf(string, ...interface{}) {}
func (quietLogger) Errorf(string, ...interface{})   {}
func (quietLogger) Debug(string)                    {}
func (quietLogger) Info(string)                     {}
func (quietLogger) Warning(string)                  {}
func (quietLogger) Error(string)                    {}

// goStomp connects go-stomp's client to b.
func goStomp(t testing.TB, b *Broker, opts ...func(*stomp.Conn) error) *stomp.Conn {
	t.Helper()
	opts = append([]func(*stomp.Conn) error{stomp.ConnOpt.Logger(quietLogger{}), stomp.ConnOpt.Host("/")}, opts...)
	c, err := stomp.Dial("tcp", b.Addr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.MustDisconnect() })
	return c
}
