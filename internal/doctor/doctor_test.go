package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

func config(tg testbroker.Target) Config {
	ep := client.Endpoint{Host: tg.Host, Port: tg.Port}
	cfg := Config{
		Dial: func(ctx context.Context, o client.Options) (*client.Conn, error) {
			return client.Dial(ctx, ep, 5*time.Second, o)
		},
		Options: client.Options{Login: tg.Login, Passcode: tg.Passcode, Vhost: "/"},
		Address: tg.Addr(),
		Host:    tg.Host,
	}
	if tg.Name == testbroker.NameEmbedded {
		// Its largest frame is checked exactly below: a bound, not a speed
		// claim, since under -race on a loaded machine the default 5 s
		// stopped the search early. The real brokers keep the default
		// (ActiveMQ takes frames up to ~59 MiB: searching that far is slow).
		cfg.FrameBudget = 2 * time.Minute
	}
	return cfg
}

// want is what each broker is known to do (what the conformance suite,
// internal/testing/conformance, shows). A missing ID is not checked.
var want = map[string]map[string]string{
	testbroker.NameEmbedded: {
		"versions":                    "1.0, 1.1, 1.2",
		"heart-beats":                 "0,0", // testbroker's embedded broker runs with heart-beats off
		"receipts":                    "yes",
		"nack":                        "requeue",
		"redelivery-limit":            "dead-letter after 7 deliveries", // --max-redeliveries 6, ActiveMQ's default
		"tx-ack":                      "redelivered",
		"browse":                      "no (would consume)",
		"selectors":                   "no (ignored)",
		"temp-queue":                  "yes, without SUBSCRIBE",
		"prefix:/queue/":              "yes, queue",
		"prefix:/topic/":              "yes, topic",
		"prefix:none":                 "yes, queue",
		"host":                        "any",
		"prefix:/exchange/amq.topic/": "yes, queue", // any name is a queue
	},
	testbroker.NameRabbitMQ: {
		"versions":                    "1.0, 1.1, 1.2",
		"receipts":                    "yes",
		"nack":                        "requeue",
		"redelivery-limit":            "no limit seen", // classic queues
		"tx-ack":                      "redelivered",
		"browse":                      "no (would consume)",
		"selectors":                   "no (ignored)",
		"temp-queue":                  "yes, without SUBSCRIBE",
		"prefix:/queue/":              "yes, queue",
		"prefix:/topic/":              "yes, topic",
		"prefix:/exchange/amq.topic/": "yes, topic",
		"prefix:/amq/queue/":          "yes (existing queues), queue",
		"host":                        "/ or none",
	},
	testbroker.NameActiveMQ: {
		"versions":         "1.0, 1.1, 1.2",
		"receipts":         "yes",
		"nack":             "dead-letter",
		"redelivery-limit": "dead-letter after 1 delivery",
		"tx-ack":           "redelivered",
		"browse":           "yes",
		"selectors":        "yes",
		"temp-queue":       "yes, needs SUBSCRIBE",
		"prefix:/queue/":   "yes, queue",
		"prefix:/topic/":   "yes, topic",
		"host":             "any",
	},
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	for _, tg := range testbroker.All(t) {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			rep, err := Run(context.Background(), config(tg))
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			var table bytes.Buffer
			if err := rep.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s in %v:\n%s", tg.Name, took.Round(time.Millisecond), table.String())
			for id, w := range want[tg.Name] {
				r, ok := rep.Get(id)
				if !ok {
					t.Errorf("no %s result", id)
					continue
				}
				if r.Result != w {
					t.Errorf("%s: %q (%s), want %q", id, r.Result, r.Detail, w)
				}
			}
			if tg.Name == testbroker.NameEmbedded {
				// broker.Config's default limit: 8 MiB for headers and body.
				r, _ := rep.Get("max-frame")
				if !strings.HasPrefix(r.Result, "83") || !strings.Contains(r.Result, "(8.00 MiB)") {
					t.Errorf("max-frame %q (%s), want just under 8 MiB", r.Result, r.Detail)
				}
			}
			var js bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != len(rep.Results) {
				t.Errorf("JSON does not round-trip (%v): %s", err, js.String())
			}
		})
	}
}

// TestDoctorLeavesNothing: after a run, the queues the probes sent to
// hold no messages: each probe consumes what it sent.
func TestDoctorLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, tg := range testbroker.All(t) {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			cfg := config(tg)
			cfg.Skip = []string{"max-frame", "versions", "host"}
			var mu sync.Mutex
			queues := map[string]bool{}
			cfg.sentTo = func(dest string) {
				mu.Lock()
				defer mu.Unlock()
				if strings.HasPrefix(dest, "/queue/") {
					queues[dest] = true
				}
			}
			if _, err := Run(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			if len(queues) < 5 {
				t.Fatalf("only %d queues seen: %v", len(queues), queues)
			}
			ep := client.Endpoint{Host: tg.Host, Port: tg.Port}
			c, err := client.Dial(context.Background(), ep, 5*time.Second, cfg.Options)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			p := &pconn{d: &Doctor{cfg: cfg}, c: c}
			p.d.cfg.setDefaults()
			n := 0
			for q := range queues {
				n++
				if err := p.subscribe(context.Background(), q, strconv.Itoa(n), "client-individual"); err != nil {
					t.Fatal(err)
				}
			}
			left, err := p.collect(context.Background(), time.Second, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range left {
				t.Errorf("left in %s: %q", m.Header.Get("destination"), m.Body)
			}
		})
	}
}

func TestDoctorCannotConnect(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens there now
	cfg := config(testbroker.Target{Host: "127.0.0.1", Port: strconv.Itoa(addr.Port)})
	_, err = Run(context.Background(), cfg)
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ConnectError", err)
	}
}

// TestDoctorPinned10: with the user's -S 1.0 the probes that need 1.1 say
// so instead of failing.
func TestDoctorPinned10(t *testing.T) {
	t.Parallel()
	cfg := config(testbroker.Embedded(t))
	cfg.Options.Versions = []string{"1.0"}
	cfg.Skip = []string{"max-frame", "host", "versions"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != "1.0" {
		t.Errorf("version %q, want 1.0", rep.Version)
	}
	for id, want := range map[string]string{"heart-beats": "n/a", "nack": "n/a", "tx-ack": "redelivered", "receipts": "yes"} {
		if r, _ := rep.Get(id); r.Result != want {
			t.Errorf("%s: %q (%s), want %q", id, r.Result, r.Detail, want)
		}
	}
}

// TestTableShowsBrokerTextVisibly: the table goes to a terminal, so the
// broker's texts in it (a server header, an ERROR message) show their
// control characters as visible escapes; the JSON report keeps them.
func TestTableShowsBrokerTextVisibly(t *testing.T) {
	rep := &Report{Results: []Result{
		{ID: "server", Feature: "server", Result: "evil\x1b]0;pwned\x07/1.0", Detail: "127.0.0.1:61613"},
		{ID: "receipts", Feature: "receipts", Result: "no", Detail: "SEND with receipt: ERROR \x1b[2Jgone\x9b"},
	}}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"evil^[]0;pwned^G/1.0", "ERROR ^[[2Jgone\uFFFD"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	if strings.ContainsAny(table.String(), "\x1b\x07") {
		t.Errorf("control characters reached the table: %q", table.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Results[0].Result != rep.Results[0].Result {
		t.Errorf("the JSON report changed the server header: %q (%v)", back.Results, err)
	}
}
