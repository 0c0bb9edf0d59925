package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/go-stomp/stomp/v3"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// stompBin is the stomp binary built once for the package (see TestMain).
var stompBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "stomp-model-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "model:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if stompBin, err = testbin.Build(dir, false); err != nil {
			fmt.Fprintln(os.Stderr, "model:", err)
			return 1
		}
		return m.Run()
	}())
}

// brokerProc is where the messages live: an embedded broker run as a
// `stomp serve` child process (so it can be killed and restarted on the
// same port), or a real broker, which is never killed.
type brokerProc struct {
	testbroker.Target
	mu  sync.Mutex
	cmd *exec.Cmd // nil for a real broker, or while killed
}

func startEmbedded(t *testing.T) *brokerProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(addr)
	b := &brokerProc{Target: testbroker.Target{Name: testbroker.NameEmbedded, Host: host, Port: port}}
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.kill)
	return b
}

// start runs `stomp serve` on the broker's port and waits until it accepts.
// Right after a kill the port may still be taken for a moment: then serve
// exits, and start tries again.
func (b *brokerProc) start() error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cmd := exec.Command(stompBin, "serve", "--listen", b.Addr())
		cmd.Env = cleanEnv("")
		dieWithTest(cmd)
		if err := cmd.Start(); err != nil {
			return err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if b.accepting(exited, deadline) {
			b.mu.Lock()
			b.cmd = cmd
			b.mu.Unlock()
			return nil
		}
		cmd.Process.Kill()
		<-exited
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("stomp serve --listen %s did not come up in 10s", b.Addr())
}

// accepting waits until the broker accepts connections; false when its
// process exited first or the deadline passed.
func (b *brokerProc) accepting(exited <-chan struct{}, deadline time.Time) bool {
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", b.Addr(), 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// kill ends the embedded broker with SIGKILL: every message it held is gone.
func (b *brokerProc) kill() {
	b.mu.Lock()
	cmd := b.cmd
	b.cmd = nil
	b.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
	}
}

func (b *brokerProc) embedded() bool { return b.Name == testbroker.NameEmbedded }

// cleanEnv is the environment of every stomp process: no colour, no
// history, no user config; home is a private directory ("" for none).
func cleanEnv(home string) []string {
	if home == "" {
		home = os.TempDir()
	}
	return []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "NO_COLOR=1", "TERM=dumb", "PATH=" + os.Getenv("PATH")}
}

// proc is one run of the stomp binary, with its output collected.
type proc struct {
	name     string
	cmd      *exec.Cmd
	out, err testbin.Buffer
	done     chan struct{}
	code     int // valid once done is closed
	started  time.Time
	stopping bool // the test asked it to stop
}

