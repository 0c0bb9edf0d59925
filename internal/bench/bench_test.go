package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/client"
)

// The tests assert counts and the shape of the reports, never timings.

func embedded(t *testing.T) client.Endpoint {
	t.Helper()
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	host, port, _ := net.SplitHostPort(b.Addr())
	return client.Endpoint{Host: host, Port: port}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	if cfg.Endpoint.Host == "" {
		cfg.Endpoint = embedded(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
			var p Progress
			res := run(t, Config{Pub: 2, Sub: 3, Msgs: 301, Size: 64, Ack: ack, AckEvery: 7, Progress: &p})
			if res.Published != 301 || res.Expected != 301 || res.Received != 301 || res.Missing != 0 {
				t.Fatalf("published %d expected %d received %d missing %d", res.Published, res.Expected, res.Received, res.Missing)
			}
			if got := p.Sent.Load(); got != 301 {
				t.Errorf("progress sent %d", got)
			}
			if got := p.Received.Load(); got != 301 {
				t.Errorf("progress received %d", got)
			}
			if n := len(res.Publishers.Clients); n != 2 {
				t.Fatalf("%d publishers", n)
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
			if res.Latency == nil || res.Latency.Count != 301 {
				t.Fatalf("latency %+v", res.Latency)
			}
			l := res.Latency
			if !(l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
				t.Errorf("percentiles out of order: %+v", l)
			}
			if res.Total == nil || res.Total.Msgs != 602 {
				t.Errorf("total %+v", res.Total)
			}
		})
	}
}

func TestTopicEverySubscriberGetsEverything(t *testing.T) {
	res := run(t, Config{Pub: 1, Sub: 2, Msgs: 50, Size: 10, Topic: true})
	if res.Config.Destination != "/topic/stomp-bench" || !res.Config.Topic {
		t.Errorf("config %+v", res.Config)
	}
	if res.Expected != 100 || res.Received != 100 {
		t.Fatalf("expected %d received %d", res.Expected, res.Received)
	}
	for _, s := range res.Subscribers.Clients {
		if s.Msgs != 50 {
			t.Errorf("%s received %d", s.Name, s.Msgs)
		}
	}
}

func TestPublishOnlyThenDrain(t *testing.T) {
	ep := embedded(t)
	res := run(t, Config{Endpoint: ep, Pub: 1, Msgs: 40, Size: 1, Destination: "/queue/drain"})
	if res.Subscribers != nil || res.Latency != nil || res.Total != nil {
		t.Errorf("publish-only run has subscriber results: %+v", res)
	}
	if res.Publishers.Total.Msgs != 40 {
		t.Errorf("published %d", res.Publishers.Total.Msgs)
	}
	res = run(t, Config{Endpoint: ep, Sub: 1, Msgs: 40, Destination: "/queue/drain"})
	if res.Received != 40 || res.Publishers != nil {
		t.Errorf("drained %d, publishers %+v", res.Received, res.Publishers)
	}
	if res.Latency == nil || res.Latency.Count != 40 {
		t.Errorf("latency from the timestamps of the earlier run: %+v", res.Latency)
	}
}

func TestLeftoversAreSkipped(t *testing.T) {
	ep := embedded(t)
	run(t, Config{Endpoint: ep, Pub: 1, Msgs: 5, Destination: "/queue/left"})
	res := run(t, Config{Endpoint: ep, Pub: 1, Sub: 1, Msgs: 10, Destination: "/queue/left"})
	if res.Received != 10 || res.Stale != 5 {
		t.Errorf("received %d stale %d, want 10 and 5", res.Received, res.Stale)
	}
}

func TestMissingMessagesEndAfterIdle(t *testing.T) {
	// Subscribers alone on an empty queue: nothing comes, and the run
	// ends after Idle with everything missing rather than hanging.
	res := run(t, Config{Sub: 1, Msgs: 3, Destination: "/queue/empty", Idle: 200 * time.Millisecond})
	if res.Received != 0 || res.Missing != 3 || res.Latency != nil {
		t.Errorf("received %d missing %d latency %+v", res.Received, res.Missing, res.Latency)
	}
}

func TestRate(t *testing.T) {
	res := run(t, Config{Pub: 1, Sub: 1, Msgs: 20, Rate: 1000})
	if res.Received != 20 {
		t.Errorf("received %d", res.Received)
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
		"STOMP 1.2", "Pub+sub:", "Publishers:", "Subscribers:", "  [1]", "  [2]", "min ", "stddev",
		"Received 100 of 100 expected", "Latency (end to end, 100 messages): p50 ", " p90 ", " p99 ", " p99.9 ", " max ",
		"msg/s", "MB/s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}

	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	for _, k := range []string{"config", "broker", "stomp_version", "published", "expected", "received", "missing",
		"publishers", "subscribers", "total", "latency_us"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, js.String())
		}
	}
	lat := m["latency_us"].(map[string]any)
	for _, k := range []string{"count", "p50", "p90", "p99", "p99_9", "max"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency lacks %q", k)
		}
	}
	pubs := m["publishers"].(map[string]any)
	if n := len(pubs["clients"].([]any)); n != 2 {
		t.Errorf("%d publisher entries", n)
	}
	c := pubs["clients"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "msgs", "bytes", "seconds", "msgs_per_sec", "mb_per_sec"} {
		if _, ok := c[k]; !ok {
			t.Errorf("client stats lack %q", k)
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
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	_, err = Run(context.Background(), Config{Pub: 1, Msgs: 1,
		Endpoint: client.Endpoint{Host: "127.0.0.1", Port: strings.TrimPrefix(addr.String(), "127.0.0.1:")}})
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
