package iostreams

import (
	"errors"
	"testing"

	"github.com/stomp-cli/stomp/internal/secret"
)

func TestDirectories(t *testing.T) {
	ios, _, _ := Test()
	for _, c := range []struct {
		env               map[string]string
		contexts, history string
	}{
		{nil, "", ""}, // no home known
		{map[string]string{"HOME": "/home/u"}, "/home/u/.config/stomp/config.toml", "/home/u/.local/state/stomp/history"},
		{map[string]string{"XDG_CONFIG_HOME": "/xdg", "XDG_STATE_HOME": "/state"}, "/xdg/stomp/config.toml", "/state/stomp/history"},
		// The XDG spec: a relative path is ignored.
		{map[string]string{"XDG_CONFIG_HOME": "rel", "XDG_STATE_HOME": "rel"}, "/home/u/.config/stomp/config.toml", "/home/u/.local/state/stomp/history"},
	} {
		for k, v := range c.env {
			ios.SetEnv(k, v)
		}
		if got := ios.ContextsFile(); got != c.contexts {
			t.Errorf("%v: contexts file %q, want %q", c.env, got, c.contexts)
		}
		if got := ios.HistoryFile(); got != c.history {
			t.Errorf("%v: history file %q, want %q", c.env, got, c.history)
		}
	}
}

// Colour only on a terminal, and never with --no-color or NO_COLOR.
func TestColorDecision(t *testing.T) {
	ios, _, _ := Test()
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Error("colour on a pipe")
	}
	ios.SetStdoutTTY(true)
	if !ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Errorf("stdout a terminal: colour %v, stderr %v; want on, off", ios.ColorEnabled(), ios.ErrColorEnabled())
	}
	ios.SetStderrTTY(true)
	ios.SetColorDisabled(true)
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Error("colour with --no-color")
	}
	ios.SetColorDisabled(false)
	ios.SetEnv("NO_COLOR", "1")
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Error("colour with NO_COLOR")
	}
}

func TestTestHasNoTerminal(t *testing.T) {
	ios, _, _ := Test()
	if ios.IsStdinTTY() || ios.RealTerminal() {
		t.Error("Test's input is a terminal")
	}
	ios.SetStdinTTY(true)
	if !ios.IsStdinTTY() || ios.RealTerminal() {
		t.Error("a Test terminal must stand in for one, not be the process's")
	}
	if _, err := ios.AskPassword("Password: "); !errors.Is(err, secret.ErrNoTerminal) {
		t.Errorf("asking a password in a test: %v, want ErrNoTerminal", err)
	}
	if ios.Getenv("HOME") != "" {
		t.Error("Test's environment is the process's")
	}
}
