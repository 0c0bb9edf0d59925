// Command bench is the harness behind `make bench`: it runs stomp, stomp.py's
// CLI and a minimal native go-stomp program (scripts/bench/native) on the
// same workloads against RabbitMQ, ActiveMQ and stomp's embedded broker, in
// alternation over several rounds, and writes the medians, the ratios and
// the targets they are held to to BENCHMARKS.md, with the machine it ran on.
//
// It is not part of `make test`: it takes minutes and its numbers depend on
// the machine. Brokers that are not running are started with
// scripts/ci-brokers.sh (and stopped again afterwards); the embedded broker
// runs as `stomp serve` in its own process, so that it is not counted in the
// client's memory.
//
//	go run ./scripts/bench -stomp ./stomp -msgs 100000 -rounds 3 -out BENCHMARKS.md
//	go run ./scripts/bench -stomp ./stomp -only-fixed-rate   # just the fixed-rate table
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stomp-cli/stomp/internal/bench"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

var (
	stompBin   = flag.String("stomp", "./stomp", "the stomp binary to measure")
	python     = flag.String("python", "/usr/bin/python3", "the Python that has stomp.py (python3-stomp)")
	msgs       = flag.Int("msgs", 100000, "messages per throughput run")
	rounds     = flag.Int("rounds", 5, "rounds; every client runs every workload once per round, in rotating order")
	startups   = flag.Int("startup-rounds", 10, "rounds of the start-up measurements")
	rssMsgs    = flag.Int("rss-msgs", 1000000, "messages for the memory runs on the embedded broker (stomp -L and send --lines at this count and a tenth of it, and a 100 MB sendfile; 0 skips them)")
	brokerList = flag.String("brokers", "rabbitmq,activemq,embedded", "brokers to measure")
	out        = flag.String("out", "BENCHMARKS.md", "report to write")
	runTimeout = flag.Duration("timeout", 3*time.Minute, "longest a single run may take")
	bodySize   = 100
)

type brokerSpec struct {
	key, name  string
	host, port string
	user, pass string
	server     string // CONNECTED server header, read at start
	tcpNoDelay bool   // a broker started with TCP_NODELAY where its default is off
}

func (b *brokerSpec) addr() string { return net.JoinHostPort(b.host, b.port) }

func (b *brokerSpec) loginArgs(userFlag, passFlag string) []string {
	a := []string{"-H", b.host, "-P", b.port}
	if b.user != "" {
		a = append(a, userFlag, b.user, passFlag, b.pass)
	}
	return a
}

// Clients.
const (
	cStomp  = "stomp"
	cPy     = "stomp.py"
	cNative = "go-stomp"
)

// sample is one timed run.
type sample struct {
	secs  float64
	rssKB int64
	err   string
}

type key struct{ broker, workload, client string }

// goStompCINote says why go-stomp does not run recv-ci on the embedded broker.
const goStompCINote = "go-stomp `recv-ci` is not run on the embedded broker: there go-stomp stalls and fails with " +
	"\"msg send timeout\" after 10 s. Its one processLoop goroutine both hands MESSAGEs to the subscription " +
	"channel and takes frames to write; with a broker that delivers faster than the program acks, " +
	"the program blocks in Ack (write channel) while processLoop blocks on the full subscription channel."

