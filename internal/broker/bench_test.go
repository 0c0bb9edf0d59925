package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"
)

// The benchmarks measure the broker with a lean raw-frame client over
// loopback TCP, 100-byte bodies, reporting msg/s. BenchmarkGoStomp* do
// the same through go-stomp's client, whose own per-frame costs
// (a flush per SEND, goroutine hand-offs) then dominate.

var benchBody = bytes.Repeat([]byte("x"), 100)

func benchBroker(b *testing.B) *Broker {
	return startBroker(b, Config{Logf: func(string, ...any) {}})
}

// benchConn connects a raw client; writes go through w (flushed by the caller).
func benchConn(b *testing.B, br *Broker) (net.Conn, *bufio.Writer, *frame.Reader) {
	nc, err := net.Dial("tcp", br.Addr())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	w := bufio.NewWriterSize(nc, 64<<10)
	r := frame.NewReaderSize(nc, 64<<10)
	w.WriteString("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	w.Flush()
	if f, err := r.Read(); err != nil || f.Command != frame.CONNECTED {
		b.Fatalf("connect: %v %v", f, err)
	}
	return nc, w, r
}

func writeSends(w *bufio.Writer, dest string, n int) {
	hdr := "SEND\ndestination:" + dest + "\ncontent-type:text/plain\ncontent-length:" + strconv.Itoa(len(benchBody)) + "\n\n"
	for i := 0; i < n; i++ {
		w.WriteString(hdr)
		w.Write(benchBody)
		w.WriteByte(0)
	}
}

// waitReceipt sends a frame with a receipt and waits for it, skipping
// other frames.
func waitReceipt(b *testing.B, w *bufio.Writer, r *frame.Reader) {
	w.WriteString("BEGIN\ntransaction:sync\nreceipt:sync\n\n\x00ABORT\ntransaction:sync\n\n\x00")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	for {
		f, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		if f != nil && f.Command == frame.RECEIPT {
			return
		}
	}
}

// BenchmarkSend: one producer pipelines SENDs to a queue; the clock stops
// when the broker has processed them all (a RECEIPT after the last).
func BenchmarkSend(b *testing.B) {
	br := benchBroker(b)
	_, w, r := benchConn(b, br)
	b.ResetTimer()
	start := time.Now()
	writeSends(w, "/queue/bench-send", b.N)
	waitReceipt(b, w, r)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

// BenchmarkReceive: the queue is filled first (untimed); then one
// consumer subscribes and the clock runs until it has read every MESSAGE.
func BenchmarkReceive(b *testing.B) {
	br := benchBroker(b)
	_, pw, pr := benchConn(b, br)
	writeSends(pw, "/queue/bench-recv", b.N)
	waitReceipt(b, pw, pr)
	nc, w, _ := benchConn(b, br)
	// Count MESSAGE frames straight off the socket: each ends with the NUL
	// after its body (the body has none), so the client costs little.
	b.ResetTimer()
	start := time.Now()
	w.WriteString("SUBSCRIBE\nid:0\ndestination:/queue/bench-recv\nack:auto\n\n\x00")
	w.Flush()
	if err := countFrames(nc, b.N); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

// countFrames reads until n NUL-terminated frames have arrived.
func countFrames(r io.Reader, n int) error {
	buf := make([]byte, 256<<10)
	for seen := 0; seen < n; {
		k, err := r.Read(buf)
		if err != nil {
			return fmt.Errorf("after %d frames: %v", seen, err)
		}
		seen += bytes.Count(buf[:k], []byte{0})
	}
	return nil
}

// BenchmarkSendReceive: producer and consumer at once (end to end).
func BenchmarkSendReceive(b *testing.B) {
	br := benchBroker(b)
	nc, cw, _ := benchConn(b, br)
	cw.WriteString("SUBSCRIBE\nid:0\ndestination:/queue/bench-e2e\nack:auto\nreceipt:s\n\n\x00")
	cw.Flush()
	if err := countFrames(nc, 1); err != nil {
		b.Fatal(err)
	}
	_, w, _ := benchConn(b, br)
	b.ResetTimer()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- countFrames(nc, b.N) }()
	for sent := 0; sent < b.N; sent += 1000 {
		writeSends(w, "/queue/bench-e2e", min(1000, b.N-sent))
	}
	w.Flush()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

func BenchmarkGoStompSend(b *testing.B) {
	br := benchBroker(b)
	c := goStomp(b, br)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := c.Send("/queue/gs-send", "text/plain", benchBody); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Send("/queue/gs-send", "text/plain", benchBody, stomp.SendOpt.Receipt); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

func BenchmarkGoStompReceive(b *testing.B) {
	br := benchBroker(b)
	_, pw, pr := benchConn(b, br)
	writeSends(pw, "/queue/gs-recv", b.N)
	waitReceipt(b, pw, pr)
	c := goStomp(b, br)
	b.ResetTimer()
	start := time.Now()
	sub, err := c.Subscribe("/queue/gs-recv", stomp.AckAuto)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if m := <-sub.C; m.Err != nil {
			b.Fatal(m.Err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}
