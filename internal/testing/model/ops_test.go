package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// An operation is one run of a front-end, drawn at random at each step.
// Producers promise what they sent when they exit 0; consumers record what
// their sink took. Every run must end by itself (runTimeout).
type operation struct {
	name   string
	weight int
	run    func(h *harness)
}

var operations = []operation{
	{"send", 3, opSend},
	{"send --lines", 3, opSendLines},
	{"-F script", 2, opScript},
	{"shell", 1, opShell},
	{"listen --count", 2, opListenCount},
	{"listen with a failing sink", 1, opListenFailingSink},
	{"request", 2, opRequest},
}

// runTimeout bounds one run: the faults last a few seconds, so a run that
// takes this long hangs.
const runTimeout = 60 * time.Second

// finish waits for a run and records it; false when it hung (an error).
func (h *harness) finish(p *proc) bool {
	if !p.wait(runTimeout) {
		h.t.Errorf("%s hung for %v: killed\n%s", p.name, runTimeout, p)
		return false
	}
	h.model.logf("%s: exit %d after %v%s", p.name, p.code, time.Since(p.started).Round(10*time.Millisecond), lastLine(p.err.String()))
	h.model.mu.Lock()
	h.model.ended = append(h.model.ended, p)
	h.model.mu.Unlock()
	return true
}

// lastLine is the last non-empty line of s, in parentheses after a space
// ("" for none): a process's last word, usually its error.
func lastLine(s string) string {
	ls := lines(s)
	if len(ls) == 0 {
		return ""
	}
	return " (" + ls[len(ls)-1] + ")"
}

// someBodies draws n new bodies for op, some of them to be refused once.
func (h *harness) someBodies(op string, n int) []string {
	bs := make([]string, n)
	for i := range bs {
		bs[i] = h.body(op, h.rejects() && h.rng.Intn(5) == 0)
	}
	return bs
}

// rejects: the --exec listener refuses some messages once, which only
// means "comes back" where NACK requeues: ActiveMQ dead-letters instead.
func (h *harness) rejects() bool { return h.broker.Name != testbroker.NameActiveMQ }

func opSend(h *harness) {
	b := h.someBodies("send", 1)
	p := h.run("stomp send", "", "send", h.queue, b[0])
	if h.finish(p) && p.code == 0 {
		h.model.promiseAll(p.name, p.started, b)
	}
}

func opSendLines(h *harness) {
	bs := h.someBodies("lines", 20+h.rng.Intn(100))
	// --rate spreads the messages over about a second, so that the fault
	// lands in the middle of the stream.
	p := h.run(fmt.Sprintf("stomp send --lines (%d)", len(bs)), strings.Join(bs, "\n")+"\n", "send", h.queue, "--lines", "--rate", "100")
	if h.finish(p) && p.code == 0 {
		h.model.promiseAll(p.name, p.started, bs)
	}
}

func opScript(h *harness) {
	bs := h.someBodies("script", 3+h.rng.Intn(12))
	var sb strings.Builder
	for _, b := range bs {
		fmt.Fprintf(&sb, "send %s %s\nsleep 50ms\n", h.queue, b)
	}
	p := h.run(fmt.Sprintf("stomp -F (%d sends)", len(bs)), "", "-F", h.writeFile(fmt.Sprintf("script-%d.txt", h.nextID), sb.String()))
	if h.finish(p) && p.code == 0 {
		h.model.promiseAll(p.name, p.started, bs)
	}
}

// opShell types sends into the interactive shell, then quit. A send the
// shell answered with nothing is promised once quit exited 0 (the shell
// disconnects with a receipt); one answered with any line (an error, a
// lost connection) is not.
func opShell(h *harness) {
	s := h.shell("shell")
	if !s.waitPrompt(0, 15*time.Second) {
		s.stop(5 * time.Second)
		h.model.logf("shell: no prompt (the connection failed at start)")
		return
	}
	var quiet []string
	for _, b := range h.someBodies("shell", 2+h.rng.Intn(5)) {
		out, ok := s.typeLine("send "+h.queue+" "+b, 20*time.Second)
		if !ok {
			break
		}
		if out == "" {
			quiet = append(quiet, b)
		}
	}
	s.tty.Write([]byte("quit\r"))
	if h.finish(s.proc) && s.code == 0 {
		h.model.promiseAll(s.name, s.started, quiet)
	}
}