type harness struct {
	loadAvg  string // at the start
	tmp      string
	native   string
	body     string
	results  map[key][]sample
	notes    []string
	started  []func()
	sendFile string
	lines    string // msgs lines of the body, for send --lines
	empty    string

	connsTest string        // internal/broker's compiled tests, for the 1,000-connection row
	conns     []connsSample // its runs, one per round
}

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	start := time.Now()
	abs, err := filepath.Abs(*stompBin)
	if err != nil {
		return err
	}
	*stompBin = abs
	if _, err := os.Stat(*stompBin); err != nil {
		return fmt.Errorf("no stomp binary at %s: run make build first (%v)", *stompBin, err)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return errors.New("/usr/bin/time is missing: apt-get install time")
	}
	tmp, err := os.MkdirTemp("", "stomp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	h := &harness{tmp: tmp, results: map[key][]sample{}, loadAvg: loadAvg()}
	defer h.stopAll()

	h.native = filepath.Join(tmp, "native")
	log.Printf("building the native go-stomp client")
	if b, err := exec.Command("go", "build", "-o", h.native, "./scripts/bench/native").CombinedOutput(); err != nil {
		return fmt.Errorf("building scripts/bench/native: %v\n%s", err, b)
	}
	h.body = "BENCH" + strings.Repeat("x", bodySize-5)
	h.sendFile = filepath.Join(tmp, "send.txt")
	var script bytes.Buffer
	for i := 0; i < *msgs; i++ {
		script.WriteString("send /queue/stomp-bench-send " + h.body + "\n")
	}
	if err := os.WriteFile(h.sendFile, script.Bytes(), 0o644); err != nil {
		return err
	}
	h.lines = filepath.Join(tmp, "lines.txt")
	if err := os.WriteFile(h.lines, []byte(strings.Repeat(h.body+"\n", *msgs)), 0o644); err != nil {
		return err
	}
	h.empty = filepath.Join(tmp, "empty.txt")
	if err := os.WriteFile(h.empty, nil, 0o644); err != nil {
		return err
	}

	brokers, err := h.startBrokers(strings.Split(*brokerList, ","))
	if err != nil {
		return err
	}
	if *onlyFixedRate {
		old, err := os.ReadFile(*out)
		if err != nil {
			return fmt.Errorf("-only-fixed-rate updates an existing report: %w", err)
		}
		rows := h.fixedRate(brokers)
		rates := unthrottledRates(string(old))
		for i := range rows {
			r := rates[rows[i].broker.key]
			rows[i].expected = perfTestExpectation(r[0], r[1])
		}
		if err := os.WriteFile(*out, []byte(spliceFixedRate(string(old), fixedRateSection(rows))), 0o644); err != nil {
			return err
		}
		log.Printf("updated the fixed-rate section of %s in %s", *out, time.Since(start).Round(time.Second))
		return nil
	}
	for _, b := range brokers {
		if b.key == "embedded" {
			h.notes = append(h.notes, goStompCINote)
			if err := h.buildConnsBench(); err != nil {
				return err
			}
		}
	}

	// Start-up: broker-independent --version, then connect+disconnect.
	log.Printf("start-up: %d rounds", *startups)
	for r := 0; r < *startups; r++ {
		h.rotate(r, []string{cStomp, cPy}, func(c string) {
			args := map[string][]string{cStomp: {*stompBin, "--version"}, cPy: {*python, "-m", "stomp", "--version"}}[c]
			h.record(key{"-", "version", c}, h.quick(args))
		})
		for _, b := range brokers {
			h.rotate(r, []string{cStomp, cPy, cNative}, func(c string) {
				h.record(key{b.key, "connect", c}, h.quick(h.connectArgs(b, c)))
			})
		}
	}

	for r := 0; r < *rounds; r++ {
		for _, b := range brokers {
			log.Printf("round %d/%d on %s", r+1, *rounds, b.name)
			h.rotate(r, []string{cStomp, cPy, cNative}, func(c string) { h.sendRun(b, c, "send") })
			h.sendRun(b, cStomp, "send-lines")
			h.rotate(r, []string{cStomp, cPy, cNative}, func(c string) { h.recvRun(b, c, "auto") })
			h.recvRun(b, cStomp, "") // --count's default: client mode, so extras go back to the queue
			h.rotate(r, []string{cStomp, cNative}, func(c string) {
				if c == cNative && b.key == "embedded" {
					return // see goStompCINote
				}
				h.recvRun(b, c, "client-individual")
			})
			if b.key == "embedded" {
				h.connsRun()
			}
		}
	}

	for _, b := range brokers {
		if b.key == "embedded" && *rssMsgs > 0 {
			if err := h.memoryRuns(b); err != nil {
				return err
			}
		}
	}

	// The bench command's engine, one run per broker, for its latency figures.
	engine := map[string]*bench.Result{}
	for _, b := range brokers {
		log.Printf("stomp bench engine on %s", b.name)
		res, err := bench.Run(context.Background(), bench.Config{
			Endpoint: client.Endpoint{Host: b.host, Port: b.port},
			Client:   client.Options{Login: b.user, Passcode: b.pass, Vhost: "/"},
			Pub:      1, Sub: 1, Msgs: *msgs, Size: bodySize, Destination: "/queue/stomp-bench-engine",
		})
		if err != nil {
			h.notes = append(h.notes, fmt.Sprintf("stomp bench on %s failed: %v", b.name, err))
			continue
		}
		engine[b.key] = res
	}

	rows := h.fixedRate(brokers)
	for i := range rows {
		if r := engine[rows[i].broker.key]; r != nil && r.Publishers != nil && r.Subscribers != nil {
			rows[i].expected = perfTestExpectation(r.Publishers.Total.MsgsPerSec, r.Subscribers.Total.MsgsPerSec)
		}
	}

	report := spliceFixedRate(h.report(brokers, engine, time.Since(start)), fixedRateSection(rows))
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s in %s", *out, time.Since(start).Round(time.Second))
	return nil
}

// rotate runs f for every client, starting with a different one each round.
func (h *harness) rotate(round int, clients []string, f func(string)) {
	for i := range clients {
		f(clients[(i+round)%len(clients)])
	}
}

func (h *harness) record(k key, s sample) {
	if s.err != "" {
		log.Printf("%s %s %s: %s", k.broker, k.workload, k.client, s.err)
	}
	h.results[k] = append(h.results[k], s)
}

func (h *harness) connectArgs(b *brokerSpec, c string) []string {
	switch c {
	case cStomp:
		return append(append([]string{*stompBin}, b.loginArgs("-U", "-W")...), "-F", h.empty)
	case cPy:
		return append(append([]string{*python, "-m", "stomp"}, b.loginArgs("-U", "-W")...), "-F", h.empty)
	default:
		return append(h.nativeArgs(b), "connect")
	}
}

func (h *harness) nativeArgs(b *brokerSpec) []string {
	a := []string{h.native, "-addr", b.addr()}
	if b.user != "" {
		a = append(a, "-user", b.user, "-pass", b.pass)
	}
	return a
}

