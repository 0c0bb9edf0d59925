package shell

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunNestsThroughTheLoop: `run` runs a file through the loop that ran
// it (the ScriptRunner the loop gives each call): nested files run, a
// failure is located in the file and line where it happened, quit ends
// only its own file, and a script that runs itself is stopped.
func TestRunNestsThroughTheLoop(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inner := write("inner.txt", "echo inner\nquit\necho not reached\n")
	outer := write("outer.txt", "echo outer\nrun "+inner+"\necho after\n")
	var out bytes.Buffer
	env := newEnv(t, &out)
	if err := runFile(context.Background(), outer, env, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "outer\ninner\nafter\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}

	bad := write("bad.txt", "echo fine\nwait x\n")
	caller := write("caller.txt", "run "+bad+"\n")
	err := runFile(context.Background(), caller, env, Options{})
	var se *ScriptError
	if !errors.As(err, &se) || se.File != bad || se.Line != 2 {
		t.Errorf("a failure in a nested file: %v, want it located at %s, line 2", err, bad)
	}

	self := filepath.Join(dir, "self.txt")
	write("self.txt", "run "+self+"\n")
	if err := runFile(context.Background(), self, env, Options{}); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("a script that runs itself: %v", err)
	}
}

// TestNameNeedsNoSpaceAfterIt: a line's command name ends at its first
// character that cannot be in a name, as in stomp.py (Python's cmd), so
// echo"two  spaces" is echo with one quoted argument; a line with no name,
// or an unknown one, is named by its first word. (script_mode.txtar sends
// and subscribes this way through a broker.)
func TestNameNeedsNoSpaceAfterIt(t *testing.T) {
	var out bytes.Buffer
	env := newEnv(t, &out)
	script := "echo\"two  spaces\"\necho.\n"
	if err := Run(context.Background(), newScriptReader(strings.NewReader(script)), env, Options{Script: true, Name: "s.txt"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "two  spaces\n.\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	for line, want := range map[string]string{
		"sned/queue/glued x": "s.txt, line 1: Unknown command: sned/queue/glued (did you mean send?)",
		"/send x":            "s.txt, line 1: Unknown command: /send (did you mean send?)",
		"!ls -l":             "s.txt, line 1: Unknown command: !ls (type help for the list)",
	} {
		err := Run(context.Background(), newScriptReader(strings.NewReader(line+"\n")), env, Options{Script: true, Name: "s.txt"})
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
}
