package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
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

// BenchmarkRoundTrip1000Conns: 1,000 connections at once, each
// subscribed to its own queue, each sending a message there and reading
// it back, over and over (b.N round trips in all). Reports round trips
// per second and the round-trip latency percentiles, and the time to
// open and log in the 1,000 connections. Needs 2,000 descriptors (both
// ends are in this process) and MaxConnections above the default.
func BenchmarkRoundTrip1000Conns(b *testing.B) {
	const conns = 1000
	br := startBroker(b, Config{Logf: func(string, ...any) {}, MaxConnections: conns + 10})
	type client struct {
		nc net.Conn
		w  *bufio.Writer
		r  *bufio.Reader
	}
	cs := make([]client, conns)
	setup := time.Now()
	for i := range cs {
		nc, err := net.Dial("tcp", br.Addr())
		if err != nil {
			b.Fatalf("connection %d: %v (ulimit -n?)", i, err)
		}
		b.Cleanup(func() { nc.Close() })
		cs[i] = client{nc, bufio.NewWriterSize(nc, 4<<10), bufio.NewReaderSize(nc, 4<<10)}
		fmt.Fprintf(cs[i].w, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:0\ndestination:/queue/rt-%d\nack:auto\nreceipt:s\n\n\x00", i)
		cs[i].w.Flush()
	}
	for i := range cs { // CONNECTED, RECEIPT
		for k := 0; k < 2; k++ {
			if _, err := cs[i].r.ReadSlice(0); err != nil {
				b.Fatal(err)
			}
		}
	}
	connected := time.Since(setup)
	per := (b.N + conns - 1) / conns
	lat := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	b.ResetTimer()
	start := time.Now()
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cs[i]
			send := fmt.Sprintf("SEND\ndestination:/queue/rt-%d\ncontent-length:%d\n\n%s\x00", i, len(benchBody), benchBody)
			for n := 0; n < per; n++ {
				t0 := time.Now()
				c.w.WriteString(send)
				if err := c.w.Flush(); err != nil {
					errs <- err
					return
				}
				if _, err := c.r.ReadSlice(0); err != nil { // the MESSAGE (its body has no NUL)
					errs <- err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(all))/took.Seconds(), "roundtrips/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(connected.Milliseconds()), "ms-to-connect-all")
	b.ReportMetric(0, "ns/op")
}