// quick times a short command directly (no /usr/bin/time in between, whose
// own start would count), then runs it again under /usr/bin/time -v for its
// peak RSS: wait4's rusage of a child the harness starts itself would also
// count the harness's own memory from before exec.
func (h *harness) quick(args []string) sample {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	t := time.Now()
	err := cmd.Run()
	d := time.Since(t)
	s := sample{secs: d.Seconds()}
	if err != nil {
		s.err = err.Error()
		return s
	}
	m, _ := h.timed(args, false, 0)
	s.rssKB = m.rssKB
	return s
}

// timed runs args under /usr/bin/time -v. When count is set it reads the
// command's output and counts the lines that are a benchmark body; with
// killAt it stops the command once it saw that many (stomp.py -L never
// exits by itself) and the time is taken at that line.
func (h *harness) timed(args []string, count bool, killAt int) (s sample, lines int) {
	return h.timedTo(args, count, killAt, false, "")
}

// timedWithInput is timed with the file at path as standard input.
func (h *harness) timedWithInput(args []string, path string) sample {
	s, _ := h.timedTo(args, false, 0, false, path)
	return s
}

// timedToFile is timed with the command's output going to a file, counted
// after it exits: a pipe would make the harness, reading it, compete with
// the client and the broker for the CPU at every message.
func (h *harness) timedToFile(args []string) (s sample, lines int) {
	return h.timedTo(args, true, 0, true, "")
}

