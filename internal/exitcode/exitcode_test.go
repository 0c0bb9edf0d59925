package exitcode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// README.md's table is the one users read: it must say what Table says.
func TestReadmeTableMatches(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit codes" section`)
	}
	if !strings.Contains(section, "\n"+readmeTable()) {
		t.Errorf("README.md's exit code table differs from internal/exitcode.Table; it should read:\n\n%s", readmeTable())
	}
}

// readmeTable is Table as README.md shows it.
func readmeTable() string {
	var b strings.Builder
	b.WriteString("| code | meaning |\n|---|---|\n")
	for _, e := range Table {
		fmt.Fprintf(&b, "| %d | %s |\n", e.Code, e.Meaning)
	}
	return b.String()
}

func TestCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), 1},
		{context.Canceled, 1},
		{Usagef("bad"), 2},
		{fmt.Errorf("script, line 3: %w", Usagef("bad")), 2},
		{fmt.Errorf("line 2: %w", Timeoutf("wait")), 3},
		{Wrap(NotConnected, errors.New("not connected")), 1},
		{Wrap(Unconfirmed, Wrap(Timeout, errors.New("no receipt"))), 1},
		{Shown(Wrap(LoginRefused, errors.New("shown"))), 77},
		{&Stopped{Signal: os.Interrupt}, 130},
		{Wrap(Unreachable, errors.New("refused")), 75},
		{fmt.Errorf("x: %w", Wrap(LoginRefused, errors.New("no"))), 77},
		// The outermost kind wins: a timeout while reconnecting to a
		// broker that could not be reached is a timeout.
		{Wrap(Timeout, Wrap(Unreachable, errors.New("down"))), 3},
		{New(Terminated, "terminated"), 143},
	}
	for _, c := range cases {
		if got := Code(c.err); got != c.want {
			t.Errorf("Code(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if Wrap(Usage, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

// Every kind has exactly one exit code.
func TestEveryKindHasOneCode(t *testing.T) {
	for _, k := range []Kind{Failure, Usage, Timeout, NotConnected, Unreachable, LoginRefused, Unconfirmed, Interrupted, Terminated} {
		n := 0
		for _, e := range Table {
			if slices.Contains(e.Kinds, k) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("kind %q is in %d entries of Table, want 1", k, n)
		}
	}
}

// Every code is listed once, in ascending order.
func TestTableOrdered(t *testing.T) {
	for i := 1; i < len(Table); i++ {
		if Table[i].Code <= Table[i-1].Code {
			t.Errorf("Table: %d after %d", Table[i].Code, Table[i-1].Code)
		}
	}
}
