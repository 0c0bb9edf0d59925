package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// stompBin builds the CLI once (with the race detector: a race the faults
// provoke fails the run) and skips the test when the suite is off or the
// binary lacks --reconnect.
func stompBin(t *testing.T) string {
	t.Helper()
	if os.Getenv("STOMP_TEST_FAULTS") != "1" {
		t.Skip("fault injection stops the shared brokers: set STOMP_TEST_FAULTS=1 (make test-faults)")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "stomp-faults-")
		if buildErr == nil {
			binPath, buildErr = testbin.Build(binDir, true)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	out, _ := exec.Command(binPath, "listen", "--help").CombinedOutput()
	if !bytes.Contains(out, []byte("--reconnect")) {
		t.Skip("stomp listen --help has no --reconnect: the listener cannot recover from a lost broker yet")
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// broker is one real broker and how to break and restart it.
type broker struct {
	testbroker.Target
	pidFile string // the process to kill or freeze
	pattern string // its command line contains this
	conf    string // a file of its configuration that names our port
	confRe  string // how it names it
	start   string // scripts/brokers/*-start.sh
	repo    string
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func brokersRoot() string {
	tmp := envOr("TMPDIR", "/tmp")
	return envOr("BROKERS_ROOT", filepath.Join(tmp, "stomp-brokers"))
}

func realBroker(t *testing.T, name string) *broker {
	t.Helper()
	var tgt *testbroker.Target
	for _, r := range testbroker.Real() {
		if r.Name == name {
			tgt = &r
		}
	}
	if tgt == nil {
		t.Skipf("%s is not configured (eval \"$(scripts/ci-brokers.sh env)\")", name)
	}
	repo, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := &broker{Target: *tgt, repo: repo}
	switch name {
	case testbroker.NameRabbitMQ:
		base := envOr("RMQ_BASE", filepath.Join(brokersRoot(), "rabbitmq"))
		b.pidFile, b.pattern = filepath.Join(base, "beam.pid"), "beam"
		b.conf, b.confRe = filepath.Join(base, "etc", "rabbitmq.conf"), `stomp\.listeners\.tcp\.1 = 127\.0\.0\.1:`+b.Port+`\b`
		b.start = filepath.Join(repo, "scripts", "brokers", "rabbitmq-start.sh")
	case testbroker.NameActiveMQ:
		base := envOr("AMQ_BASE", filepath.Join(brokersRoot(), "activemq"))
		b.pidFile, b.pattern = filepath.Join(base, "activemq.pid"), "activemq.jar"
		b.conf, b.confRe = filepath.Join(base, "conf", "activemq.xml"), `stomp://127\.0\.0\.1:`+b.Port+`\b`
		b.start = filepath.Join(repo, "scripts", "brokers", "activemq-start.sh")
	}
	// Never signal a process that is not the broker on this address.
	conf, err := os.ReadFile(b.conf)
	if err != nil || !regexp.MustCompile(b.confRe).Match(conf) {
		t.Skipf("%s: %s does not configure STOMP on port %s (set RMQ_BASE/AMQ_BASE or BROKERS_ROOT): %v", name, b.conf, b.Port, err)
	}
	b.pid(t)
	return b
}

// pid reads the broker's pid file and checks the process is the broker.
func (b *broker) pid(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(b.pidFile)
	if err != nil {
		t.Fatalf("%s: %v", b.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		t.Fatalf("%s: bad pid file %s: %q", b.Name, b.pidFile, data)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(b.pattern)) {
		t.Fatalf("%s: pid %d from %s is not the broker (%q)", b.Name, pid, b.pidFile, cmdline)
	}
	return pid
}

func (b *broker) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	pid := b.pid(t)
	t.Logf("%s: kill -%d %d", b.Name, sig, pid)
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("%s: kill -%d %d: %v", b.Name, sig, pid, err)
	}
}

// kill kills the broker with SIGKILL and waits until its port is closed.
func (b *broker) kill(t *testing.T) {
	t.Helper()
	b.signal(t, syscall.SIGKILL)
	waitFor(t, 30*time.Second, b.Name+" port closed", func() bool { return !portOpen(b.Addr()) })
}

// restart runs the start script (idempotent) and waits until it answers.
func (b *broker) restart(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, b.start).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", b.Name, b.start, err, out)
	}
	t.Logf("%s: restarted in %v", b.Name, time.Since(start).Round(100*time.Millisecond))
}

// ensureUp restarts the broker when the test ends, whatever happened.
func (b *broker) ensureUp(t *testing.T) {
	t.Cleanup(func() {
		if pid, err := os.ReadFile(b.pidFile); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				_ = syscall.Kill(n, syscall.SIGCONT) // never leave it frozen
			}
		}
		b.restart(t)
	})
}

