package main

import (
	"fmt"
	"log"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The 1,000-connection row (issue 14): internal/broker's
// BenchmarkRoundTrip1000Conns, run once per round. It opens 1,000
// connections to an embedded broker in the benchmark's own process, each
// subscribed to its own queue, and has each SEND a message there and read
// it back, all at once. A stomp client process per connection would
// measure 1,000 Go runtimes starting on two cores, not the broker.
const (
	connsBench = "BenchmarkRoundTrip1000Conns"
	connsCount = 1000
	connsLabel = "1,000"
)

// connsSample is one run of the benchmark: its metrics by unit
// (roundtrips/s, p50-ms, p99-ms, ms-to-connect-all), or why it failed.
type connsSample struct {
	metrics map[string]float64
	err     string
}

// buildConnsBench compiles internal/broker's tests once, so that the rounds
// time the benchmark and not the compiler.
func (h *harness) buildConnsBench() error {
	h.connsTest = filepath.Join(h.tmp, "broker.test")
	if b, err := exec.Command("go", "test", "-c", "-o", h.connsTest, "./internal/broker").CombinedOutput(); err != nil {
		return fmt.Errorf("building internal/broker's benchmarks: %v\n%s", err, b)
	}
	return nil
}

// connsRun runs the benchmark for msgs round trips in all (msgs/1,000 per
// connection) and records its metrics.
func (h *harness) connsRun() {
	cmd := exec.Command(h.connsTest, "-test.run", "^$", "-test.bench", "^"+connsBench+"$",
		"-test.benchtime", strconv.Itoa(*msgs)+"x", "-test.timeout", runTimeout.String())
	cmd.Dir = "internal/broker"
	out, err := cmd.CombinedOutput()
	s := connsSample{}
	if err != nil {
		s.err = fmt.Sprintf("%v: %s", err, lastLine(string(out)))
	} else if s.metrics = benchMetrics(string(out), connsBench); s.metrics["roundtrips/s"] == 0 {
		s.err = "no roundtrips/s in its output: " + lastLine(string(out))
	}
	if s.err != "" {
		log.Printf("%s: %s", connsBench, s.err)
	}
	h.conns = append(h.conns, s)
}

// benchMetrics reads the "value unit" pairs of a go test -bench result line:
//
//	BenchmarkX-2   20000   106.0 ms-to-connect-all   21.21 p50-ms ...
func benchMetrics(out, name string) map[string]float64 {
	m := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
	}
	return m
}

// connsMedian is the median of one metric over the runs that succeeded.
func (h *harness) connsMedian(unit string) (float64, bool) {
	var ss []sample
	for _, c := range h.conns {
		if c.err == "" {
			ss = append(ss, sample{secs: c.metrics[unit]})
		}
	}
	return median(ss, func(s sample) float64 { return s.secs })
}

// connsSection is the report's 1,000-connection table, its method and
// every run.
func (h *harness) connsSection() string {
	if len(h.conns) == 0 {
		return ""
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("\n### %s concurrent connections (embedded broker, median of %d rounds)\n\n", connsLabel, len(h.conns))
	w("`%s` (internal/broker), once per round after the embedded broker's other workloads: %s connections\n", connsBench, connsLabel)
	w("to a broker in the benchmark's process (raw frames over loopback TCP, %d-byte bodies), each subscribed to its\n", bodySize)
	w("own queue, all at once SEND a message there and read the MESSAGE back, %d times each (%s round trips in all).\n", *msgs/connsCount, kilo(float64(*msgs)))
	w("Latency is one round trip, SEND written to MESSAGE read; with every connection waiting at once it is about\n")
	w("%s / throughput. Connect time: dialling the %s connections, CONNECT and SUBSCRIBE with a receipt, until every\n", connsLabel, connsLabel)
	w("RECEIPT is in.\n\n")
	w("| broker | connections | round trips/s | latency p50 | p99 | connect all |\n|---|---|---|---|---|---|\n")
	rt, ok := h.connsMedian("roundtrips/s")
	if !ok {
		w("| embedded | %s | failed: %s | | | |\n", connsLabel, h.conns[0].err)
	} else {
		p50, _ := h.connsMedian("p50-ms")
		p99, _ := h.connsMedian("p99-ms")
		conn, _ := h.connsMedian("ms-to-connect-all")
		w("| embedded | %s | %s | %.1f ms | %.1f ms | %.0f ms |\n", connsLabel, kilo(rt), p50, p99, conn)
	}
	var runs []string
	for i, c := range h.conns {
		if c.err != "" {
			runs = append(runs, fmt.Sprintf("run %d failed: %s", i+1, c.err))
			continue
		}
		runs = append(runs, fmt.Sprintf("%s/s, p50 %.1f ms, p99 %.1f ms, connect %.0f ms",
			kilo(c.metrics["roundtrips/s"]), c.metrics["p50-ms"], c.metrics["p99-ms"], c.metrics["ms-to-connect-all"]))
	}
	w("\nEvery run: %s.\n", strings.Join(runs, "; "))
	return b.String()
}