// run starts stomp with args (the connection flags come first) and stdin.
func (h *harness) run(name, stdin string, args ...string) *proc {
	p := &proc{name: name, done: make(chan struct{}), started: time.Now()}
	p.cmd = exec.Command(stompBin, append(h.connFlags(), args...)...)
	p.cmd.Env = cleanEnv(h.dir)
	p.cmd.Dir = h.dir
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	dieWithTest(p.cmd)
	if err := p.cmd.Start(); err != nil {
		h.t.Fatalf("%s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = exitCode(err)
		close(p.done)
	}()
	h.t.Cleanup(p.kill)
	return p
}

// kill ends the process if it still runs (a test that failed half way).
func (p *proc) kill() {
	if p.running() {
		p.cmd.Process.Kill()
		<-p.done
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// wait waits up to d for the process to end; false when it did not (it is
// then killed, and the caller reports a hang).
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// running reports whether the process has not ended.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, as a user or a service manager stops a listener.
func (p *proc) stop(d time.Duration) bool {
	p.stopping = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(d)
}

func (p *proc) String() string {
	return fmt.Sprintf("%s (exit %d)\n--- stdout:\n%s--- stderr:\n%s", p.name, p.code, tail(p.out.String()), tail(p.err.String()))
}

func tail(s string) string {
	const max = 1500
	if len(s) > max {
		s = "...\n" + s[len(s)-max:]
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// lines are the non-empty lines of s.
func lines(s string) []string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// ptyShell is the interactive shell in a real pseudo-terminal.
type ptyShell struct {
	*proc
	tty    *os.File
	screen testbin.Buffer // everything the shell wrote to the terminal
}

// shell starts the interactive shell (standard input a terminal).
func (h *harness) shell(name string, flags ...string) *ptyShell {
	s := &ptyShell{proc: &proc{name: name, done: make(chan struct{}), started: time.Now()}}
	s.cmd = exec.Command(stompBin, append(append(h.connFlags(), "--no-history"), flags...)...)
	s.cmd.Env = append(cleanEnv(h.dir), "TERM=xterm")
	s.cmd.Dir = h.dir
	dieWithTest(s.cmd)
	tty, err := pty.StartWithSize(s.cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		h.t.Fatalf("%s: %v", name, err)
	}
	s.tty = tty
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	go func() {
		err := s.cmd.Wait()
		s.code = exitCode(err)
		s.out.Write([]byte(s.screen.String()))
		tty.Close()
		close(s.done)
	}()
	h.t.Cleanup(s.kill)
	return s
}

// promptRe matches the shell's prompt, connected or not.
var promptRe = regexp.MustCompile(`(?m)[0-9.]+ (?:[0-9.]+|disconnected)[^>\n]*> `)

// waitPrompt waits until the screen shows more prompts than before.
func (s *ptyShell) waitPrompt(before int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && s.running() {
		if len(promptRe.FindAllStringIndex(s.screen.String(), -1)) > before {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// typeLine types one line and returns what the shell printed for it up to
// its next prompt, without the echo and the redraws.
func (s *ptyShell) typeLine(line string, d time.Duration) (string, bool) {
	before := len(s.screen.String())
	if _, err := s.tty.Write([]byte(line + "\r")); err != nil {
		return "", false
	}
	// The line editor redraws the prompt on every key: wait for the
	// newline after our line, then for the prompt after that.
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && s.running() {
		out := s.screen.String()[before:]
		if i := strings.Index(out, line+"\r\n"); i >= 0 {
			rest := out[i+len(line)+2:]
			if promptRe.MatchString(rest) {
				return screenText(rest[:promptRe.FindStringIndex(rest)[0]]), true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", false
}

// terminalControl matches the cursor movements of the line editor.
var terminalControl = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|[\x08\r]`)

// screenText is what terminal output leaves on the screen, roughly: the
// line editor redraws the line after each key (clear to the end, \x1b[J,
// then the prompt and the line so far), so of each line only the last
// redraw counts; prompts are left out.
func screenText(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.LastIndex(l, "\x1b[J"); i >= 0 {
			l = l[i:]
		}
		l = terminalControl.ReplaceAllString(l, "")
		l = strings.TrimSpace(promptRe.ReplaceAllString(l, ""))
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// drain consumes everything left on dest directly from the broker (not
// through the proxy), with go-stomp, until idle passes without a message.
func (h *harness) drain(dest string, idle time.Duration) ([]string, error) {
	opts := []func(*stomp.Conn) error{stomp.ConnOpt.HeartBeat(0, 0), stomp.ConnOpt.Logger(quiet{})}
	if h.broker.Login != "" {
		opts = append(opts, stomp.ConnOpt.Login(h.broker.Login, h.broker.Passcode))
	}
	if h.broker.Vhost != "" {
		opts = append(opts, stomp.ConnOpt.Host(h.broker.Vhost))
	}
	conn, err := stomp.Dial("tcp", h.broker.Addr(), opts...)
	if err != nil {
		return nil, fmt.Errorf("drain %s: %v", dest, err)
	}
	defer conn.Disconnect()
	sub, err := conn.Subscribe(dest, stomp.AckClientIndividual)
	if err != nil {
		return nil, fmt.Errorf("drain %s: %v", dest, err)
	}
	var bodies []string
	for {
		select {
		case m, ok := <-sub.C:
			if !ok || m.Err != nil {
				return bodies, fmt.Errorf("drain %s: subscription ended: %v", dest, m)
			}
			bodies = append(bodies, string(bytes.TrimSpace(m.Body)))
			if err := conn.Ack(m); err != nil {
				return bodies, fmt.Errorf("drain %s: ack: %v", dest, err)
			}
		case <-time.After(idle):
			return bodies, nil // Disconnect ends the subscription
		}
	}
}

// quiet keeps go-stomp from logging the end of the drain's subscription.
type quiet struct{}

func (quiet) Debugf(string, ...any)   {}
func (quiet) Infof(string, ...any)    {}
func (quiet) Warningf(string, ...any) {}
func (quiet) Errorf(string, ...any)   {}
func (quiet) Debug(string)            {}
func (quiet) Info(string)             {}
func (quiet) Warning(string)          {}
func (quiet) Error(string)            {}

// waitUntil polls cond every 50ms for up to d.
func waitUntil(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// writeFile writes a file in the run's directory and returns its path.
func (h *harness) writeFile(name, content string) string {
	p := filepath.Join(h.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o700); err != nil {
		h.t.Fatal(err)
	}
	return p
}
