package shell

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/chzyer/readline"
	"github.com/chzyer/readline/runes"

	"github.com/stomp-cli/stomp/internal/iostreams"
)

// Terminal reads lines with line editing and history (chzyer/readline).
// Output written through Stdout and Stderr appears above the prompt, and
// the half-typed line is redrawn after it.
type Terminal struct {
	rl          *readline.Instance
	historyPath string
	prompting   atomic.Bool // inside ReadLine: a prompt is (or is about to be) on screen
	prompt      func() string
	closeOnce   sync.Once
	stdin       *interruptibleStdin
	secrets     []string
	promptWidth atomic.Int64 // of the prompt shown, for the hint painter
	width       func() int   // the terminal's, in columns

	// submitting is held from the Enter that ends a line until ReadLine
	// has the line, and output waits for it (aboveprompt): meanwhile
	// readline empties its line buffer without its lock, while its writer
	// redraws that buffer under the lock (a data race in chzyer/readline
	// 1.5.1, RuneBuffer.Reset against Refresh, seen under -race).
	submitting sync.Mutex
	submitHeld atomic.Bool
}

// TerminalConfig configures the interactive reader.
type TerminalConfig struct {
	// Prompt is asked for the prompt before each line, so it can show
	// where the user is (host, protocol, transaction, connection state).
	Prompt      func() string
	HistoryPath string // "" keeps no history
	// Secrets (the password in use) never reach the history file either,
	// whatever the line around them says.
	Secrets   []string
	Completer readline.AutoCompleter
	// Hint, when set, gives the dimmed text shown after the line being
	// typed (a command's arguments not typed yet).
	Hint func(line string) string
	// Streams is the terminal: its input, output, errors, whether it is
	// one and its width. A test's (iostreams.Test, with SetStdinTTY and
	// SetStdoutTTY) stands in for a terminal that needs no raw mode.
	Streams *iostreams.IOStreams
}

// historyLimit bounds the history file.
const historyLimit = 1000

// NewTerminal starts line editing on the terminal.
func NewTerminal(cfg TerminalConfig) (*Terminal, error) {
	ios := cfg.Streams
	stdin := newInterruptibleStdin(ios.In)
	rc := &readline.Config{
		Prompt:                 cfg.Prompt(),
		HistoryLimit:           historyLimit,
		DisableAutoSaveHistory: true, // we filter secrets before saving
		HistorySearchFold:      true,
		AutoComplete:           cfg.Completer,
		InterruptPrompt:        "^C",
		EOFPrompt:              "quit",
		Stdin:                  stdin,
		Stdout:                 ios.Out,
		Stderr:                 ios.Err,
		FuncIsTerminal:         func() bool { return ios.IsStdinTTY() && (ios.IsStdoutTTY() || ios.IsStderrTTY()) }, // readline's own test
		FuncGetWidth:           ios.TerminalWidth,
	}
	if !ios.RealTerminal() {
		// Nothing to put in raw mode, no window to watch.
		rc.FuncMakeRaw = func() error { return nil }
		rc.FuncExitRaw = func() error { return nil }
		rc.FuncOnWidthChanged = func(func()) {}
	}
	if cfg.HistoryPath != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.HistoryPath), 0o700); err == nil {
			rc.HistoryFile = cfg.HistoryPath
		}
	}
	t := &Terminal{historyPath: rc.HistoryFile, prompt: cfg.Prompt, stdin: stdin, secrets: cfg.Secrets, width: ios.TerminalWidth}
	rc.FuncFilterInputRune = t.filterRune
	if cfg.Hint != nil {
		rc.Painter = &hintPainter{t: t, hint: cfg.Hint}
	}
	rl, err := readline.NewEx(rc)
	if err != nil {
		return nil, err
	}
	t.rl = rl
	if rc.HistoryFile != "" {
		_ = os.Chmod(rc.HistoryFile, 0o600)
	}
	return t, nil
}

// hintPainter draws the hint after the line, dimmed, and puts the cursor
// back at the end of the line. readline erases from the cursor to the end
// of the screen before each redraw, so a hint never outlives its line; it
// is shown only with the cursor at the end of a line it fits on, since
// readline reckons line wrapping without it.
type hintPainter struct {
	t    *Terminal
	hint func(line string) string
}

func (p *hintPainter) Paint(line []rune, pos int) []rune {
	if pos != len(line) {
		return line
	}
	h := p.hint(string(line))
	if h == "" {
		return line
	}
	n := utf8.RuneCountInString(h)
	width := p.t.width()
	if width <= 0 || int(p.t.promptWidth.Load())+runes.WidthAll(line)+n >= width {
		return line
	}
	out := make([]rune, 0, len(line)+n+16)
	out = append(out, line...)
	return append(out, []rune("\x1b[2m"+h+"\x1b[0m\x1b["+strconv.Itoa(n)+"D")...)
}

