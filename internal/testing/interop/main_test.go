package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// python is the interpreter that has the stomp module (the first python3 on PATH may not).
const python = "/usr/bin/python3"

var (
	stompBin  string // the CLI, built once by TestMain
	helperPy  string // absolute path of testdata/stomppy_helper.py
	pyOnce    sync.Once
	pyMissing string // why stomp.py cannot be used, "" when it can
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "stomp-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	// Under `go test -race` the CLI is built with the race detector too (see checkNoRace).
	if stompBin, err = testbin.Build(dir, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "interop: built %s (race=%v) in %v\n", stompBin, raceEnabled, time.Since(start).Round(time.Millisecond))
	}
	if helperPy, err = filepath.Abs(filepath.Join("testdata", "stomppy_helper.py")); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	return m.Run()
}

// requirePython skips the test unless /usr/bin/python3 can import stomp.
func requirePython(t *testing.T) {
	t.Helper()
	pyOnce.Do(func() {
		out, err := exec.Command(python, "-c", "import stomp; print(stomp.__version__)").CombinedOutput()
		if err != nil {
			pyMissing = fmt.Sprintf("%s cannot import stomp (install python3-stomp): %v: %s", python, err, bytes.TrimSpace(out))
		}
	})
	if pyMissing != "" {
		t.Skip(pyMissing)
	}
}

// eachBroker runs f as a subtest for every real broker configured, after checking for stomp.py.
func eachBroker(t *testing.T, f func(t *testing.T, tg testbroker.Target)) {
	t.Helper()
	requirePython(t)
	targets := testbroker.Real()
	if len(targets) == 0 {
		t.Skip("no real broker configured: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) { f(t, tg) })
	}
}

// pyVersion is the STOMP version stomp.py uses against tg: 1.2 sends host:<host name>, which RabbitMQ
// refuses (no such vhost), so RabbitMQ gets stomp.py's default 1.1.
func pyVersion(tg testbroker.Target) string {
	if tg.Name == testbroker.NameRabbitMQ {
		return "1.1"
	}
	return "1.2"
}

// stompArgs are our CLI's connection flags for tg.
func stompArgs(tg testbroker.Target) []string {
	a := []string{"-H", tg.Host, "-P", tg.Port}
	if tg.Login != "" {
		a = append(a, "-U", tg.Login, "-W", tg.Passcode)
	}
	if tg.Vhost != "" {
		a = append(a, "--vhost", tg.Vhost)
	}
	return a
}

// cleanEnv is the environment for child processes: no STOMP_* connection settings leaking in, no
// colours, unbuffered Python output.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "STOMP_HOST", "STOMP_PORT", "STOMP_USER", "STOMP_PASSWORD":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_COLOR=1", "PYTHONUNBUFFERED=1", "GORACE=exitcode=66 atexit_sleep_ms=50")
}

// proc is a child process whose stdout and stderr are collected.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr testbin.Buffer
	done           chan struct{}
	err            error
}

