package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/bench"
)

// The fixed-rate table: `stomp bench --rate FROM:TO:STEP --slo 10ms` on each
// broker, the way PerfTest users find a broker's usable rate.
var (
	onlyFixedRate = flag.Bool("only-fixed-rate", false, "run only the fixed-rate sweeps and replace their section in -out, keeping the rest of the file")
	sweepDuration = flag.Duration("sweep-duration", 5*time.Second, "measured time of each step of a fixed-rate sweep")
	sweepWarmup   = flag.Duration("sweep-warmup", time.Second, "warm-up before each step of a fixed-rate sweep")
	slo           = flag.Duration("slo", 10*time.Millisecond, "the p99 bound of the fixed-rate sweeps")
)

// sweepRates are the rates tried on each broker (msg/s), up to well past
// what a 2-core machine gets out of it.
var sweepRates = map[string]string{
	"rabbitmq": "200:40000:200",
	"activemq": "500:100000:500",
	"embedded": "1000:400000:1000",
}

const fixedRateStart, fixedRateEnd = "<!-- fixed-rate -->", "<!-- /fixed-rate -->"

type sweepRow struct {
	broker   *brokerSpec
	sw       *bench.SweepResult
	err      string
	load     string // load average when it started
	expected string // PerfTest-style expectation
}

// fixedRate sweeps every broker with stomp bench and returns the rows of
// the table.
//
// After ActiveMQ comes a second ActiveMQ whose STOMP connector sets
// TCP_NODELAY: ActiveMQ leaves Nagle's algorithm on by default, which
// decides its rate here (see nagleNote), so the table shows both.
func (h *harness) fixedRate(brokers []*brokerSpec) []sweepRow {
	var rows []sweepRow
	for _, b := range brokers {
		rows = append(rows, h.sweep(b))
		if b.key == "activemq" {
			nd, err := h.startActiveMQNoDelay()
			if err != nil {
				rows = append(rows, sweepRow{broker: nd, err: err.Error(), load: loadAvg()})
				continue
			}
			rows = append(rows, h.sweep(nd))
		}
	}
	return rows
}

// nagleNote explains the two ActiveMQ rows of the fixed-rate table.
const nagleNote = "ActiveMQ's STOMP connector leaves Nagle's algorithm on (`transport.tcpNoDelay` is false by default): " +
	"once the broker writes a MESSAGE while the client's TCP has not yet acknowledged the one before, it holds the frame " +
	"until the client's delayed ACK, up to 40 ms on Linux, and p99 jumps to 30-40 ms at a few thousand messages a second. " +
	"The row marked tcpNoDelay is the same broker with `?transport.tcpNoDelay=true` on its stomp connector " +
	"(`AMQ_TCP_NODELAY=1 scripts/brokers/activemq-start.sh`); RabbitMQ and the embedded broker set TCP_NODELAY by default."

// startActiveMQNoDelay starts a second ActiveMQ (its own state, ports
// 61633/61634/61636) with TCP_NODELAY on its STOMP connectors, stopped when
// the harness ends.
func (h *harness) startActiveMQNoDelay() (*brokerSpec, error) {
	b := &brokerSpec{key: "activemq", name: "ActiveMQ, tcpNoDelay", tcpNoDelay: true, host: "127.0.0.1", port: "61633", user: "admin", pass: "admin"}
	env := append(os.Environ(), "AMQ_BASE="+filepath.Join(h.tmp, "activemq-nodelay"), "AMQ_CLEAN=1", "AMQ_TCP_NODELAY=1",
		"AMQ_STOMP_PORT=61633", "AMQ_STOMP_TLS_PORT=61634", "AMQ_OPENWIRE_PORT=61636")
	run := func(script string) error {
		cmd := exec.Command("scripts/brokers/" + script)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stderr, os.Stderr
		return cmd.Run()
	}
	log.Printf("starting %s at %s", b.name, b.addr())
	if err := run("activemq-start.sh"); err != nil {
		return b, fmt.Errorf("starting it: %v", err)
	}
	h.started = append(h.started, func() { _ = run("activemq-stop.sh") })
	if err := h.server(b); err != nil {
		return b, err
	}
	// A JVM just started compiles as it goes: warm it as the first ActiveMQ
	// was by the throughput runs, or its first steps measure the JIT.
	warm := exec.Command(*stompBin, append(b.loginArgs("-U", "-W"), "bench", "--pub", "1", "--sub", "1",
		"--msgs", "200000", "--size", strconv.Itoa(bodySize), "--destination", "/queue/stomp-bench-warm")...)
	warm.Stderr = os.Stderr
	if out, err := warm.Output(); err != nil {
		return b, fmt.Errorf("warming it up: %v: %s", err, out)
	}
	return b, nil
}