func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connArgs are the flags that reach b.
func (b *broker) connArgs() []string {
	args := []string{"-H", b.Host, "-P", b.Port, "-U", b.Login, "-W", b.Passcode}
	if b.Vhost != "" {
		args = append(args, "--vhost", b.Vhost)
	}
	return args
}

func cliEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "NO_COLOR=1"}
}

func queueName(t *testing.T) string {
	return fmt.Sprintf("/queue/stomp-faults-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.Int63())
}

// sendLines sends 1..n as persistent messages and waits for stomp to
// confirm them all.
func sendLines(t *testing.T, bin string, b *broker, dest string, n int) {
	t.Helper()
	var in bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&in, "%d\n", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"send", dest, "--lines", "--persistent"}, b.connArgs()...)...)
	cmd.Env = cliEnv(t)
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
}

// listener is `stomp listen` running as a process. Its standard output is
// copied to a file, slowly until release is called: a listener that drains
// 10,000 messages in a second would be done before the broker is broken.
type listener struct {
	cmd      *exec.Cmd
	path     string
	stderr   *testbin.Buffer
	mu       sync.Mutex
	lines    int
	fast     chan struct{}
	copied   chan struct{}
	exited   chan struct{}
	waitErr  error
	released sync.Once
}

func startListener(t *testing.T, bin string, b *broker, dest string, extra ...string) *listener {
	t.Helper()
	args := append([]string{"listen", dest, "--ack", "client-individual", "--format", "json",
		"--reconnect-delay", "100ms", "--reconnect-max-delay", "1s", "--connect-timeout", "3s"}, b.connArgs()...)
	args = append(args, extra...)
	l := &listener{cmd: exec.Command(bin, args...), path: filepath.Join(t.TempDir(), "out.jsonl"),
		stderr: &testbin.Buffer{}, fast: make(chan struct{}), copied: make(chan struct{}), exited: make(chan struct{})}
	l.cmd.Env = cliEnv(t)
	l.cmd.Stderr = l.stderr
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(l.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %v", l.cmd.Args)
	go func() {
		defer close(l.copied)
		defer f.Close()
		br := bufio.NewReaderSize(stdout, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				_, _ = f.Write(line)
				l.mu.Lock()
				l.lines++
				l.mu.Unlock()
			}
			if err != nil {
				return
			}
			select {
			case <-l.fast:
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()
	go func() {
		<-l.copied
		l.waitErr = l.cmd.Wait()
		close(l.exited)
	}()
	t.Cleanup(func() {
		l.release()
		_ = l.cmd.Process.Kill()
		<-l.exited
	})
	return l
}

func (l *listener) release() { l.released.Do(func() { close(l.fast) }) }

func (l *listener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

// stop sends SIGTERM and returns the exit code (bounded).
func (l *listener) stop(t *testing.T) int {
	t.Helper()
	l.release()
	_ = l.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-l.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("listener did not exit within 30s of SIGTERM\nstderr:\n%s", l.stderr)
	}
	return l.cmd.ProcessState.ExitCode()
}

// activemqPrefetch is how many messages ActiveMQ dispatches to a STOMP
// consumer before it has their acks (activemq.prefetchSize, 1000 by
// default): after a kill -9 every one of them may come back unmarked.
// Seen in CI: 1000 unmarked duplicates where the listener had 840 written
// but unacked; the other 160 had acks in flight.
const activemqPrefetch = 1000

type message struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// check reads the listener's file: every one of 1..n at least once, and
// every copy after the first marked redelivered by the broker.
//
// A broker that was killed may not know it delivered a message before:
// ActiveMQ keeps the redelivery count in memory unless its policy has
// persistJMSRedelivered. With strict false, unmarked duplicates are
// accepted up to what the broker had dispatched and not yet seen acked:
// the messages the listener wrote but could not ack (it announces how
// many when it reconnects) and those whose ACK was still on its way when
// the broker died. ActiveMQ never has more than its prefetch window out.
func (l *listener) check(t *testing.T, n int, strict bool) (dups int) {
	t.Helper()
	data, err := os.ReadFile(l.path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	var unmarked []string
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %d is not a JSON message: %q: %v", i+1, line, err)
		}
		v, err := strconv.Atoi(m.Body)
		if err != nil || v < 1 || v > n {
			t.Fatalf("line %d: unexpected body %q", i+1, m.Body)
		}
		seen[v]++
		if seen[v] > 1 {
			dups++
			if m.Headers["redelivered"] != "true" {
				unmarked = append(unmarked, m.Body)
			}
		}
	}
	var missing []int
	for i := 1; i <= n; i++ {
		if seen[i] == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d messages missing from the output, e.g. %v", len(missing), n, missing[:min(10, len(missing))])
	}
	announced := 0
	for _, m := range regexp.MustCompile(`(\d+) message\(s\) awaiting ack will be redelivered`).FindAllStringSubmatch(l.stderr.String(), -1) {
		k, _ := strconv.Atoi(m[1])
		announced += k
	}
	switch {
	case len(unmarked) == 0:
	case strict:
		t.Errorf("%d duplicates the broker did not mark redelivered, e.g. %v", len(unmarked), unmarked[:min(10, len(unmarked))])
	case len(unmarked) > max(announced, activemqPrefetch):
		t.Errorf("%d duplicates not marked redelivered, more than the %d the listener announced as awaiting ack and than ActiveMQ's prefetch window (%d), e.g. %v",
			len(unmarked), announced, activemqPrefetch, unmarked[:min(10, len(unmarked))])
	default:
		t.Logf("%d duplicates not marked redelivered by the restarted broker (%d announced as awaiting ack, prefetch window %d)", len(unmarked), announced, activemqPrefetch)
	}
	return dups
}

func (l *listener) distinct(t *testing.T) int {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var m message
		if json.Unmarshal(line, &m) == nil {
			seen[m.Body] = true
		}
	}
	return len(seen)
}

// checkRecoveryLines: one line per loss and one per recovery on stderr, for
// the losses the test caused. A broker may drop the new connection once more
// on its own: RabbitMQ woken from SIGSTOP sometimes crashes a connection's
// heart-beat receiver ({unexpected_message,resume} in its log) and closes
// it. Such an extra loss must be reported and recovered like any other,
// except the last one, which the test's SIGTERM may interrupt.
func checkRecoveryLines(t *testing.T, stderr string, losses int) {
	t.Helper()
	lost := strings.Count(stderr, "; reconnecting\n")
	back := len(regexp.MustCompile(`(?m)^.*reconnected after \d+ attempt\(s\); resubscribed to 1 destination\(s\)`).FindAllString(stderr, -1))
	switch {
	case lost < losses || back < losses || back > lost || back < lost-1:
		t.Errorf("want %d loss line(s) and as many recovery lines on stderr (one more loss at most, the broker's own), got %d and %d:\n%s", losses, lost, back, stderr)
	case lost > losses:
		t.Logf("the broker dropped the connection %d more time(s) on its own; each was reported", lost-losses)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.Contains(line, "goroutine ") || strings.Contains(line, "panic") || strings.Contains(line, "DATA RACE") {
			t.Errorf("stderr: %s", stderr)
			break
		}
	}
}

const messages = 10000

// breakDuringListen sends 10,000 persistent messages, starts a
// client-individual listener, breaks the broker once about a fifth of them
// are out, and checks that the listener recovers by itself and that every
// message is in its output, duplicates only where the broker says
// redelivered.
func breakDuringListen(t *testing.T, name string, strict bool, breakIt func(t *testing.T, b *broker, l *listener), extra ...string) {
	bin := stompBin(t)
	b := realBroker(t, name)
	b.ensureUp(t)
	dest := queueName(t)
	sendLines(t, bin, b, dest, messages)
	l := startListener(t, bin, b, dest, extra...)
	waitFor(t, 60*time.Second, "2,000 messages in the output", func() bool { return l.count() >= 2000 })
	before := l.count()
	breakIt(t, b, l)
	l.release()
	// The broker may have pushed every message before it broke: wait for
	// the recovery too, so the listener is seen to come back by itself.
	waitFor(t, 3*time.Minute, "the listener to reconnect and all 10,000 messages to be out", func() bool {
		return strings.Contains(l.stderr.String(), "reconnected after") && l.distinct(t) >= messages
	})
	code := l.stop(t)
	stderr := l.stderr.String()
	t.Logf("broken after %d lines; %d lines in all; exit %d; stderr:\n%s", before, l.count(), code, stderr)
	if code != 0 {
		t.Errorf("listener exit %d after SIGTERM, want 0", code)
	}
	dups := l.check(t, messages, strict)
	t.Logf("%d duplicate(s)", dups)
	checkRecoveryLines(t, stderr, 1)
}

func killAndRestart(t *testing.T, b *broker, l *listener) {
	b.kill(t)
	l.release()
	time.Sleep(time.Second) // the listener is down a moment, retrying
	b.restart(t)
}

func TestKillDuringListenRabbitMQ(t *testing.T) {
	breakDuringListen(t, testbroker.NameRabbitMQ, true, killAndRestart)
}

func TestKillDuringListenActiveMQ(t *testing.T) {
	breakDuringListen(t, testbroker.NameActiveMQ, false, killAndRestart)
}

// freeze stops the broker (SIGSTOP) until the listener has noticed it is
// silent (with --heartbeats 1000,1000 its grace is 2*1s+1s) and failed to
// reconnect at least once, then lets it go on (SIGCONT). The listener must
// be free to read meanwhile: one held back by a slow output is not reading
// and cannot notice.
func freeze(t *testing.T, b *broker, l *listener) {
	b.signal(t, syscall.SIGSTOP)
	l.release()
	waitFor(t, 60*time.Second, "the listener to notice the frozen broker and fail a reconnect", func() bool {
		return strings.Contains(l.stderr.String(), "reconnect attempt 1 failed")
	})
	b.signal(t, syscall.SIGCONT)
}

func TestFreezeDuringListenRabbitMQ(t *testing.T) {
	breakDuringListen(t, testbroker.NameRabbitMQ, true, freeze, "--heartbeats", "1000,1000")
}

func TestFreezeDuringListenActiveMQ(t *testing.T) {
	breakDuringListen(t, testbroker.NameActiveMQ, true, freeze, "--heartbeats", "1000,1000")
}

// SIGTERM while the listener is still trying to reconnect to a dead
// broker: it must stop promptly with one line of explanation.
func TestStopWhileReconnecting(t *testing.T) {
	bin := stompBin(t)
	b := realBroker(t, testbroker.NameRabbitMQ)
	b.ensureUp(t)
	dest := queueName(t)
	sendLines(t, bin, b, dest, 100)
	l := startListener(t, bin, b, dest)
	l.release()
	waitFor(t, 30*time.Second, "100 messages out", func() bool { return l.count() >= 100 })
	b.kill(t)
	waitFor(t, 30*time.Second, "a failed reconnect attempt", func() bool {
		return strings.Contains(l.stderr.String(), "reconnect attempt 2 failed")
	})
	start := time.Now()
	code := l.stop(t)
	errText := l.stderr.String()
	t.Logf("exit %d after %v; stderr:\n%s", code, time.Since(start).Round(time.Millisecond), errText)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to stop after SIGTERM", d)
	}
	if code != 0 && code != 1 {
		t.Errorf("exit %d", code)
	}
	if code != 0 {
		// README: exit 0 when "the listener was stopped by the user
		// (Ctrl-C, SIGTERM)"; exit 1 for "a lost connection". Both apply.
		t.Logf("NOTE: stopped by SIGTERM while reconnecting, the listener exits %d", code)
	}
}

