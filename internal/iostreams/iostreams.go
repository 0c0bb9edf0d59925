// Package iostreams is what a run reads, writes and knows about where it
// runs: the three standard streams and whether each is a terminal, the
// colour decision, the password prompt, the environment, and the config and
// state directories. System gives the process's own; Test gives in-memory
// streams, a terminal state to set and an environment of its own, so a
// command (the interactive shell too) runs in a test as it runs for a user.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/stomp-cli/stomp/internal/secret"
)

// IOStreams is one run's streams and surroundings.
type IOStreams struct {
	In  io.Reader // standard input
	Out io.Writer // standard output
	Err io.Writer // standard error

	stdinTTY, stdoutTTY, stderrTTY bool
	// system: the streams are the process's own, so the terminal is a
	// real one that line editing puts in raw mode itself.
	system bool
	width  int // terminal columns, when not asked of the terminal

	colorDisabled bool // --no-color

	getenv      func(string) string
	env         map[string]string // Test's environment
	askPassword func(prompt string) (string, error)
}

// System is the process's standard streams, environment and terminal.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		stdinTTY:    isTerminal(os.Stdin),
		stdoutTTY:   isTerminal(os.Stdout),
		stderrTTY:   isTerminal(os.Stderr),
		system:      true,
		getenv:      os.Getenv,
		askPassword: secret.Prompt,
	}
}

// Test is a run in memory: empty standard input (set In for more), output
// and errors collected in the two buffers returned, no terminal (see
// SetStdinTTY...), an empty environment (see SetEnv) and no terminal to
// ask a password on (see SetPasswordPrompt).
func Test() (ios *IOStreams, out, errOut *Buffer) {
	out, errOut = &Buffer{}, &Buffer{}
	ios = &IOStreams{In: strings.NewReader(""), Out: out, Err: errOut, width: 80, env: map[string]string{}}
	ios.getenv = func(k string) string { return ios.env[k] }
	ios.askPassword = func(string) (string, error) { return "", secret.ErrNoTerminal }
	return ios, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdinTTY says whether standard input is a terminal (a person typing).
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY says whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY says whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY says whether standard input is to be taken for a terminal.
func (s *IOStreams) SetStdinTTY(tty bool) { s.stdinTTY = tty }

// SetStdoutTTY says whether standard output is to be taken for a terminal.
func (s *IOStreams) SetStdoutTTY(tty bool) { s.stdoutTTY = tty }

// SetStderrTTY says whether standard error is to be taken for a terminal.
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }

// RealTerminal says whether standard input is the process's own terminal,
// which line editing must put in raw mode (a test's stands in for one and
// needs no such thing).
func (s *IOStreams) RealTerminal() bool { return s.system && s.stdinTTY }

// TerminalWidth is the terminal's width in columns (80 when unknown).
func (s *IOStreams) TerminalWidth() int {
	if f, ok := s.Out.(*os.File); ok && s.system {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if s.width > 0 {
		return s.width
	}
	return 80
}

// SetTerminalWidth sets the width a test's terminal has.
func (s *IOStreams) SetTerminalWidth(cols int) { s.width = cols }

// SetColorDisabled turns colour off whatever the terminal (--no-color).
func (s *IOStreams) SetColorDisabled(off bool) { s.colorDisabled = off }

// ColorEnabled says whether standard output is coloured: only on a
// terminal, and neither --no-color nor NO_COLOR (https://no-color.org)
// was given.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && s.colorAllowed() }

// ErrColorEnabled is ColorEnabled for standard error.
func (s *IOStreams) ErrColorEnabled() bool { return s.stderrTTY && s.colorAllowed() }

func (s *IOStreams) colorAllowed() bool { return !s.colorDisabled && s.getenv("NO_COLOR") == "" }

// Getenv is the environment variable k ("" when unset).
func (s *IOStreams) Getenv(k string) string { return s.getenv(k) }

// SetEnv sets a variable of a Test environment.
func (s *IOStreams) SetEnv(k, v string) {
	if s.env == nil {
		panic("iostreams: SetEnv on the process's environment")
	}
	s.env[k] = v
}

// AskPassword asks for a password on the terminal, without echo; it fails
// with secret.ErrNoTerminal when there is none to ask on.
func (s *IOStreams) AskPassword(prompt string) (string, error) { return s.askPassword(prompt) }

// SetPasswordPrompt replaces the terminal a password is asked on.
func (s *IOStreams) SetPasswordPrompt(ask func(prompt string) (string, error)) { s.askPassword = ask }

// configDir is where stomp's configuration lives: $XDG_CONFIG_HOME/stomp,
// else ~/.config/stomp; "" when no home is known. A relative
// XDG_CONFIG_HOME is ignored, as the XDG spec says.
func (s *IOStreams) configDir() string { return s.xdgDir("XDG_CONFIG_HOME", ".config") }

// stateDir is where stomp keeps what it learns between runs (the shell's
// history): $XDG_STATE_HOME/stomp, else ~/.local/state/stomp; "" when no
// home is known.
func (s *IOStreams) stateDir() string {
	return s.xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state"))
}

// ContextsFile is the file of named connections (--context): config.toml
// in $XDG_CONFIG_HOME/stomp, else ~/.config/stomp (configDir); "" when no
// home is known.
func (s *IOStreams) ContextsFile() string { return inDir(s.configDir(), "config.toml") }

// HistoryFile is the shell's history: history in $XDG_STATE_HOME/stomp,
// else ~/.local/state/stomp (stateDir); "" when no home is known.
func (s *IOStreams) HistoryFile() string { return inDir(s.stateDir(), "history") }

func (s *IOStreams) xdgDir(variable, underHome string) string {
	dir := s.getenv(variable)
	if dir == "" || !filepath.IsAbs(dir) {
		home := s.getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, underHome)
	}
	return filepath.Join(dir, "stomp")
}

func inDir(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// Buffer is an output stream in memory that may be written and read at
// the same time (Test's output and errors).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