// sweep runs one broker's fixed-rate sweep.
func (h *harness) sweep(b *brokerSpec) sweepRow {
	row := sweepRow{broker: b, load: loadAvg()}
	file := filepath.Join(h.tmp, "sweep-"+b.port+".json")
	args := append(b.loginArgs("-U", "-W"), "bench", "--pub", "1", "--sub", "1", "--rate", sweepRates[b.key],
		"--slo", slo.String(), "--duration", sweepDuration.String(), "--warmup", sweepWarmup.String(),
		"--size", strconv.Itoa(bodySize), "--destination", "/queue/stomp-bench-rate", "--json", file)
	log.Printf("fixed-rate sweep on %s: stomp %s", b.name, strings.Join(args, " "))
	cmd := exec.Command(*stompBin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	log.Printf("%s", out)
	if err != nil {
		row.err = err.Error()
	} else if data, err := os.ReadFile(file); err != nil {
		row.err = err.Error()
	} else {
		row.sw = &bench.SweepResult{}
		if err := json.Unmarshal(data, row.sw); err != nil {
			row.err, row.sw = err.Error(), nil
		}
	}
	return row
}

// perfTestExpectation is what PerfTest users expect of a fixed-rate run:
// latency stays flat up to about 70-80% of the rate the broker sustains
// unthrottled, then climbs steeply. pub and sub are the unthrottled
// one-publisher, one-subscriber rates (msg/s).
func perfTestExpectation(pub, sub float64) string {
	if pub <= 0 || sub <= 0 {
		return "n/a"
	}
	top := min(pub, sub)
	return fmt.Sprintf("%s-%s (70-80%% of %s unthrottled)", kilo(0.7*top), kilo(0.8*top), kilo(top))
}

// unthrottledRE reads a row of the unthrottled `stomp bench` table:
// | RabbitMQ | 38.0k | 20.9k | ...
var unthrottledRE = regexp.MustCompile(`(?m)^\| (\S+) \| ([0-9.]+)(k|M)? \| ([0-9.]+)(k|M)? \| [0-9.]+ ms \|`)

// unthrottledRates reads the unthrottled rates from a BENCHMARKS.md.
func unthrottledRates(text string) map[string][2]float64 {
	num := func(v, unit string) float64 {
		f, _ := strconv.ParseFloat(v, 64)
		return f * map[string]float64{"": 1, "k": 1e3, "M": 1e6}[unit]
	}
	out := map[string][2]float64{}
	for _, m := range unthrottledRE.FindAllStringSubmatch(text, -1) {
		out[strings.ToLower(m[1])] = [2]float64{num(m[2], m[3]), num(m[4], m[5])}
	}
	return out
}

// fixedRateSection is the table in Markdown, between markers so that
// -only-fixed-rate can replace it alone.
func fixedRateSection(rows []sweepRow) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n### Fixed rate: the highest rate with p99 under %s\n\n", fixedRateStart, *slo)
	w("`stomp bench --pub 1 --sub 1 --size %d --rate FROM:TO:STEP --slo %s --duration %s --warmup %s` on a queue, ack auto: ", bodySize, *slo, *sweepDuration, *sweepWarmup)
	w("open loop, latency from each message's intended send time (corrected for coordinated omission). ")
	w("A step passes when nothing is lost and p99 is under the bound (a publisher that falls behind shows in the latency); the sweep stops at the first step that fails. ")
	w("The PerfTest-style expectation is the rule of thumb PerfTest users go by: latency stays flat up to about 70-80%% of the rate the broker sustains unthrottled (the table above, the slower of publishing and receiving), then climbs.\n\n")
	w("| broker | highest rate, p99 < %s | p50 / p99 there | first rate over | why | PerfTest-style expectation | load average at start |\n|---|---|---|---|---|---|---|\n", *slo)
	for _, r := range rows {
		if r.sw == nil {
			w("| %s | failed: %s | | | | %s | %s |\n", r.broker.name, r.err, r.expected, r.load)
			continue
		}
		best, at, over, why := "none", "-", "-", "-"
		for _, s := range r.sw.Steps {
			ok, reason := s.Verdict(*slo)
			lat := "-"
			if s.Latency != nil {
				lat = fmt.Sprintf("%s / %s", msStr(s.Latency.P50), msStr(s.Latency.P99))
			}
			if ok {
				best, at = kilo(float64(s.Config.Rate))+" msg/s", lat
			} else {
				over, why = kilo(float64(s.Config.Rate))+" msg/s", reason
			}
		}
		w("| %s | %s | %s | %s | %s | %s | %s |\n", r.broker.name, best, at, over, why, r.expected, r.load)
	}
	w("\nMeasured on the shared 2-core machine while other work ran on it (the load average is in the table): the rates are what this box gave then, lower than on a quiet one.")
	all := true
	for _, r := range rows {
		all = all && r.sw != nil && r.sw.Best > 0
	}
	if !all {
		w(" Where a broker has no rate, it did not keep p99 under %s even at the lowest rate tried: with the 2 cores oversubscribed several times over, a process (client or broker) waits for a CPU longer than that at the 99th percentile, so such rows say more about the machine than about the broker. Rerun `go run ./scripts/bench -stomp ./stomp -only-fixed-rate` on a quiet machine for the brokers' own figures.", *slo)
	}
	for _, r := range rows {
		if r.broker.tcpNoDelay {
			w("\n\n%s", nagleNote)
			break
		}
	}
	w("\n%s\n", fixedRateEnd)
	return b.String()
}

// spliceFixedRate puts section into the report text: in place of the old
// one, or before the notes (or the run details) when there is none.
func spliceFixedRate(text, section string) string {
	if i := strings.Index(text, fixedRateStart); i >= 0 {
		if j := strings.Index(text[i:], fixedRateEnd); j >= 0 {
			return text[:i] + section + text[i+j+len(fixedRateEnd)+1:]
		}
	}
	for _, anchor := range []string{"\n### Failed runs and notes", "\n<details>"} {
		if i := strings.Index(text, anchor); i >= 0 {
			return text[:i+1] + section + text[i:]
		}
	}
	return text + "\n" + section
}