func opListenCount(h *harness) {
	n := 1 + h.rng.Intn(5)
	p := h.run(fmt.Sprintf("stomp listen --count %d", n), "", "listen", h.queue, "--count", fmt.Sprint(n), "--ack", "client-individual", "--format", "raw", "--timeout", "2s")
	if h.finish(p) {
		h.model.consume(p.name, lines(p.out.String()))
	}
}

// opListenFailingSink runs a listener whose sink fails on every message: its
// --format template names a field that does not exist (.Header for
// .Headers). It must not ack what it could not write, so it must not exit
// 0 having taken a message (checkSinkFailuresNotAcked), and whatever it
// received comes back (checkPromisedReachedBroker).
func opListenFailingSink(h *harness) {
	p := h.run("stomp listen --format '{{.Header.destination}}'", "", "listen", h.queue, "--count", "1", "--ack", "client-individual", "--format", "{{.Header.destination}}", "--timeout", "2s")
	if h.finish(p) && p.code == 0 {
		h.model.mu.Lock()
		h.model.ackedUnwritten = append(h.model.ackedUnwritten, ended{run: p.name, at: time.Now()})
		h.model.mu.Unlock()
	}
}

// opRequest asks the long-lived replier; a request that exits 0 must print
// the reply to its own body.
func opRequest(h *harness) {
	b := h.body("request", false)
	p := h.run("stomp request", "", "request", h.rpc, b, "--timeout", "3s", "--format", "raw")
	if h.finish(p) && p.code == 0 && strings.TrimSpace(p.out.String()) != "echo:"+b {
		h.t.Errorf("%s exited 0 with %q, want the reply echo:%s", p.name, p.out.String(), b)
	}
}

// longLived are the clients that run for the whole seed and must never
// stop by themselves.
type longLived struct {
	listener, exec, replier *proc
	shell                   *ptyShell
	execDir                 string
}

// execScript is the --exec command: it appends the body to taken/ once it
// took it and refuses (exit 1) a body ending in -r the first time, leaving
// a mark in refused/.
const execScript = `b=$(cat)
case "$b" in *-r) [ -e "$DIR/refused/$b" ] || { : > "$DIR/refused/$b"; exit 1; } ;; esac
echo "$b" >> "$DIR/taken"
`

// startLongLived starts the listeners, the replier and the shell; extra
// flags (such as a back-off cap) come first.
func (h *harness) startLongLived(extra ...string) *longLived {
	ll := &longLived{execDir: filepath.Join(h.dir, "exec")}
	if err := os.MkdirAll(filepath.Join(ll.execDir, "refused"), 0o700); err != nil {
		h.t.Fatal(err)
	}
	script := h.writeFile("exec.sh", strings.ReplaceAll(execScript, "$DIR", ll.execDir))
	backoff := extra
	ll.listener = h.run("stomp listen --ack client-individual", "", append(backoff, "listen", h.queue, "--ack", "client-individual", "--format", "raw")...)
	ll.exec = h.run("stomp listen --exec", "", append(backoff, "listen", h.queue, "--exec", "sh "+script)...)
	ll.replier = h.run("stomp reply", "", append(backoff, "reply", h.rpc, "--template", "echo:{{.Body}}")...)
	ll.shell = h.shell("shell (open for the whole seed)", backoff...)
	h.model.longLived = []*proc{ll.listener, ll.exec, ll.replier, ll.shell.proc}
	if !ll.shell.waitPrompt(0, 15*time.Second) {
		h.t.Fatalf("the shell shows no prompt\n%s", ll.shell.screen.String())
	}
	// The others are up when the proxy carries all four connections.
	if !waitUntil(15*time.Second, func() bool { return len(h.proxy.Conns()) >= 4 }) {
		h.t.Fatalf("the long-lived clients did not all connect: %d connections\n%s\n%s\n%s", len(h.proxy.Conns()), ll.listener, ll.exec, ll.replier)
	}
	time.Sleep(300 * time.Millisecond) // their SUBSCRIBEs follow the CONNECT
	return ll
}

