package ptytest

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hinshun/vt10x"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

// virtualRows is the height of the in-process terminal: tall enough that
// nothing a test does scrolls off it, so the screen is the scrollback too.
const virtualRows = 500

// virtual is stomp's shell run in this process (cmd.Run) on iostreams.Test
// streams that say they are a terminal, its output drawn by a terminal
// emulator (vt10x). Line editing, completion, history and the prompt are
// readline's as on a real terminal; raw mode, signals and the process's
// own terminal are not there: the tests of those use a tmux pane.
type virtual struct {
	in   *io.PipeWriter
	vt   vt10x.Terminal
	mu   sync.Mutex // guards code and exited
	code int
	done chan struct{}
}

// InProcess runs stomp's shell with args in this process, on a virtual
// rows x cols terminal, in env.
func InProcess(t *testing.T, env Env, args ...string) *Term {
	t.Helper()
	stdio, _, _ := iostreams.Test()
	inR, inW := io.Pipe()
	v := &virtual{in: inW, vt: vt10x.New(vt10x.WithSize(cols, virtualRows)), done: make(chan struct{})}
	out := &onlcr{w: v.vt}
	stdio.In, stdio.Out, stdio.Err = inR, out, out
	stdio.SetStdinTTY(true)
	stdio.SetStdoutTTY(true)
	stdio.SetStderrTTY(true)
	stdio.SetTerminalWidth(cols)
	stdio.SetEnv("HOME", env.Home)
	if env.State != "" {
		stdio.SetEnv("XDG_STATE_HOME", env.State)
	}
	stdio.SetEnv("NO_COLOR", "1")
	go func() {
		code := cmd.Run(context.Background(), args, stdio)
		v.mu.Lock()
		v.code = code
		v.mu.Unlock()
		close(v.done)
	}()
	t.Cleanup(func() {
		inW.Close() // end of input: the shell leaves, as for Ctrl-D
		select {
		case <-v.done:
		case <-time.After(waitTimeout):
			t.Errorf("the in-process shell did not end within %v of its input closing", waitTimeout)
		}
	})
	return &Term{t: t, display: v}
}

// onlcr turns "\n" into "\r\n" on the way to the screen, as a terminal's
// line discipline does (readline leaves output processing on in raw
// mode). The emulator serializes the writes.
type onlcr struct{ w io.Writer }

func (o *onlcr) Write(p []byte) (int, error) {
	if _, err := o.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (v *virtual) screen() []string {
	lines := strings.Split(strings.TrimSuffix(v.vt.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

func (v *virtual) scrollback() string { return strings.Join(v.screen(), "\n") }

func (v *virtual) cursor() (x, y int) {
	v.vt.Lock()
	defer v.vt.Unlock()
	c := v.vt.Cursor()
	return c.X, c.Y
}

func (v *virtual) typeText(text string) { _, _ = io.WriteString(v.in, text) }

// keyBytes are what a terminal sends for the named keys.
var keyBytes = map[string]string{
	"Enter": "\r", "Tab": "\t", "Up": "\x1b[A", "Down": "\x1b[B",
	"C-c": "\x03", "C-d": "\x04", "C-u": "\x15",
}

func (v *virtual) keys(keys ...string) {
	for _, k := range keys {
		b, ok := keyBytes[k]
		if !ok {
			panic("ptytest: no bytes for the key " + k)
		}
		v.typeText(b)
	}
}

func (v *virtual) exitStatus() (code int, exited bool) {
	select {
	case <-v.done:
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.code, true
	default:
		return 0, false
	}
}

func (v *virtual) goroutines() string {
	buf := make([]byte, 1<<20)
	return "goroutines of this process:\n" + string(buf[:runtime.Stack(buf, true)])
}