// start runs name args in dir; ctx bounds its life (it is killed when ctx ends).
func start(ctx context.Context, t *testing.T, dir string, stdin io.Reader, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.CommandContext(ctx, name, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = cleanEnv()
	p.cmd.Stdin = stdin
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.Cancel = func() error { return p.cmd.Process.Signal(syscall.SIGTERM) }
	p.cmd.WaitDelay = 3 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop ends the child if it still runs: SIGTERM first (stomp and `timeout` pass it on or finish
// cleanly), SIGKILL after 3s. Only the process this test started is signalled, by its handle.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitFor waits until the child's stdout contains s, failing the test if it exits or ctx ends first.
func (p *proc) waitFor(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stdout.String(), s) {
		select {
		case <-p.done:
			if strings.Contains(p.stdout.String(), s) {
				return
			}
			t.Fatalf("%s exited (%v) before printing %q\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, p.err, s, p.stdout.String(), p.stderr.String())
		case <-ctx.Done():
			t.Fatalf("%s did not print %q in time\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, s, p.stdout.String(), p.stderr.String())
		case <-tick.C:
		}
	}
}

// wait waits for the child to exit and returns its error (nil on exit 0).
func (p *proc) wait(ctx context.Context, t *testing.T) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		t.Fatalf("%s did not finish in time\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, p.stdout.String(), p.stderr.String())
		return nil
	}
}

// checkNoRace fails the test if a race-enabled stomp binary reported a data race.
func checkNoRace(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "WARNING: DATA RACE") {
		t.Errorf("the stomp CLI reported a data race:\n%s", stderr)
	}
}

// runStomp runs our CLI to completion in dir and returns its stdout; a non-zero exit fails the test.
func runStomp(ctx context.Context, t *testing.T, dir string, args ...string) string {
	t.Helper()
	p := start(ctx, t, dir, nil, stompBin, args...)
	err := p.wait(ctx, t)
	checkNoRace(t, p.stderr.String())
	if err != nil {
		t.Fatalf("stomp %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, p.stdout.String(), p.stderr.String())
	}
	return p.stdout.String()
}

// pyMessage is one MESSAGE as the stomp.py library received it.
type pyMessage struct {
	Headers map[string]string `json:"headers"`
	BodyB64 string            `json:"body_b64"`
}

func (m pyMessage) body(t *testing.T) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(m.BodyB64)
	if err != nil {
		t.Fatalf("helper body_b64: %v", err)
	}
	return b
}

// pyReceiver is the stomp.py library subscribed to a destination.
type pyReceiver struct {
	p *proc
}

// startPyRecv subscribes the stomp.py library to dest and returns once the subscription is confirmed.
func startPyRecv(ctx context.Context, t *testing.T, tg testbroker.Target, dest string, count int, timeout time.Duration) *pyReceiver {
	t.Helper()
	p := start(ctx, t, t.TempDir(), nil, python, helperPy, "recv", tg.Host, tg.Port, tg.Login, tg.Passcode,
		pyVersion(tg), tg.Vhost, dest, fmt.Sprint(count), fmt.Sprint(timeout.Seconds()))
	p.waitFor(ctx, t, "READY\n")
	return &pyReceiver{p: p}
}

// messages waits for the receiver to finish and returns what it got.
func (r *pyReceiver) messages(ctx context.Context, t *testing.T) []pyMessage {
	t.Helper()
	err := r.p.wait(ctx, t)
	out := r.p.stdout.String()
	_, js, _ := strings.Cut(out, "READY\n")
	var res struct {
		Messages []pyMessage `json:"messages"`
		Errors   []any       `json:"errors"`
	}
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(js)), &res); jerr != nil {
		t.Fatalf("stomp.py receiver output is not JSON (%v, exit %v):\n%s\nstderr:\n%s", jerr, err, out, r.p.stderr.String())
	}
	if err != nil || len(res.Errors) > 0 {
		t.Errorf("stomp.py receiver: exit %v, broker errors %v, got %d messages\nstderr:\n%s", err, res.Errors, len(res.Messages), r.p.stderr.String())
	}
	return res.Messages
}

// pySend is one message for the stomp.py library to send.
type pySend struct {
	Dest    string            `json:"dest"`
	Headers map[string]string `json:"headers"`
	BodyB64 string            `json:"body_b64"`
}

// pyLibSend sends msgs with the stomp.py library and waits for its DISCONNECT receipt.
func pyLibSend(ctx context.Context, t *testing.T, tg testbroker.Target, msgs []pySend) {
	t.Helper()
	spec, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	p := start(ctx, t, t.TempDir(), bytes.NewReader(spec), python, helperPy, "send", tg.Host, tg.Port, tg.Login, tg.Passcode,
		pyVersion(tg), tg.Vhost)
	if err := p.wait(ctx, t); err != nil || !strings.Contains(p.stdout.String(), fmt.Sprintf("SENT %d", len(msgs))) {
		t.Fatalf("stomp.py send: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout.String(), p.stderr.String())
	}
}

// pyCLIArgs are the stomp.py CLI's connection flags for tg.
func pyCLIArgs(tg testbroker.Target) []string {
	return []string{"-m", "stomp", "-H", tg.Host, "-P", tg.Port, "-U", tg.Login, "-W", tg.Passcode, "-S", pyVersion(tg)}
}

// allBytes is every byte value once, twice over (so the base64 has no special alignment).
func allBytes() []byte {
	b := make([]byte, 0, 512+3)
	for i := 0; i < 256; i++ {
		b = append(b, byte(i))
	}
	for i := 255; i >= 0; i-- {
		b = append(b, byte(i))
	}
	return append(b, 0, '\n', 0)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return b
}