// play runs steps random operations, each with a random fault injected at
// a random moment of it. Faults draw their parameters before the step, so
// the sequence depends on the seed only.
func (h *harness) play(steps int) {
	for i := 0; i < steps; i++ {
		op := pick(h, operations, func(o operation) int { return o.weight })
		f := pick(h, h.faults(), func(f fault) int { return f.weight })
		inject := f.prepare(h)
		delay := time.Duration(h.rng.Intn(600)) * time.Millisecond
		h.model.mu.Lock()
		h.model.step = i + 1
		h.model.broken[i+1] = f.breaks
		h.model.mu.Unlock()
		h.model.logf("step %d: %s, fault %q after %v", i+1, op.name, f.name, delay)
		done := make(chan struct{})
		go func() { defer close(done); op.run(h) }()
		time.Sleep(delay)
		inject()
		<-done
		// An outage overlaps the next step at most by what is left of it.
		waitUntil(outageBound, func() bool { return !h.proxy.Refusing() })
	}
	// What follows (the long-lived shell's last send) may meet a
	// connection that any step broke and the client has not yet replaced.
	h.model.mu.Lock()
	anyBroken := false
	for _, b := range h.model.broken {
		anyBroken = anyBroken || b
	}
	h.model.step, h.model.broken[afterSteps] = afterSteps, anyBroken
	h.model.mu.Unlock()
}

func pick[T any](h *harness, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	n := h.rng.Intn(total)
	for _, it := range items {
		if n -= weight(it); n < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// settle waits until the faults are over: the proxy accepts and the
// broker is up.
func (h *harness) settle() {
	if !waitUntil(outageBound, func() bool { return !h.proxy.Refusing() }) {
		h.t.Fatal("the proxy still refuses connections")
	}
	h.model.logf("faults over")
}

// stopLongLived checks the long-lived clients came back, then stops them
// and records what they took. The shell must take a send again within
// bound, then quit with exit 0.
func (h *harness) stopLongLived(ll *longLived, bound time.Duration) {
	final := h.body("shell-final", false)
	back := waitUntil(bound, func() bool {
		out, ok := ll.shell.typeLine("send "+h.queue+" "+final, 10*time.Second)
		if ok && out == "" {
			return true
		}
		time.Sleep(time.Second)
		return false
	})
	if !back {
		h.shellCameBack = append(h.shellCameBack, violation{
			msg: fmt.Sprintf("the shell did not take a send within %v after the broker came back; its screen ends:\n%s", bound, tail(screenText(ll.shell.screen.String()))),
			bug: bugShellStopsReconnecting,
		})
	}
	if ll.shell.running() {
		ll.shell.stopping = true
		ll.shell.tty.Write([]byte("quit\r"))
		if !ll.shell.wait(20 * time.Second) {
			h.t.Errorf("the shell did not quit")
		}
		if back && ll.shell.code == 0 {
			h.model.promiseAll(ll.shell.name, ll.shell.started, []string{final})
		}
	}
	h.model.logf("shell: exit %d", ll.shell.code)

	// Give the listeners time to take what is still queued, then stop them.
	taken := func() []string {
		data, _ := os.ReadFile(filepath.Join(ll.execDir, "taken"))
		return append(lines(ll.listener.out.String()), lines(string(data))...)
	}
	waitUntil(10*time.Second, func() bool {
		have := map[string]bool{}
		for _, b := range taken() {
			have[b] = true
		}
		h.model.mu.Lock()
		defer h.model.mu.Unlock()
		for b := range h.model.promised {
			if !have[b] {
				return false
			}
		}
		return true
	})
	for _, p := range []*proc{ll.listener, ll.exec, ll.replier} {
		if p.running() {
			p.stop(20 * time.Second)
		}
		h.model.logf("%s: exit %d", p.name, p.code)
	}
	h.model.consume(ll.listener.name, lines(ll.listener.out.String()))
	data, _ := os.ReadFile(filepath.Join(ll.execDir, "taken"))
	h.model.consume(ll.exec.name, lines(string(data)))
	refused, _ := os.ReadDir(filepath.Join(ll.execDir, "refused"))
	for _, e := range refused {
		if info, err := e.Info(); err == nil {
			h.model.refused[e.Name()] = info.ModTime()
		}
	}
}
