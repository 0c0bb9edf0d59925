package shell

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// newEnv connects to a fresh embedded broker and returns an env whose
// output lands in out.
func newEnv(t *testing.T, out io.Writer) *commands.Env {
	t.Helper()
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	host, port := splitHostPort(t, b.Addr())
	conn, err := client.Dial(context.Background(), client.Endpoint{Host: host, Port: port}, 5*time.Second, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	p := commands.NewPrinter(out, out, render.NewTheme(false))
	return commands.NewEnv(p, session.New(conn, 5*time.Second), render.Style{Separator: true}, "stomp test")
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	t.Fatalf("bad address %q", addr)
	return "", ""
}

func complete(c *Completer, line string) []string {
	got, _ := c.Do([]rune(line), len([]rune(line)))
	var out []string
	for _, g := range got {
		out = append(out, string(g))
	}
	sort.Strings(out)
	return out
}

func TestCompleter(t *testing.T) {
	env := newEnv(t, io.Discard)
	ctx := context.Background()
	if _, err := env.Session.Subscribe(ctx, "/queue/orders", "client", nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Completer{Env: env}
	cases := []struct {
		line string
		want []string
	}{
		{"sub", []string{"scribe "}},
		{"send", []string{" ", "file ", "rec ", "reply "}},
		{"subscribe /queue/o", []string{"rders "}},
		{"send /t", []string{"emp-queue/", "opic/"}},
		{"send --header a=b /queue/", []string{"orders "}},
		{"subscribe /queue/a cl", []string{"ient ", "ient-individual "}},
		{"stats o", []string{"ff ", "n "}},
		{"help unsub", []string{"scribe "}},
		{"sendfile /queue/a " + dir + "/rep", []string{"ort.txt "}},
		{"commit ", nil},
		{"unsubscribe ", []string{"/amq/queue/", "/exchange/", "/queue/", "/queue/orders ", "/temp-queue/", "/topic/", "1 "}},
	}
	for _, tc := range cases {
		if got := complete(c, tc.line); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// Message ids come from the broker: one with terminal escapes is never
// offered, a plain one is.
func TestCompleterLeavesOutControlCharacters(t *testing.T) {
	env := newEnv(t, io.Discard)
	sub, err := env.Session.Subscribe(context.Background(), "/queue/ids", "client-individual", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"plain-1", "evil\x1b]0;pwned\x07", "bidi\u202e1"} {
		env.Session.Observe(frame.New(frame.MESSAGE, frame.MessageId, id, frame.Subscription, sub.ID, frame.Destination, "/queue/ids"))
	}
	if got, want := complete(&Completer{Env: env}, "ack "), []string{"plain-1 "}; !reflect.DeepEqual(got, want) {
		t.Errorf("complete(\"ack \") = %q, want %q", got, want)
	}
}

func TestRunStopsAtFirstFailingLine(t *testing.T) {
	var out bytes.Buffer
	env := newEnv(t, &out)
	script := "echo one\n\n# comment\nnosuch thing\necho two\n"
	err := Run(context.Background(), newScriptReader(bytes.NewBufferString(script)), env, Options{Script: true, Name: "s.txt"})
	se, ok := err.(*ScriptError)
	if !ok || se.Line != 4 || se.File != "s.txt" {
		t.Fatalf("want ScriptError at s.txt line 4, got %v", err)
	}
	if out.String() != "one\n" {
		t.Fatalf("output %q", out.String())
	}
}

func TestInteractiveLoopGoesOnAfterErrors(t *testing.T) {
	var out bytes.Buffer
	env := newEnv(t, &out)
	script := "nosuch\necho still here\nquit\necho not reached\n"
	err := Run(context.Background(), newScriptReader(bytes.NewBufferString(script)), env, Options{})
	if err != ErrQuit {
		t.Fatalf("want ErrQuit, got %v", err)
	}
	want := "Unknown command: nosuch (type help for the list)\nstill here\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}

// Hints show the arguments not typed yet, and each goes as its word begins.
func TestHint(t *testing.T) {
	c := &Completer{Env: newEnv(t, io.Discard)}
	for _, tc := range []struct{ line, want string }{
		{"", ""},
		{"sen", ""},
		{"send", ""}, // sendfile, sendrec, ... too: wait for the space
		{"subscribe", " <destination> [ack]"},
		{"send ", "<destination> <message>"},
		{"send /q", " <message>"},
		{"send /q ", "<message>"},
		{"send /q hi", ""},
		{"send --header a=b ", "<destination> <message>"},
		{"subscribe /queue/a ", "[ack]"},
		{"wait 1 ", "[timeout]"},
		{"commit ", ""},
		{"nosuch ", ""},
		{"send /q\n", ""},
	} {
		if got := c.Hint(tc.line); got != tc.want {
			t.Errorf("Hint(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}
