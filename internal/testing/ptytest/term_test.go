package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

// Screen size of every pane: rows x columns.
const (
	rows = 30
	cols = 120
)

// waitTimeout bounds every wait for the screen to show something.
const waitTimeout = 10 * time.Second

// Term is one stomp shell on a terminal: a real one, a tmux pane of its
// own tmux server (Start), or a virtual one in this process (InProcess).
type Term struct {
	t *testing.T
	display
}

// display is the terminal a Term runs on.
type display interface {
	screen() []string   // the visible rows, trailing blanks trimmed
	scrollback() string // the scrollback and the screen
	cursor() (x, y int) // column and row, from 0
	typeText(text string)
	keys(keys ...string) // named: Enter, Tab, Up, C-c, C-d, C-u
	exitStatus() (code int, exited bool)
	goroutines() string // for a failure message about a hung stomp
}

// pane is a tmux pane running the stomp binary.
type pane struct {
	t      *testing.T
	socket string // tmux -L name
	tmpdir string // TMUX_TMPDIR: where the server's socket lives
	status string // file the wrapper writes stomp's exit status to
}

// Env is what a stomp process sees: a state dir and a home of its own.
type Env struct {
	Home  string // HOME
	State string // XDG_STATE_HOME ("" leaves it unset)
}

// NewEnv makes a fresh home and state dir for one test.
func NewEnv(t *testing.T) Env {
	dir := t.TempDir()
	e := Env{Home: filepath.Join(dir, "home"), State: filepath.Join(dir, "state")}
	for _, d := range []string{e.Home, e.State} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// HistoryFile is where stomp keeps its history in this environment.
func (e Env) HistoryFile() string {
	if e.State == "" {
		return filepath.Join(e.Home, ".local", "state", "stomp", "history")
	}
	return filepath.Join(e.State, "stomp", "history")
}

// Start runs stomp with args in a new rows x cols pane.
func Start(t *testing.T, env Env, args ...string) *Term {
	t.Helper()
	if tmuxBin == "" {
		const why = "tmux is not installed: the pseudo-terminal tests need it (scripts/brokers/install.sh)"
		testenv.Missing(t, why)
	}
	// A short private directory: socket paths are limited to ~100 bytes.
	tmpdir, err := os.MkdirTemp("", "ptyt")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tmpdir, "tmux.conf")
	err = os.WriteFile(conf, []byte(strings.Join([]string{
		"set -g remain-on-exit on", // keep the screen and exit status of a finished stomp
		"set -g history-limit 20000",
		"set -g status off", // every row is the pane's
		"set -g default-terminal xterm",
		"set -sg escape-time 0",
		"",
	}, "\n")), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tm := &pane{t: t, socket: "stomp-ptytest", tmpdir: tmpdir, status: filepath.Join(tmpdir, "status")}
	t.Cleanup(tm.close)

	// env -i: the process sees only what we give it, not the test's
	// environment (no STOMP_TEST_*, no real home).
	argv := []string{"env", "-i",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + env.Home,
		"NO_COLOR=1",
		"TERM=xterm",
		"LANG=C.UTF-8",
		"STOMP_PTYTEST_STATUS=" + tm.status,
	}
	if env.State != "" {
		argv = append(argv, "XDG_STATE_HOME="+env.State)
	}
	// The exit status comes through a file: the tmux server does not
	// always reap its pane's process at once, leaving pane_dead unset for
	// seconds, so #{pane_dead_status} cannot be relied on.
	// The wrapper traps SIGINT so that a Ctrl-C that reaches the whole
	// foreground group (while a shell command runs) leaves it alive to
	// record stomp's status; a trap, unlike an ignored signal, is not
	// inherited by stomp.
	argv = append(argv, "/bin/sh", "-c", `trap : INT; "$0" "$@"; echo $? >"$STOMP_PTYTEST_STATUS.tmp"; mv "$STOMP_PTYTEST_STATUS.tmp" "$STOMP_PTYTEST_STATUS"`,
		stompBin)
	argv = append(argv, args...)
	tm.tmux(append([]string{"-f", conf, "new-session", "-d",
		"-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), "-c", env.Home}, argv...)...)
	return &Term{t: t, display: tm}
}

func (tm *pane) close() {
	cmd := exec.Command(tmuxBin, "-L", tm.socket, "kill-server")
	cmd.Env = tm.env()
	_ = cmd.Run()
	_ = os.RemoveAll(tm.tmpdir)
}

func (tm *pane) env() []string {
	return append(os.Environ(), "TMUX_TMPDIR="+tm.tmpdir, "TMUX=")
}

// tmux runs a tmux command against this test's server and returns its output.
func (tm *pane) tmux(args ...string) string {
	tm.t.Helper()
	cmd := exec.Command(tmuxBin, append([]string{"-L", tm.socket}, args...)...)
	cmd.Env = tm.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tm.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// tmux runs a tmux command against the pane of a Term started with Start.
func (tm *Term) tmux(args ...string) string {
	tm.t.Helper()
	p, ok := tm.display.(*pane)
	if !ok {
		tm.t.Fatal("a tmux command on a terminal that is not a tmux pane")
	}
	return p.tmux(args...)
}

func (tm *pane) typeText(text string) { tm.tmux("send-keys", "-l", text) }

func (tm *pane) keys(keys ...string) { tm.tmux(append([]string{"send-keys"}, keys...)...) }

// Type types text literally (no key names), without Enter.
func (tm *Term) Type(text string) {
	tm.t.Helper()
	tm.typeText(text)
}

// Keys presses named keys: Enter, Tab, Up, C-c, C-d, C-u.
func (tm *Term) Keys(keys ...string) {
	tm.t.Helper()
	tm.keys(keys...)
}

// Line types text and presses Enter.
func (tm *Term) Line(text string) {
	tm.t.Helper()
	tm.Type(text)
	tm.Keys("Enter")
}

// Screen is what the terminal shows now: its rows, trailing blanks trimmed.
func (tm *Term) Screen() []string {
	tm.t.Helper()
	return tm.screen()
}

func (tm *pane) screen() []string {
	lines := strings.Split(strings.TrimSuffix(tm.tmux("capture-pane", "-p"), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

// All is the scrollback and the screen, as one text.
func (tm *Term) All() string {
	tm.t.Helper()
	return tm.scrollback()
}

func (tm *pane) scrollback() string { return tm.tmux("capture-pane", "-p", "-S", "-") }

// Cursor is the cursor's column and row (from 0).
func (tm *Term) Cursor() (x, y int) {
	tm.t.Helper()
	return tm.cursor()
}

func (tm *pane) cursor() (x, y int) {
	out := strings.Fields(tm.tmux("display-message", "-p", "#{cursor_x} #{cursor_y}"))
	if len(out) != 2 {
		tm.t.Fatalf("cursor: %q", out)
	}
	x, _ = strconv.Atoi(out[0])
	y, _ = strconv.Atoi(out[1])
	return x, y
}

// Dump is the screen framed for a failure message.
func (tm *Term) Dump() string {
	var b strings.Builder
	b.WriteString("+" + strings.Repeat("-", cols) + "+\n")
	screen := tm.Screen()
	for _, l := range screen[:lastNonBlankRow(screen)+1] {
		fmt.Fprintf(&b, "|%-*s|\n", cols, l)
	}
	b.WriteString("+" + strings.Repeat("-", cols) + "+")
	return b.String()
}

// Wait polls until ok(screen) holds, or fails the test with the screen.
func (tm *Term) Wait(what string, ok func(screen []string) bool) []string {
	tm.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s := tm.Screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %v the screen does not show %s:\n%s", waitTimeout, what, tm.Dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitLine waits until some screen line is exactly line.
func (tm *Term) WaitLine(line string) {
	tm.t.Helper()
	tm.Wait(fmt.Sprintf("the line %q", line), func(s []string) bool { return hasLine(s, line) })
}

// WaitContains waits until some screen line contains sub.
func (tm *Term) WaitContains(sub string) {
	tm.t.Helper()
	tm.Wait(fmt.Sprintf("%q", sub), func(s []string) bool { return strings.Contains(strings.Join(s, "\n"), sub) })
}

// WaitScrollback waits until some line of the scrollback or screen is exactly line.
func (tm *Term) WaitScrollback(line string) {
	tm.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for countLines(tm.All(), line) == 0 {
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %v neither the screen nor the scrollback has the line %q:\n%s", waitTimeout, line, tm.Dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// prompt is what the shell shows when connected with STOMP 1.2 to 127.0.0.1,
// as every broker in these tests is.
const prompt = "127.0.0.1 1.2> "

// WaitPrompt waits until the last line of the screen is the prompt followed by text
// (and nothing else but the shell's hint of the arguments still to type),
// with the cursor right after it.
func (tm *Term) WaitPrompt(text string) {
	tm.t.Helper()
	want := strings.TrimRight(prompt+text, " ")
	tm.Wait(fmt.Sprintf("the prompt %q as its last line", want), func(s []string) bool {
		last := lastNonBlank(s)
		if last != want && !(strings.HasPrefix(last, prompt+text) && hintRE.MatchString(last[len(prompt+text):])) {
			return false
		}
		x, y := tm.Cursor()
		return y == lastNonBlankRow(s) && x == len(prompt+text)
	})
}

// hintRE matches the shell's hint after the cursor: " <destination> [ack]".
var hintRE = regexp.MustCompile(`^ ?([<\[][^ ]+[>\]] ?)+$`)

// Exited waits for stomp to end and returns its exit status.
func (tm *Term) Exited() int {
	tm.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if code, exited := tm.exitStatus(); exited {
			return code
		}
		if time.Now().After(deadline) {
			screen := tm.Dump()
			tm.t.Fatalf("stomp still running after %v:\n%s\n%s", waitTimeout, screen, tm.goroutines())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (tm *pane) exitStatus() (code int, exited bool) {
	b, err := os.ReadFile(tm.status)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tm.t.Fatalf("exit status %q", b)
	}
	return n, true
}

// goroutines makes the hung stomp print its goroutines (SIGQUIT) and
// returns them, for the failure message.
func (tm *pane) goroutines() string {
	// The pane runs sh, which runs stomp.
	pid := strings.TrimSpace(tm.tmux("display-message", "-p", "#{pane_pid}"))
	if err := exec.Command("pkill", "-QUIT", "-P", pid).Run(); err != nil {
		return "(no goroutine dump: " + err.Error() + ")"
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, exited := tm.exitStatus(); !exited && time.Now().Before(deadline); _, exited = tm.exitStatus() {
		time.Sleep(20 * time.Millisecond)
	}
	return "goroutines of the hung stomp (SIGQUIT):\n" + tm.scrollback()
}

// Running says whether stomp is still running.
func (tm *Term) Running() bool {
	_, exited := tm.exitStatus()
	return !exited
}

var embeddedRE = regexp.MustCompile(`Connected to the embedded broker on (127\.0\.0\.1):(\d+) `)

// EmbeddedAddr waits for the embedded broker's banner and returns its host and port.
func (tm *Term) EmbeddedAddr() (host, port string) {
	tm.t.Helper()
	var m []string
	tm.Wait("the embedded broker's address", func(s []string) bool {
		m = embeddedRE.FindStringSubmatch(strings.Join(s, "\n"))
		return m != nil
	})
	return m[1], m[2]
}

func hasLine(s []string, line string) bool {
	for _, l := range s {
		if l == line {
			return true
		}
	}
	return false
}

func lastNonBlankRow(s []string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != "" {
			return i
		}
	}
	return -1
}

func lastNonBlank(s []string) string {
	if i := lastNonBlankRow(s); i >= 0 {
		return s[i]
	}
	return ""
}

// countLines counts the lines of text that are exactly line.
func countLines(text, line string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimRight(l, " ") == line {
			n++
		}
	}
	return n
}