// A script whose broker dies under it exits 1 and names the line that
// failed, within a bounded time (three reconnect attempts by default).
func TestScriptLosesBroker(t *testing.T) {
	for _, name := range []string{testbroker.NameRabbitMQ, testbroker.NameActiveMQ} {
		t.Run(name, func(t *testing.T) {
			bin := stompBin(t)
			b := realBroker(t, name)
			b.ensureUp(t)
			dest := queueName(t)
			var script strings.Builder
			const steps = 200
			for i := 1; i <= steps; i++ {
				fmt.Fprintf(&script, "echo at %d\nsendrec %s message %d\nsleep 100ms\n", i, dest, i)
			}
			path := filepath.Join(t.TempDir(), "script.txt")
			if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, append([]string{"-F", path, "--reconnect-delay", "100ms", "--connect-timeout", "2s"}, b.connArgs()...)...)
			cmd.Env = cliEnv(t)
			stderr := &testbin.Buffer{}
			cmd.Stderr = stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			lastAt := make(chan int, 1000)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					var k int
					if _, err := fmt.Sscanf(sc.Text(), "at %d", &k); err == nil {
						lastAt <- k
					}
				}
				_ = cmd.Wait()
				close(exited)
			}()
			t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
			k := 0
			for k < 10 {
				select {
				case k = <-lastAt:
				case <-exited:
					t.Fatalf("script ended before the broker was killed; stderr:\n%s", stderr)
				case <-time.After(30 * time.Second):
					t.Fatalf("script did not reach step 10 in 30s; stderr:\n%s", stderr)
				}
			}
			b.kill(t)
			select {
			case <-exited:
			case <-time.After(60 * time.Second):
				t.Fatalf("script still running 60s after its broker died; stderr:\n%s", stderr)
			}
			for len(lastAt) > 0 {
				k = <-lastAt
			}
			code := cmd.ProcessState.ExitCode()
			errText := stderr.String()
			t.Logf("killed at step %d; exit %d; stderr:\n%s", k, code, errText)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			m := regexp.MustCompile(regexp.QuoteMeta(path) + `, line (\d+): `).FindStringSubmatch(errText)
			if m == nil {
				t.Fatalf("stderr does not say which line of %s failed:\n%s", path, errText)
			}
			line, _ := strconv.Atoi(m[1])
			// Only sendrec lines (3k-1) touch the broker; the failing one is
			// the last step reached or the next.
			if line%3 != 2 || (line+1)/3 < k || (line+1)/3 > k+1 {
				t.Errorf("line %d failed; the script was at step %d (sendrec on line %d)", line, k, 3*k-1)
			}
		})
	}
}
