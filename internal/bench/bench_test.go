package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// The tests assert counts and the shape of the reports. The only timings
// asserted are the accuracy checks of accuracy_test.go, which compare one
// measurement with another.

func embedded(t *testing.T) client.Endpoint {
	t.Helper()
	tg := testbroker.Embedded(t)
	return client.Endpoint{Host: tg.Host, Port: tg.Port}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	if cfg.Endpoint.Host == "" && cfg.Dial == nil {
		cfg.Endpoint = embedded(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestQueueSharedBySubscribers(t *testing.T) {
	for _, ack := range []string{"auto", "client", "client-individual"} {
		t.Run(ack, func(t *testing.T) {
			var live Live
			res := run(t, Config{Pub: 2, Sub: 3, Msgs: 301, Size: 64, Ack: ack, AckEvery: 7, Live: &live})
			if res.Published != 301 || res.Sent != 301 || res.Expected != 301 || res.Received != 301 || res.Lost != 0 || res.Dups != 0 {
				t.Fatalf("published %d expected %d received %d lost %d dups %d", res.Published, res.Expected, res.Received, res.Lost, res.Dups)
			}
			if got := live.Sent.Load(); got != 301 {
				t.Errorf("live sent %d", got)
			}
			if got := live.Received.Load(); got != 301 {
				t.Errorf("live received %d", got)
			}
			if a, b := res.Publishers.Clients[0].Msgs, res.Publishers.Clients[1].Msgs; a != 151 || b != 150 {
				t.Errorf("publishers sent %d and %d, want 151 and 150", a, b)
			}
			if res.Publishers.Total.Bytes != 301*64 {
				t.Errorf("publisher bytes %d", res.Publishers.Total.Bytes)
			}
			var sum int64
			for _, s := range res.Subscribers.Clients {
				sum += s.Msgs
			}
			if sum != 301 || len(res.Subscribers.Clients) != 3 {
				t.Errorf("subscribers received %d in %d clients", sum, len(res.Subscribers.Clients))
			}
			l := res.Latency
			if l == nil || l.Count != 301 {
				t.Fatalf("latency %+v", l)
			}
			if !(l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
				t.Errorf("percentiles out of order: %+v", l)
			}
		})
	}
}

func TestTopicEverySubscriberGetsEverything(t *testing.T) {
	res := run(t, Config{Pub: 1, Sub: 3, Msgs: 50, Topic: true})
	if res.Expected != 150 || res.Received != 150 || res.Lost != 0 || res.Dups != 0 {
		t.Fatalf("expected %d received %d lost %d dups %d", res.Expected, res.Received, res.Lost, res.Dups)
	}
	for _, c := range res.Subscribers.Clients {
		if c.Msgs != 50 {
			t.Errorf("%s received %d", c.Name, c.Msgs)
		}
	}
}

func TestPublishOnlyThenDrain(t *testing.T) {
	ep := embedded(t)
	pub := run(t, Config{Endpoint: ep, Pub: 2, Msgs: 40, Destination: "/queue/drain"})
	if pub.Published != 40 || pub.Subscribers != nil || pub.Latency != nil {
		t.Fatalf("publish-only: %+v", pub)
	}
	sub := run(t, Config{Endpoint: ep, Sub: 1, Msgs: 40, Destination: "/queue/drain"})
	if sub.Received != 40 || sub.Lost != 0 || sub.Publishers != nil {
		t.Fatalf("drain: received %d lost %d", sub.Received, sub.Lost)
	}
	if sub.Latency == nil || sub.Latency.Count != 40 {
		t.Errorf("latency from the timestamps of the earlier run: %+v", sub.Latency)
	}
}

func TestLeftoversAreSkipped(t *testing.T) {
	ep := embedded(t)
	run(t, Config{Endpoint: ep, Pub: 1, Msgs: 5, Destination: "/queue/left"})
	res := run(t, Config{Endpoint: ep, Pub: 1, Sub: 1, Msgs: 10, Destination: "/queue/left"})
	if res.Received != 10 || res.Stale != 5 || res.Lost != 0 {
		t.Errorf("received %d stale %d lost %d, want 10, 5, 0", res.Received, res.Stale, res.Lost)
	}
}

func TestMissingMessagesEndAfterIdle(t *testing.T) {
	// Subscribers alone on an empty queue: nothing comes, and the run
	// ends after Idle with everything lost rather than hanging.
	res := run(t, Config{Sub: 1, Msgs: 3, Destination: "/queue/empty", Idle: 200 * time.Millisecond})
	if res.Received != 0 || res.Lost != 3 || res.Latency != nil {
		t.Errorf("received %d lost %d latency %+v", res.Received, res.Lost, res.Latency)
	}
}

func TestWarmupIsCheckedNotMeasured(t *testing.T) {
	res := run(t, Config{Pub: 1, Sub: 1, Rate: 200, Warmup: 500 * time.Millisecond, Duration: time.Second})
	warm := res.Sent - res.Published
	// The schedule fixes the counts: 100 messages due in the warm-up, 200 after.
	if warm != 100 || res.Published != 200 {
		t.Fatalf("sent %d, published %d after the warm-up: want 100 + 200", res.Sent, res.Published)
	}
	if res.Received != 200 || res.Latency.Count != 200 || res.Lost != 0 || res.Expected != 300 {
		t.Errorf("received %d, latencies %d, lost %d, expected %d", res.Received, res.Latency.Count, res.Lost, res.Expected)
	}
	var sent, recv int64
	for _, p := range res.Series {
		sent += p.Sent
		recv += p.Received
	}
	if sent != 200 || recv != 200 {
		t.Errorf("the per-second series add up to %d sent, %d received: want 200 each", sent, recv)
	}
}

func TestSizeRangeAndTransactions(t *testing.T) {
	res := run(t, Config{Pub: 2, Sub: 1, Msgs: 205, Size: 10, SizeMax: 1000, TxSize: 10, Persistent: true})
	if res.Received != 205 || res.Lost != 0 {
		t.Fatalf("received %d lost %d: the last, partial transaction must be committed too", res.Received, res.Lost)
	}
	b := res.Subscribers.Total.Bytes
	if b < 205*10 || b > 205*1000 || b == 205*10 || b == 205*1000 {
		t.Errorf("%d bytes received: sizes not drawn from 10..1000", b)
	}
	if res.Publishers.Total.Bytes != b {
		t.Errorf("published %d bytes, received %d", res.Publishers.Total.Bytes, b)
	}
}

// TestLossAndDuplicatesCounted puts a hostile proxy between the clients
// and the broker: it drops some MESSAGE frames on their way to the
// subscriber and delivers others twice. The counts must be exact.
func TestLossAndDuplicatesCounted(t *testing.T) {
	ep := embedded(t)
	n := 0
	p := startProxy(t, ep.Addr(), 0, func(f []byte) [][]byte {
		if !bytes.HasPrefix(f, []byte("MESSAGE\n")) {
			return [][]byte{f}
		}
		n++
		switch {
		case n%10 == 3:
			return nil // dropped
		case n%10 == 7:
			return [][]byte{f, f} // twice
		}
		return [][]byte{f}
	}, nil)
	res := run(t, Config{Endpoint: p, Pub: 1, Sub: 1, Msgs: 200, Idle: 300 * time.Millisecond})
	if res.Lost != 20 || res.Dups != 20 || res.Received != 180 {
		t.Fatalf("lost %d, duplicated %d, received %d: want 20, 20, 180", res.Lost, res.Dups, res.Received)
	}
	var text bytes.Buffer
	_ = res.WriteText(&text)
	if !strings.Contains(text.String(), "lost 20, duplicated 20") {
		t.Errorf("summary does not say so:\n%s", text.String())
	}
}

func TestJSONRoundTripAndMerge(t *testing.T) {
	a := run(t, Config{Pub: 1, Sub: 1, Msgs: 300, Label: "x"})
	b := run(t, Config{Pub: 1, Sub: 2, Msgs: 500, Label: "x"})
	dir := t.TempDir()
	var paths []string
	for i, r := range []*Result{a, b} {
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"label", "config", "machine", "broker", "stomp_version", "sent", "published", "received", "lost",
			"duplicates", "publishers", "subscribers", "latency_us", "series", "histogram"} {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if !strings.HasPrefix(m["histogram"].(string), "HISTF") {
			t.Errorf("histogram not in HdrHistogram's compressed base64 form: %.20s", m["histogram"])
		}
		p := dir + "/" + string(rune('a'+i)) + ".json"
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var rs []*Result
	for _, p := range paths {
		got, err := ReadResults(p)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, got...)
	}
	if !rs[0].hist.Equals(a.hist) || !rs[1].hist.Equals(b.hist) {
		t.Fatal("histograms changed on the way through JSON")
	}
	m, err := Merge(rs)
	if err != nil {
		t.Fatal(err)
	}
	want := hdrhistogram.New(histMin, histMax, histDigits)
	want.Merge(a.hist)
	want.Merge(b.hist)
	if !m.hist.Equals(want) || m.Latency.Count != 800 || m.Latency.P99 != want.ValueAtQuantile(99) {
		t.Errorf("merged histogram: count %d p99 %d, want %d and %d", m.Latency.Count, m.Latency.P99, want.TotalCount(), want.ValueAtQuantile(99))
	}
	if m.Received != 800 || m.Published != 800 || m.Machines != 2 || len(m.Subscribers.Clients) != 3 {
		t.Errorf("merged counts: received %d published %d machines %d subscribers %d", m.Received, m.Published, m.Machines, len(m.Subscribers.Clients))
	}
	if got, want := m.Subscribers.Total.MsgsPerSec, a.Subscribers.Total.MsgsPerSec+b.Subscribers.Total.MsgsPerSec; got != want {
		t.Errorf("merged rate %f, want the sum %f", got, want)
	}
	if _, err := ReadResults(paths[0] + ".missing"); err == nil {
		t.Error("no error for a missing file")
	}
	bad := dir + "/bad.json"
	_ = os.WriteFile(bad, []byte(`{"label":"x","histogram":"HISTFAAAnot base64"}`), 0o644)
	if _, err := ReadResults(bad); err == nil {
		t.Error("no error for a broken histogram")
	}
}

func TestSweep(t *testing.T) {
	ep := embedded(t)
	cfg := Config{Endpoint: ep, Pub: 1, Sub: 1, Duration: 500 * time.Millisecond}
	runner := func(c Config) (*Result, error) { return Run(context.Background(), c) }
	var out bytes.Buffer
	sw, err := Sweep(context.Background(), cfg, []int{100, 200, 300}, time.Hour, runner, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Best != 300 || len(sw.Steps) != 3 || sw.Steps[1].Config.Rate != 200 || sw.Steps[1].Published != 100 {
		t.Fatalf("best %d, %d steps:\n%s", sw.Best, len(sw.Steps), out.String())
	}
	if !strings.Contains(out.String(), "Highest rate with p99 under 1h0m0s: 300 msg/s") {
		t.Errorf("sweep output:\n%s", out.String())
	}
	// A bound nothing meets stops at the first step.
	out.Reset()
	sw, err = Sweep(context.Background(), cfg, []int{100, 200}, time.Microsecond, runner, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Best != 0 || len(sw.Steps) != 1 || !strings.Contains(out.String(), "No rate tried kept p99 under 1µs") {
		t.Errorf("best %d, %d steps:\n%s", sw.Best, len(sw.Steps), out.String())
	}
}

// TestSweepInterrupted: a sweep interrupted in a step stops there and
// keeps its steps, the interrupted one marked, with the best rate so far.
func TestSweepInterrupted(t *testing.T) {
	ep := embedded(t)
	cfg := Config{Endpoint: ep, Pub: 1, Sub: 1, Duration: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runner := func(c Config) (*Result, error) {
		if c.Rate == 200 {
			time.AfterFunc(700*time.Millisecond, cancel) // Ctrl-C in the second step
		}
		return Run(ctx, c)
	}
	var out bytes.Buffer
	sw, err := Sweep(ctx, cfg, []int{100, 200, 300}, time.Hour, runner, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Best != 100 || len(sw.Steps) != 2 || sw.Steps[0].Interrupted || !sw.Steps[1].Interrupted {
		t.Fatalf("best %d, %d steps:\n%s", sw.Best, len(sw.Steps), out.String())
	}
	if last := sw.Steps[1]; last.End.Sub(last.Start) >= 2*time.Second || last.Published == 0 || last.Received != last.Published {
		t.Errorf("interrupted step measured %v, published %d, received %d: want under 2s, all of what was sent",
			last.End.Sub(last.Start), last.Published, last.Received)
	}
	for _, want := range []string{"lost 0: interrupted\n", "Interrupted; highest rate with p99 under 1h0m0s until then: 100 msg/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestInterruptedWhileBrokerStoppedReading: a broker that stops reading
// blocks the publishers; Ctrl-C still ends the run soon (its clients cut
// off after the wind-down) with what it measured, marked interrupted.
func TestInterruptedWhileBrokerStoppedReading(t *testing.T) {
	testEnd := make(chan struct{})
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		_ = c.Connected("1.2")
		<-testEnd // reads nothing more: the publisher's socket fills up
	})
	t.Cleanup(func() { close(testEnd) }) // before the broker's Close, which waits for this script
	tg := h.Target()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	res, err := Run(ctx, Config{Endpoint: client.Endpoint{Host: tg.Host, Port: tg.Port}, Pub: 1, Sub: 1, Size: 10000, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("interrupted after 1s, ended after %v", d)
	if d > 20*time.Second {
		t.Errorf("the interrupted run took %v to end", d)
	}
	if !res.Interrupted || res.Published == 0 {
		t.Errorf("interrupted %v, published %d: want an interrupted run that sent messages", res.Interrupted, res.Published)
	}
}

func TestReports(t *testing.T) {
	res := run(t, Config{Pub: 2, Sub: 2, Msgs: 100, Size: 1024})
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"stomp bench: 2 publishers, 2 subscribers, 100 messages of 1 KiB to /queue/stomp-bench (queue, ack auto)",
		"STOMP 1.2", "Publishers:", "Subscribers:", "  [1]", "  [2]", "min ", "stddev",
		"Received 100 (of 100 sent); lost 0, duplicated 0", "Latency (end to end, 100 messages): p50 ", " p90 ", " p99 ", " p99.9 ", " max ",
		"msg/s", "MB/s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	var csv bytes.Buffer
	if err := res.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "second,sent,received,p50_us,p99_us,max_us\n") || strings.Count(csv.String(), "\n") < 2 {
		t.Errorf("CSV:\n%s", csv.String())
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, "a <title>", []*Result{res, res}); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	if strings.Count(h, "<svg") != 3 || strings.Count(h, `class="series"`) != 6 || !strings.Contains(h, "a &lt;title&gt;") {
		t.Errorf("HTML: %d charts, %d lines", strings.Count(h, "<svg"), strings.Count(h, `class="series"`))
	}
	for _, banned := range []string{"http://", "https://", "<script", "<link"} {
		if strings.Contains(strings.ReplaceAll(h, `xmlns="http://www.w3.org/2000/svg"`, ""), banned) {
			t.Errorf("the report must load nothing: it contains %q", banned)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Msgs: 1},
		{Pub: 1},
		{Pub: 3, Msgs: 2},
		{Sub: 1, Msgs: 1, Topic: true},
		{Pub: 1, Msgs: 1, Ack: "sometimes"},
		{Pub: -1, Msgs: 1},
		{Pub: 1, Msgs: 1, TxSize: -1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestConnectFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	_, err = Run(context.Background(), Config{Pub: 1, Msgs: 1, Endpoint: client.Endpoint{Host: "127.0.0.1", Port: port}})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("got %v", err)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 12: "12", 1234: "1,234", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{850: "850µs", 1234: "1.23ms", 45600: "45.6ms", 2500000: "2.50s"} {
		if got := us(in); got != want {
			t.Errorf("us(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestWhatGoesOnTheWire watches every frame the clients send: a
// connection of its own for each, every SEND with its run, publisher,
// sequence number and timestamp, persistent:true and a transaction when
// asked, a BEGIN and a COMMIT per TxSize messages (the last, partial one
// too), and the ACKs of each ack mode; afterwards nothing is left unacked
// in the queue.
func TestWhatGoesOnTheWire(t *testing.T) {
	ep := embedded(t)
	for _, ack := range []string{"auto", "client", "client-individual"} {
		t.Run(ack, func(t *testing.T) {
			var mu sync.Mutex
			frames := map[string]int{}
			seqs := map[string]bool{}
			var bad []string
			trace := func(d client.Direction, f *frame.Frame) {
				if d != client.Out {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				frames[f.Command]++
				if f.Command != frame.SEND {
					return
				}
				h := f.Header
				seqs[h.Get(HeaderPub)+"/"+h.Get(HeaderSeq)] = true
				if _, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64); err != nil || h.Get(HeaderRun) == "" ||
					h.Get("persistent") != "true" || h.Get(frame.Transaction) == "" {
					bad = append(bad, fmt.Sprint(h))
				}
			}
			conns := 0
			dial := func(ctx context.Context) (*client.Conn, error) {
				conns++
				return client.Dial(ctx, ep, 10*time.Second, client.Options{Trace: trace})
			}
			dest := "/queue/wire-" + ack
			res := run(t, Config{Dial: dial, Pub: 2, Sub: 3, Msgs: 205, TxSize: 10, Persistent: true,
				Ack: ack, AckEvery: 7, Destination: dest})
			if res.Received != 205 || res.Lost != 0 || res.Dups != 0 {
				t.Fatalf("received %d lost %d dups %d", res.Received, res.Lost, res.Dups)
			}
			mu.Lock()
			defer mu.Unlock()
			if conns != 5 || frames[frame.DISCONNECT] != 5 {
				t.Errorf("%d connections, %d DISCONNECTs: want one each for 2 publishers and 3 subscribers", conns, frames[frame.DISCONNECT])
			}
			if frames[frame.SEND] != 205 || len(seqs) != 205 || len(bad) > 0 {
				t.Errorf("%d SENDs, %d distinct sequence numbers; %d without a timestamp, run, persistent or transaction header, e.g. %q",
					frames[frame.SEND], len(seqs), len(bad), bad)
			}
			// 103 and 102 messages in transactions of 10: 11 each.
			if frames[frame.BEGIN] != 22 || frames[frame.COMMIT] != 22 {
				t.Errorf("%d BEGINs, %d COMMITs: want 22 each", frames[frame.BEGIN], frames[frame.COMMIT])
			}
			wantAcks := 0
			for _, s := range res.Subscribers.Clients {
				switch ack {
				case "client":
					wantAcks += int(s.Msgs+6) / 7 // every 7th, and the rest at the end
				case "client-individual":
					wantAcks += int(s.Msgs)
				}
			}
			if frames[frame.ACK] != wantAcks {
				t.Errorf("%d ACKs, want %d", frames[frame.ACK], wantAcks)
			}
			if left := run(t, Config{Endpoint: ep, Sub: 1, Msgs: 1, Destination: dest, Idle: 300 * time.Millisecond}); left.Received != 0 {
				t.Errorf("%d messages left unacked in %s", left.Received, dest)
			}
		})
	}
}