// setPrompt shows p as the prompt from the next redraw on.
func (t *Terminal) setPrompt(p string) {
	t.promptWidth.Store(int64(runes.WidthAll([]rune(p))))
	t.rl.SetPrompt(p)
}

func (t *Terminal) secret(line string) bool {
	if secretLine.MatchString(line) {
		return true
	}
	for _, s := range t.secrets {
		if s != "" && strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// secretLine matches lines that must never reach the history file.
var secretLine = regexp.MustCompile(`(?i)pass(word|code)|secret|token`)

// ReadLine returns the next line; ErrInterrupted for Ctrl-C (with the line
// that was cleared), io.EOF for Ctrl-D on an empty line.
func (t *Terminal) ReadLine() (string, error) {
	t.setPrompt(t.prompt())
	t.prompting.Store(true)
	line, err := t.rl.Readline()
	t.prompting.Store(false) // first: an Enter typed ahead then takes nothing (filterRune)
	if t.submitHeld.Swap(false) {
		t.submitting.Unlock()
	}
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return line, ErrInterrupted
	case err != nil:
		return "", err
	}
	if line != "" && t.historyPath != "" && !t.secret(line) {
		_ = t.rl.SaveHistory(line)
	}
	return line, nil
}

// UpdatePrompt redraws the prompt at once, for a change that happened
// while the user was typing (the connection was lost, say).
func (t *Terminal) UpdatePrompt() {
	t.setPrompt(t.prompt())
	t.rl.Refresh()
}

// Stdout writes above the prompt.
func (t *Terminal) Stdout() io.Writer { return &aboveprompt{t: t, w: t.rl.Stdout()} }

// Stderr writes above the prompt.
func (t *Terminal) Stderr() io.Writer { return &aboveprompt{t: t, w: t.rl.Stderr()} }

// aboveprompt writes output above the prompt and redraws the line being
// typed. readline's own writer does so only once its reader goroutine has
// started reading, which is a little after it drew the prompt: output in
// that window would land after the prompt and leave the screen with no
// prompt at all. So while a prompt is being drawn we wait (briefly) for
// readline to be reading.
type aboveprompt struct {
	t *Terminal
	w io.Writer
}

func (a *aboveprompt) Write(b []byte) (int, error) {
	for i := 0; i < 200 && a.t.prompting.Load() && !a.t.rl.Terminal.IsReading(); i++ {
		time.Sleep(500 * time.Microsecond)
	}
	a.t.submitting.Lock()
	defer a.t.submitting.Unlock()
	return a.w.Write(b)
}

// filterRune runs on readline's input goroutine before each key is
// handled. An Enter that submits the line at a prompt takes submitting
// (released by ReadLine once it has the line); an Enter that picks a Tab
// completion submits nothing. Lines pasted at once must not hold it past
// their prompt: the command the first one runs writes output, and the
// next prompt, which releases it, comes only after that command.
func (t *Terminal) filterRune(r rune) (rune, bool) {
	if (r == readline.CharEnter || r == readline.CharCtrlJ) && t.prompting.Load() && !t.rl.Operation.IsInCompleteSelectMode() {
		t.submitting.Lock()
		if !t.prompting.Load() { // the prompt ended while we waited
			t.submitting.Unlock()
			return r, true
		}
		t.submitHeld.Store(true)
	}
	return r, true
}

// Interrupt makes a ReadLine in progress return ErrInterrupted, as if the
// user pressed Ctrl-C. (readline's Close and WriteStdin both wait for the
// next key press, so the input itself is made interruptible.)
func (t *Terminal) Interrupt() {
	select {
	case t.stdin.interrupt <- struct{}{}:
	default:
	}
}

// interruptibleStdin feeds readline from standard input, or a Ctrl-C byte
// when interrupted.
type interruptibleStdin struct {
	data      chan []byte
	interrupt chan struct{}
	pending   []byte
}

func newInterruptibleStdin(r io.Reader) *interruptibleStdin {
	in := &interruptibleStdin{data: make(chan []byte), interrupt: make(chan struct{}, 1)}
	go func() { // lives as long as standard input: it is the process's
		defer close(in.data)
		for {
			buf := make([]byte, 1024)
			n, err := r.Read(buf)
			if n > 0 {
				in.data <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return in
}

func (in *interruptibleStdin) Read(p []byte) (int, error) {
	if len(in.pending) == 0 {
		select {
		case b, ok := <-in.data:
			if !ok {
				return 0, io.EOF
			}
			in.pending = b
		case <-in.interrupt:
			return copy(p, []byte{3}), nil
		}
	}
	n := copy(p, in.pending)
	in.pending = in.pending[n:]
	return n, nil
}

func (in *interruptibleStdin) Close() error { return nil }

// Close restores the terminal. It may be called more than once.
func (t *Terminal) Close() error {
	var err error
	t.closeOnce.Do(func() { err = t.rl.Close() })
	return err
}
