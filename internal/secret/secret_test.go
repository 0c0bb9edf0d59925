package secret

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestUnsafe(t *testing.T) {
	for pass, want := range map[string]bool{"guest": false, "a:b": true, `a\b`: true, "a\nb": true, "a\rb": true, "p@ss w0rd!": false} {
		if got := Unsafe(pass); got != want {
			t.Errorf("Unsafe(%q) = %v", pass, got)
		}
	}
}

func TestPromptWithoutTerminal(t *testing.T) {
	old := TTYPath
	t.Cleanup(func() { TTYPath = old })
	TTYPath = filepath.Join(t.TempDir(), "no-tty")
	if _, err := Prompt("Password: "); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("err = %v", err)
	}
}