func (h *harness) timedTo(args []string, count bool, killAt int, toFile bool, stdin string) (s sample, lines int) {
	ctx, cancel := context.WithTimeout(context.Background(), *runTimeout)
	defer cancel()
	tf := filepath.Join(h.tmp, "time.txt")
	os.Remove(tf)
	cmd := exec.Command("/usr/bin/time", append([]string{"-v", "-o", tf}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if stdin != "" {
		in, err := os.Open(stdin)
		if err != nil {
			return sample{err: err.Error()}, 0
		}
		defer in.Close()
		cmd.Stdin = in
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var stdout io.ReadCloser
	outPath := filepath.Join(h.tmp, "out.txt")
	if toFile {
		f, err := os.Create(outPath)
		if err != nil {
			return sample{err: err.Error()}, 0
		}
		defer f.Close()
		cmd.Stdout = f
	} else if count {
		p, err := cmd.StdoutPipe()
		if err != nil {
			return sample{err: err.Error()}, 0
		}
		stdout = p
	}
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{err: err.Error()}, 0
	}
	stop := context.AfterFunc(ctx, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer stop()
	var at time.Duration
	killed := false
	if count && !toFile {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if sc.Text() == h.body {
				lines++
				if killAt > 0 && lines == killAt {
					at = time.Since(t)
					killed = true
					killChild(cmd.Process.Pid)
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}
	err := cmd.Wait()
	if !killed {
		at = time.Since(t)
	}
	if toFile {
		if f, ferr := os.Open(outPath); ferr == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64*1024), 1<<20)
			for sc.Scan() {
				if sc.Text() == h.body {
					lines++
				}
			}
			f.Close()
		}
		os.Remove(outPath)
	}
	s.secs = at.Seconds()
	if b, rerr := os.ReadFile(tf); rerr == nil {
		if m := regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`).FindSubmatch(b); m != nil {
			s.rssKB, _ = strconv.ParseInt(string(m[1]), 10, 64)
		}
	}
	switch {
	case ctx.Err() != nil:
		s.err = fmt.Sprintf("timed out after %v", *runTimeout)
	case err != nil && !killed:
		s.err = fmt.Sprintf("%v: %s", err, lastLine(stderr.String()))
	}
	return s, lines
}

// killChild ends the command /usr/bin/time runs (not time itself, so that
// it still reports the child's peak RSS).
func killChild(timePID int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", timePID, timePID))
	if err != nil {
		_ = syscall.Kill(-timePID, syscall.SIGTERM)
		return
	}
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// drain empties dest and says how many messages it held.
func (h *harness) drain(b *brokerSpec, dest string) (int, error) {
	cmd := exec.Command(h.native, append(h.nativeArgs(b)[1:], "drain", dest, "700ms")...)
	outb, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("draining %s: %v", dest, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(outb)))
}

// prefill puts n messages on dest with the native client (not timed).
func (h *harness) prefill(b *brokerSpec, dest string, n int) error {
	if _, err := h.drain(b, dest); err != nil {
		return err
	}
	cmd := exec.Command(h.native, append(h.nativeArgs(b)[1:], "send", dest, strconv.Itoa(n), h.body)...)
	if outb, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("prefilling %s: %v %s", dest, err, outb)
	}
	return nil
}

// sendRun times one client sending msgs messages, then checks by draining
// the queue that the broker has every one of them. Workload "send-lines"
// is stomp send --lines with the messages on standard input.
func (h *harness) sendRun(b *brokerSpec, c, workload string) {
	const dest = "/queue/stomp-bench-send"
	if _, err := h.drain(b, dest); err != nil {
		h.record(key{b.key, workload, c}, sample{err: err.Error()})
		return
	}
	var args []string
	stdin := ""
	switch {
	case workload == "send-lines":
		args = append(append([]string{*stompBin}, b.loginArgs("-U", "-W")...), "send", dest, "--lines")
		stdin = h.lines
	case c == cStomp:
		args = append(append([]string{*stompBin}, b.loginArgs("-U", "-W")...), "-F", h.sendFile)
	case c == cPy:
		args = append(append([]string{*python, "-m", "stomp"}, b.loginArgs("-U", "-W")...), "-F", h.sendFile)
	default:
		args = append(h.nativeArgs(b), "send", dest, strconv.Itoa(*msgs), h.body)
	}
	s := h.timedWithInput(args, stdin)
	// Brokers may still be enqueueing what a client that does not wait for
	// a receipt (stomp.py) has written: give them a moment.
	time.Sleep(300 * time.Millisecond)
	got, err := h.drain(b, dest)
	switch {
	case err != nil:
		s.err = err.Error()
	case got != *msgs && s.err == "":
		s.err = fmt.Sprintf("the broker got %d of %d messages", got, *msgs)
	}
	h.record(key{b.key, workload, c}, s)
}

// recvRun times one client receiving msgs messages from a prefilled queue.
func (h *harness) recvRun(b *brokerSpec, c, ack string) {
	const dest = "/queue/stomp-bench-recv"
	w := map[string]string{"auto": "recv", "client-individual": "recv-ci", "": "recv-count"}[ack]
	if err := h.prefill(b, dest, *msgs); err != nil {
		h.record(key{b.key, w, c}, sample{err: err.Error()})
		return
	}
	n := strconv.Itoa(*msgs)
	var s sample
	var lines int
	switch c {
	case cStomp:
		args := append(append([]string{*stompBin}, b.loginArgs("-U", "-W")...), "-L", dest, "--count", n)
		if ack != "" {
			args = append(args, "--ack", ack)
		}
		s, lines = h.timedToFile(args)
	case cPy:
		s, lines = h.timed(append(append([]string{*python, "-m", "stomp"}, b.loginArgs("-U", "-W")...), "-L", dest), true, *msgs)
	default:
		s, _ = h.timed(append(h.nativeArgs(b), "-ack", ack, "recv", dest, n), false, 0)
		lines = *msgs
	}
	if s.err == "" && lines != *msgs {
		s.err = fmt.Sprintf("printed %d of %d messages", lines, *msgs)
	}
	h.record(key{b.key, w, c}, s)
}

// Memory workloads, each at rss-msgs/10 and rss-msgs messages: peak RSS
// must not grow with the count.
const (
	memListen   = "rss-listen"   // stomp -L --count N, the queue prefilled
	memLines    = "rss-lines"    // stomp send --lines, N lines on standard input
	memSendfile = "rss-sendfile" // stomp -F with one sendfile of fileMB
	fileMB      = 100
)

func memKey(workload string, n int) key {
	return key{"embedded", fmt.Sprintf("%s-%d", workload, n), cStomp}
}

// memoryRuns measures stomp's peak RSS where it must stay flat (receiving
// and sending many messages) and where it must stay near the data's size
// (a large sendfile), rounds times each.
func (h *harness) memoryRuns(b *brokerSpec) error {
	small := *rssMsgs / 10
	lines := map[int]string{}
	for _, n := range []int{small, *rssMsgs} {
		lines[n] = filepath.Join(h.tmp, fmt.Sprintf("lines-%d.txt", n))
		if err := os.WriteFile(lines[n], []byte(strings.Repeat(h.body+"\n", n)), 0o644); err != nil {
			return err
		}
	}
	file := filepath.Join(h.tmp, "file.bin")
	data := make([]byte, fileMB*1000*1000)
	if _, err := rand.Read(data); err != nil {
		return err
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return err
	}
	script := filepath.Join(h.tmp, "sendfile.txt")
	if err := os.WriteFile(script, []byte("sendfile /topic/stomp-bench-file "+file+"\n"), 0o644); err != nil {
		return err
	}
	login := b.loginArgs("-U", "-W")
	for r := 0; r < *rounds; r++ {
		log.Printf("memory round %d/%d on %s", r+1, *rounds, b.name)
		for _, n := range []int{small, *rssMsgs} {
			const dest = "/queue/stomp-bench-rss"
			if err := h.prefill(b, dest, n); err != nil {
				h.record(memKey(memListen, n), sample{err: err.Error()})
			} else {
				s, got := h.timedToFile(append(append([]string{*stompBin}, login...), "-L", dest, "--count", strconv.Itoa(n)))
				if s.err == "" && got != n {
					s.err = fmt.Sprintf("printed %d of %d messages", got, n)
				}
				h.record(memKey(memListen, n), s)
			}
			// A topic nobody listens to: the broker keeps nothing, and
			// stomp still waits for its receipt before exiting.
			s := h.timedWithInput(append(append([]string{*stompBin}, login...), "send", "/topic/stomp-bench-lines", "--lines"), lines[n])
			h.record(memKey(memLines, n), s)
		}
		s, _ := h.timed(append(append([]string{*stompBin}, login...), "-F", script), false, 0)
		h.record(memKey(memSendfile, fileMB), s)
	}
	return nil
}

// startBrokers makes sure every broker answers, starting RabbitMQ and
// ActiveMQ with scripts/ci-brokers.sh and the embedded one with stomp serve.
func (h *harness) startBrokers(keys []string) ([]*brokerSpec, error) {
	all := map[string]*brokerSpec{
		"rabbitmq": {key: "rabbitmq", name: "RabbitMQ", host: "127.0.0.1", port: "61613", user: "guest", pass: "guest"},
		"activemq": {key: "activemq", name: "ActiveMQ", host: "127.0.0.1", port: "61623", user: "admin", pass: "admin"},
		"embedded": {key: "embedded", name: "embedded", host: "127.0.0.1"},
	}
	var list []*brokerSpec
	ciStarted := false
	for _, k := range keys {
		b := all[strings.TrimSpace(k)]
		if b == nil {
			return nil, fmt.Errorf("unknown broker %q: use rabbitmq, activemq, embedded", k)
		}
		if b.key == "embedded" {
			if err := h.startEmbedded(b); err != nil {
				return nil, err
			}
		} else if h.serverRetry(b) != nil && !ciStarted {
			log.Printf("%s is not running: scripts/ci-brokers.sh start", b.name)
			cmd := exec.Command("scripts/ci-brokers.sh", "start")
			cmd.Env = append(os.Environ(), "STOMP_CI_SKIP_INSTALL="+os.Getenv("STOMP_CI_SKIP_INSTALL"))
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("starting the brokers: %w", err)
			}
			ciStarted = true
			h.started = append(h.started, func() {
				c := exec.Command("scripts/ci-brokers.sh", "stop")
				c.Stdout, c.Stderr = os.Stderr, os.Stderr
				_ = c.Run()
			})
		}
		if err := h.server(b); err != nil {
			return nil, fmt.Errorf("%s at %s does not answer: %v", b.name, b.addr(), err)
		}
		log.Printf("%s: %s at %s", b.name, b.server, b.addr())
		list = append(list, b)
	}
	return list, nil
}

// serverRetry is server, tried a few times: on a loaded machine a running
// broker can be slow to answer, and starting the brokers would also stop
// them at the end, under whoever else uses them.
func (h *harness) serverRetry(b *brokerSpec) error {
	var err error
	for i := 0; i < 4; i++ {
		if err = h.server(b); err == nil {
			return nil
		}
		log.Printf("%s at %s does not answer (%v): trying again", b.name, b.addr(), err)
		time.Sleep(3 * time.Second)
	}
	return err
}

func (h *harness) server(b *brokerSpec) error {
	outb, err := exec.Command(h.native, append(h.nativeArgs(b)[1:], "server")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(outb)))
	}
	b.server = strings.TrimSpace(string(outb))
	return nil
}

func (h *harness) startEmbedded(b *brokerSpec) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	_, b.port, _ = net.SplitHostPort(l.Addr().String())
	l.Close()
	// Frames up to 256 MiB: the memory runs send a 100 MB file.
	cmd := exec.Command(*stompBin, "serve", "--listen", b.addr(), "--max-frame-size", strconv.Itoa(256<<20))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting stomp serve: %w", err)
	}
	h.started = append(h.started, func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", b.addr()); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("stomp serve did not start listening")
}

func (h *harness) stopAll() {
	for i := len(h.started) - 1; i >= 0; i-- {
		h.started[i]()
	}
}

// median of the successful samples; ok is false when there are none.
func median(ss []sample, f func(sample) float64) (float64, bool) {
	var v []float64
	for _, s := range ss {
		if s.err == "" {
			v = append(v, f(s))
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

func failures(ss []sample) int {
	n := 0
	for _, s := range ss {
		if s.err != "" {
			n++
		}
	}
	return n
}

func (h *harness) report(brokers []*brokerSpec, engine map[string]*bench.Result, took time.Duration) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	secs := func(s sample) float64 { return s.secs }
	rss := func(s sample) float64 { return float64(s.rssKB) }
	rate := func(k key) (float64, bool) {
		m, ok := median(h.results[k], secs)
		if !ok || m == 0 {
			return 0, false
		}
		return float64(*msgs) / m, true
	}
	cell := func(k key) string {
		r, ok := rate(k)
		if !ok {
			if len(h.results[k]) == 0 {
				return "n/a"
			}
			return "failed"
		}
		mem, _ := median(h.results[k], rss)
		s := fmt.Sprintf("%s msg/s, %.1f MB", kilo(r), mem/1024)
		if f := failures(h.results[k]); f > 0 {
			s += fmt.Sprintf(" (%d of %d runs failed)", f, len(h.results[k]))
		}
		return s
	}

	w("# Benchmarks\n\n")
	w("Written by `make bench` (`go run ./scripts/bench`) on %s; rerun it rather than editing this file.\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	w("This run: %d messages of %d bytes per throughput run, %d rounds, %d start-up rounds; it took %s.\n\n",
		*msgs, bodySize, *rounds, *startups, took.Round(time.Second))
	w("## Machine\n\n")
	for _, l := range machine(brokers) {
		w("- %s\n", l)
	}
	w("- Load average (1, 5, 15 min) at the start: %s; at the end: %s\n", h.loadAvg, loadAvg())
	w("\n## Method\n\n")
	w(`Every client runs every workload once per round, the clients in a different order each round
(alternation), and the tables show the median of the rounds. Clients, brokers and the harness share
the machine, so on a small one the broker is usually the limit and ratios near 1 are a tie.

- **send**: ` + "`stomp -F`" + ` and stomp.py's ` + "`-F`" + ` run a script of N ` + "`send /queue/stomp-bench-send <body>`" + ` lines;
  go-stomp sends N messages with ` + "`conn.Send`" + ` then ` + "`Disconnect`" + `. Time is the whole process, start to exit.
  stomp waits for the DISCONNECT receipt, so its exit proves delivery; stomp.py exits without one. After
  every run the harness drains the queue and fails the run unless all N messages are there.
- **send-lines**: ` + "`stomp send /queue/stomp-bench-send --lines`" + ` with the N bodies on standard input (from a file),
  compared with the same go-stomp runs; checked by draining like send.
- **recv**: the queue is prefilled with N messages (go-stomp, not timed), then ` + "`stomp -L DEST --count N --ack auto`" + `
  (exits by itself, time to exit; output to a file, counted afterwards), stomp.py ` + "`-L DEST`" + ` (never
  exits: its output goes to a pipe the harness reads, and the time is taken when the N-th message is
  printed, then it is killed) and go-stomp (subscribe, receive N, disconnect; prints nothing). A run that
  printed fewer than N messages fails. Through a pipe instead of a file stomp -L is about 10%% slower on a
  2-core machine: it writes each message with its own write(2), and each one wakes the reader.
- **recv-count**: ` + "`stomp -L DEST --count N`" + ` without ` + "`--ack`" + `: stomp then takes the messages in client mode and
  acks cumulatively only those it printed, so any the broker sent past N go back to the queue. The
  broker pays for tracking unacked messages (RabbitMQ most). Compared with go-stomp's auto-mode recv runs.
- **recv-ci**: the same with ` + "`--ack client-individual`" + ` (stomp acks each message after writing it; go-stomp
  acks each one). stomp.py's CLI has no ack option for ` + "`-L`" + `.
- **start-up**: ` + "`stomp --version`" + ` against ` + "`python3 -m stomp --version`" + `; connect+disconnect is ` + "`-F`" + ` with an
  empty script (go-stomp: ` + "`Dial`" + ` + ` + "`Disconnect`" + `). Timed directly, not under /usr/bin/time.
- **Memory**: peak RSS of the client process, from ` + "`/usr/bin/time -v`" + ` (start-up rows: wait4's rusage,
  the same figure). The embedded broker runs as a separate ` + "`stomp serve`" + ` process, so it is not counted.
  The memory runs (embedded broker, every round): ` + "`stomp -L --count N`" + ` on a prefilled queue and
  ` + "`stomp send --lines`" + ` of N lines to a topic nobody listens to, each at N/10 and N messages, so a peak
  that grew with the count would show; and ` + "`stomp -F`" + ` with one ` + "`sendfile`" + ` of a 100 MB random file.
  Most of stomp's RSS is its own binary (about 8 MB of its pages are mapped: the kernel maps the pages
  around each one touched) and the Go runtime; listeners and ` + "`--lines`" + ` collect garbage at 50%% heap
  growth (GOGC=50 unless GOGC is set).

`)
	w("## Results\n\n")
	w("Medians; throughput in messages per second (k = 1,000) and the client's peak RSS.\n\n")

	type check struct {
		what, target string
		ratio        float64
		ok, have     bool
	}
	var checks []check
	ratioCheck := func(what string, num, den key, target float64, label string) {
		a, ok1 := rate(num)
		d, ok2 := rate(den)
		c := check{what: what, target: fmt.Sprintf(">= %.1fx %s", target, label)}
		if ok1 && ok2 {
			c.ratio, c.have = a/d, true
			c.ok = c.ratio >= target
		}
		checks = append(checks, c)
	}

	w("| broker | workload | stomp | stomp.py | go-stomp | stomp / go-stomp | stomp / stomp.py |\n")
	w("|---|---|---|---|---|---|---|\n")
	for _, br := range brokers {
		for _, wl := range []string{"send", "send-lines", "recv", "recv-count", "recv-ci"} {
			ks, kp, kn := key{br.key, wl, cStomp}, key{br.key, wl, cPy}, key{br.key, wl, cNative}
			switch wl {
			case "recv-count":
				kn = key{br.key, "recv", cNative} // the same go-stomp runs as recv
			case "send-lines":
				kn = key{br.key, "send", cNative}
			}
			ratio := func(a, d key) string {
				x, ok1 := rate(a)
				y, ok2 := rate(d)
				if !ok1 || !ok2 {
					return "-"
				}
				return fmt.Sprintf("%.2fx", x/y)
			}
			label := map[string]string{"send": "`-F` send", "send-lines": "`send --lines`", "recv": "`-L` receive", "recv-count": "`-L` receive, --count default (client mode)",
				"recv-ci": "`-L` receive, client-individual"}[wl]
			w("| %s | %s %s | %s | %s | %s | %s | %s |\n", br.name, label, kilo(float64(*msgs)),
				cell(ks), cell(kp), cell(kn), ratio(ks, kn), ratio(ks, kp))
		}
	}

	w("\n### Start-up\n\n")
	w("| measure | stomp | stomp.py | go-stomp | stomp / stomp.py |\n|---|---|---|---|---|\n")
	ms := func(k key) (float64, string) {
		m, ok := median(h.results[k], secs)
		if !ok {
			return 0, "n/a"
		}
		mem, _ := median(h.results[k], rss)
		return m, fmt.Sprintf("%.1f ms, %.1f MB", m*1000, mem/1024)
	}
	row := func(label string, ks, kp, kn key, checkWhat string) {
		a, sa := ms(ks)
		p, sp := ms(kp)
		_, sn := ms(kn)
		r := "-"
		c := check{what: checkWhat, target: "<= 0.15x stomp.py"}
		if a > 0 && p > 0 {
			r = fmt.Sprintf("%.2fx", a/p)
			c.ratio, c.have, c.ok = a/p, true, a/p <= 0.15
		}
		checks = append(checks, c)
		w("| %s | %s | %s | %s | %s |\n", label, sa, sp, sn, r)
	}
	row("`--version`", key{"-", "version", cStomp}, key{"-", "version", cPy}, key{"-", "version", cNative}, "`stomp --version` time")
	for _, br := range brokers {
		row("connect + disconnect, "+br.name, key{br.key, "connect", cStomp}, key{br.key, "connect", cPy}, key{br.key, "connect", cNative},
			"connect + disconnect time, "+br.name)
	}
	w("%s", h.connsSection())

	for _, br := range brokers {
		switch br.key {
		case "embedded":
			ratioCheck("embedded: `-F` send vs stomp.py", key{br.key, "send", cStomp}, key{br.key, "send", cPy}, 3, "stomp.py")
			ratioCheck("embedded: `-L` receive vs stomp.py", key{br.key, "recv", cStomp}, key{br.key, "recv", cPy}, 2, "stomp.py")
		default:
			ratioCheck(br.name+": `-F` send vs go-stomp", key{br.key, "send", cStomp}, key{br.key, "send", cNative}, 0.9, "go-stomp")
			ratioCheck(br.name+": `send --lines` vs go-stomp", key{br.key, "send-lines", cStomp}, key{br.key, "send", cNative}, 0.9, "go-stomp")
			ratioCheck(br.name+": `-L` receive vs go-stomp", key{br.key, "recv", cStomp}, key{br.key, "recv", cNative}, 0.9, "go-stomp")
			ratioCheck(br.name+": `-L` client-individual vs go-stomp", key{br.key, "recv-ci", cStomp}, key{br.key, "recv-ci", cNative}, 0.7, "go-stomp")
		}
	}

	if *rssMsgs > 0 {
		small := *rssMsgs / 10
		w("\n### Memory (embedded broker, peak RSS of stomp, median of %d rounds)\n\n", *rounds)
		w("| workload | %s messages | %s messages | growth |\n|---|---|---|---|\n", kilo(float64(small)), kilo(float64(*rssMsgs)))
		flat := func(what, workload, cmdline string) {
			a, okA := median(h.results[memKey(workload, small)], rss)
			z, okZ := median(h.results[memKey(workload, *rssMsgs)], rss)
			if !okA || !okZ {
				w("| %s | failed: %s | | |\n", cmdline, firstErr(append(h.results[memKey(workload, small)], h.results[memKey(workload, *rssMsgs)]...)))
				checks = append(checks, check{what: what + " flat", target: "<= 1.10x"})
				return
			}
			sec, _ := median(h.results[memKey(workload, *rssMsgs)], secs)
			w("| %s | %.1f MB | %.1f MB (%s msg/s) | %.2fx |\n", cmdline, a/1024, z/1024, kilo(float64(*rssMsgs)/sec), z/a)
			checks = append(checks, check{what: fmt.Sprintf("%s: peak RSS at %s vs %s messages", what, kilo(float64(*rssMsgs)), kilo(float64(small))),
				target: "<= 1.10x", ratio: z / a, have: true, ok: z/a <= 1.10})
		}
		flat("receiving", memListen, "`stomp -L DEST --count N`")
		flat("`send --lines`", memLines, "`stomp send DEST --lines < N lines`")
		c := check{what: fmt.Sprintf("peak RSS receiving %s messages", kilo(float64(*rssMsgs))), target: "< 15 MB"}
		if m, ok := median(h.results[memKey(memListen, *rssMsgs)], rss); ok {
			c.ratio, c.have, c.ok = m/1024, true, m/1024 < 15
		}
		checks = append(checks, c)
		fc := check{what: fmt.Sprintf("peak RSS sending a %d MB file (`sendfile`) vs the file size", fileMB), target: "< 3.00x"}
		if m, ok := median(h.results[memKey(memSendfile, fileMB)], rss); ok {
			sec, _ := median(h.results[memKey(memSendfile, fileMB)], secs)
			w("\n`sendfile` of a %d MB file (base64 on the wire, %d MB): %.1f MB peak RSS, %.2f s.\n", fileMB, fileMB*4/3, m/1024, sec)
			fc.ratio, fc.have, fc.ok = m*1024/(fileMB*1e6), true, m*1024/(fileMB*1e6) < 3
		} else {
			w("\n`sendfile` of a %d MB file: failed: %s\n", fileMB, firstErr(h.results[memKey(memSendfile, fileMB)]))
		}
		checks = append(checks, fc)
	}

	w("\n### Targets\n\n| target | measured | goal | met |\n|---|---|---|---|\n")
	for _, c := range checks {
		got, met := "-", "no data"
		if c.have {
			got = fmt.Sprintf("%.2fx", c.ratio)
			if strings.HasPrefix(c.target, "<") && strings.HasSuffix(c.target, "MB") {
				got = fmt.Sprintf("%.1f MB", c.ratio)
			}
			met = map[bool]string{true: "yes", false: "**no**"}[c.ok]
		}
		w("| %s | %s | %s | %s |\n", c.what, got, c.target, met)
	}

	if len(engine) > 0 {
		w("\n### `stomp bench` (1 publisher, 1 subscriber, %s messages of %d bytes, ack auto, one run)\n\n", kilo(float64(*msgs)), bodySize)
		w("| broker | pub msg/s | sub msg/s | latency p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|---|\n")
		for _, br := range brokers {
			r := engine[br.key]
			if r == nil || r.Latency == nil {
				continue
			}
			l := r.Latency
			w("| %s | %s | %s | %s | %s | %s | %s | %s |\n", br.name, kilo(r.Publishers.Total.MsgsPerSec), kilo(r.Subscribers.Total.MsgsPerSec),
				msStr(l.P50), msStr(l.P90), msStr(l.P99), msStr(l.P999), msStr(l.Max))
		}
		w("\nUnthrottled, so latency is mostly time spent queued in the broker; the fixed-rate table below measures it below saturation.\n")
	}

	var errs []string
	for _, k := range sortedKeys(h.results) {
		for i, s := range h.results[k] {
			if s.err != "" {
				errs = append(errs, fmt.Sprintf("%s %s %s, run %d: %s", k.broker, k.workload, k.client, i+1, s.err))
			}
		}
	}
	if len(errs)+len(h.notes) > 0 {
		w("\n### Failed runs and notes\n\n")
		for _, e := range append(errs, h.notes...) {
			w("- %s\n", e)
		}
	}

	w("\n<details><summary>Every run (seconds, peak RSS MB)</summary>\n\n")
	for _, k := range sortedKeys(h.results) {
		var parts []string
		for _, s := range h.results[k] {
			p := fmt.Sprintf("%.3f s/%.1f MB", s.secs, float64(s.rssKB)/1024)
			if s.err != "" {
				p += " (failed)"
			}
			parts = append(parts, p)
		}
		w("- %s %s %s: %s\n", k.broker, k.workload, k.client, strings.Join(parts, ", "))
	}
	w("\n</details>\n")
	return b.String()
}

func firstErr(ss []sample) string {
	for _, s := range ss {
		if s.err != "" {
			return s.err
		}
	}
	return "no run"
}

func sortedKeys(m map[key][]sample) []key {
	var ks []key
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		return strings.Compare(a.broker+"\x00"+a.workload+"\x00"+a.client, b.broker+"\x00"+b.workload+"\x00"+b.client)
	})
	return ks
}

func kilo(x float64) string {
	switch {
	case x >= 1e6:
		return strconv.FormatFloat(x/1e6, 'f', 2, 64) + "M"
	case x >= 1e3:
		return strconv.FormatFloat(x/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

func msStr(us int64) string {
	return strconv.FormatFloat(float64(us)/1000, 'f', 1, 64) + " ms"
}

// machine describes where the numbers come from.
func machine(brokers []*brokerSpec) []string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			cpu = string(m[1])
		}
	}
	nproc := strings.TrimSpace(cmdOut("nproc"))
	if nproc == "" {
		nproc = strconv.Itoa(runtime.NumCPU())
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b); m != nil {
			kb, _ := strconv.ParseFloat(string(m[1]), 64)
			mem = fmt.Sprintf("%.1f GiB", kb/1024/1024)
		}
	}
	osName := "Linux"
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		if m := regexp.MustCompile(`(?m)^PRETTY_NAME="?([^"\n]+)"?$`).FindSubmatch(b); m != nil {
			osName = string(m[1])
		}
	}
	lines := []string{
		fmt.Sprintf("CPU: %s, `nproc` %s", cpu, nproc),
		"Memory: " + mem,
		fmt.Sprintf("OS: %s, kernel %s", osName, strings.TrimSpace(cmdOut("uname", "-r"))),
		"Go: " + strings.TrimSpace(cmdOut("go", "version")),
		"stomp: " + strings.TrimSpace(cmdOut(*stompBin, "--version")),
		fmt.Sprintf("stomp.py: %s (%s)", strings.TrimSpace(cmdOut(*python, "-m", "stomp", "--version")), strings.TrimSpace(cmdOut(*python, "--version"))),
		"go-stomp: " + strings.TrimSpace(cmdOut("go", "list", "-m", "github.com/go-stomp/stomp/v3")),
	}
	var bs []string
	for _, b := range brokers {
		s := fmt.Sprintf("%s (%s", b.server, b.addr())
		if b.key == "embedded" {
			s += ", `stomp serve`"
		}
		bs = append(bs, s+")")
	}
	lines = append(lines, "Brokers: "+strings.Join(bs, ", "))
	return lines
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cmdOut(name string, args ...string) string {
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "unknown"
	}
	return string(b)
}
