package commands

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/render"
)

func texts(words []Word) []string {
	var out []string
	for _, w := range words {
		out = append(out, w.Text)
	}
	return out
}

func TestSplit(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"send /queue/a hello   world  ", []string{"send", "/queue/a", "hello", "world"}},
		{"send /queue/a \"two  spaces\"", []string{"send", "/queue/a", "two  spaces"}},
		{"send /queue/a 'single  quoted'", []string{"send", "/queue/a", "single  quoted"}},
		{`send /q "line\nbreak \"q\" back\\slash"`, []string{"send", "/q", "line\nbreak \"q\" back\\slash"}},
		{"send /q it's fine", []string{"send", "/q", "it's", "fine"}},
		{"send /q \"unterminated quote", []string{"send", "/q", "\"unterminated", "quote"}},
		{`send /q C:\path\file`, []string{"send", "/q", `C:\path\file`}},
		{`send /q ""`, []string{"send", "/q", ""}},
		// A closing quote inside a word does not end a quoted word.
		{`send /q "a b"c`, []string{"send", "/q", `"a`, `b"c`}},
		{`"id","name","city"`, []string{`"id","name","city"`}},
		{"send\t/q\tx\r", []string{"send", "/q", "x"}},
		// Python's whitespace, not only ASCII's.
		{"a\u00a0b\u2003c\x1cd\x1fe\x0bf\x0cg\u0085h\u3000i\u200bj", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i\u200bj"}},
	}
	for _, c := range cases {
		if got := texts(Split(c.line)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// prepared is what a command line gives its command, and the warnings.
func prepared(t *testing.T, line string) ([]string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Out: NewPrinter(&out, &errOut, render.NewTheme(false))}
	words := Split(line)
	spec, ok := Commands().Lookup(words[0].Raw)
	if !ok {
		t.Fatalf("no command %q", words[0].Raw)
	}
	return spec.Prepare(env, words[1:]), errOut.String()
}

// TestQuotesKeepStompPyMeaning: the examples of issue 18 and the README.
func TestQuotesKeepStompPyMeaning(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{`send Q {"order": 42, "items": ["apple", "pear"], "note": "two words"}`,
			[]string{"Q", `{"order":`, "42,", `"items":`, `["apple",`, `"pear"],`, `"note":`, `"two`, `words"}`}},
		{`send Q { "note": "two words" }`, []string{"Q", "{", `"note":`, `"two`, `words"`, "}"}},
		{`send Q "id","name","city"`, []string{"Q", `"id","name","city"`}},
		{`send Q it's a 'test' message`, []string{"Q", "it's", "a", "'test'", "message"}},
		{`send Q he said "hello   there"`, []string{"Q", "he", "said", `"hello`, "there\""}},
		{`send Q "hello"`, []string{"Q", `"hello"`}},
		{`send Q "two words", he said`, []string{"Q", `"two`, `words",`, "he", "said"}},
		{`send Q "two  words" he said`, []string{"Q", `"two`, `words"`, "he", "said"}},
		{`send Q "a\nb"`, []string{"Q", `"a\nb"`}},
		{`send Q <order id="7" note="two words"/>`, []string{"Q", "<order", `id="7"`, `note="two`, `words"/>`}},
		// The whole message quoted with whitespace inside keeps its spaces.
		{`send Q "two  spaces"`, []string{"Q", "two  spaces"}},
		{`send Q 'it is  "so"'`, []string{"Q", `it is  "so"`}},
		{`sendreply Q corr-1 "two  spaces\tand a tab"`, []string{"Q", "corr-1", "two  spaces\tand a tab"}},
		{`send --header "x-note=a b" --header "x-nl=a\nb" Q x`, []string{"--header", "x-note=a b", "--header", "x-nl=a\nb", "Q", "x"}},
		{`sendfile Q "my file.txt"`, []string{"Q", "my file.txt"}},
		{`subscribe "/queue/a"`, []string{`"/queue/a"`}},
		// stomp's own commands unquote every quoted word.
		{`raw SEND destination:/q -- "two\nlines"`, []string{"SEND", "destination:/q", "--", "two\nlines"}},
		{`echo "x"`, []string{"x"}},
	}
	for _, c := range cases {
		got, warn := prepared(t, c.line)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s\n got %q\nwant %q", c.line, got, c.want)
		}
		if warn != "" {
			t.Errorf("%s: warned %q", c.line, warn)
		}
	}
}

// TestREADMEQuoteExamples: each row of the README's table of quotes sends,
// with stomp, the message the table shows, and it is what stomp.py sends.
func TestREADMEQuoteExamples(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "| line | message sent (by both tools) |\n|---|---|\n")
	if !ok {
		t.Fatal("README.md has no table of quote examples")
	}
	rows := 0
	for _, row := range strings.Split(table, "\n") {
		m := readmeRowRE.FindStringSubmatch(row)
		if m == nil {
			break
		}
		rows++
		line, want := m[1], m[2]
		args, _ := prepared(t, line)
		if got := strings.Join(args[1:], " "); got != want {
			t.Errorf("README: %s sends %q, stomp sends %q", line, want, got)
		}
		if py := stompPyMessage(strings.TrimPrefix(line, "send Q ")); py != want {
			t.Errorf("README: %s sends %q with both tools, stomp.py sends %q", line, want, py)
		}
	}
	if rows < 3 {
		t.Errorf("the README's table of quote examples has %d rows", rows)
	}
}

var readmeRowRE = regexp.MustCompile("^\\| `(send Q [^`]+)` \\| `([^`]+)` \\|$")

// TestExtraWordsAreIgnoredWithAWarning: stomp.py drops words a command does
// not take (reference §7); so does stomp, saying so.
func TestExtraWordsAreIgnoredWithAWarning(t *testing.T) {
	cases := []struct {
		line, want, warn string
	}{
		{"begin mytx", "", `begin: ignored the extra words "mytx"`},
		{"commit mytx", "", `commit: ignored the extra words "mytx"`},
		{"abort now please", "", `abort: ignored the extra words "now please"`},
		{"subscribe Q client-individual   # ack by hand later", "Q client-individual", `ignored the extra words "# ack by hand later"`},
		{"unsubscribe Q now", "Q", `unsubscribe: ignored the extra words "now"`},
		{"ack m1 s1 extra", "m1 s1", `"extra"`},
		{"stats on please", "on", `"please"`},
		{"run a.txt b.txt", "a.txt", `"b.txt"`},
		{"sendfile Q file headers.json extra", "Q file", `"extra" (so the headers in headers.json were not used)`},
		{"sendfile --header a=b Q file h.json", "--header a=b Q file h.json", ""},
		{"send Q many words are the message", "Q many words are the message", ""},
	}
	for _, c := range cases {
		got, warn := prepared(t, c.line)
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s: args %q, want %q", c.line, s, c.want)
		}
		if c.warn == "" && warn != "" || !strings.Contains(warn, c.warn) {
			t.Errorf("%s: warning %q, want one containing %q", c.line, warn, c.warn)
		}
		if c.warn != "" && (!strings.HasPrefix(warn, "warning: ") || strings.Count(warn, "\n") != 1) {
			t.Errorf("%s: warning %q is not one line", c.line, warn)
		}
	}
}

// stompPyMessage is what stomp.py sends for the message words of a line.
func stompPyMessage(line string) string { return strings.Join(Fields(line), " ") }

// FuzzSplitKeepsStompPyMessages: for any line, the message send takes is
// byte for byte stomp.py's " ".join(line.split()[1:]) unless the whole
// message is one quoted word with whitespace inside, and a line without
// quotes splits exactly as Fields does.
func FuzzSplitKeepsStompPyMessages(f *testing.F) {
	for _, s := range []string{"a", `"a\"b" 'c'`, `"\`, "'", "\"\\\"", "x\"y\" z", `{"a": "b c" }`, `"two  words"`,
		"'a b'c", "a\u00a0\"b c\"", "\"a\u2003b\"", `"a\\" b"`, "\"\x1c\"", `'' ""`} {
		f.Add(s)
	}
	env := &Env{Out: NewPrinter(&bytes.Buffer{}, &bytes.Buffer{}, render.NewTheme(false))}
	send, _ := Commands().Lookup("send")
	f.Fuzz(func(t *testing.T, msg string) {
		words := Split(msg)
		if !strings.ContainsAny(msg, `"'`) && !reflect.DeepEqual(texts(words), Fields(msg)) && !(len(words) == 0 && len(Fields(msg)) == 0) {
			t.Fatalf("Split(%q) = %q, Fields gives %q", msg, texts(words), Fields(msg))
		}
		for _, w := range words {
			if strings.IndexFunc(w.Raw, IsSpace) >= 0 && !w.Spaced {
				t.Fatalf("%q: word %q holds whitespace but is not a spaced quoted word", msg, w.Raw)
			}
		}
		line := "Q " + msg
		args := send.Prepare(env, Split(line))
		if len(Fields(msg)) == 0 {
			return
		}
		got := strings.Join(args[1:], " ")
		if len(words) == 1 && words[0].Spaced {
			if got != words[0].Text {
				t.Fatalf("%q: quoted message %q, want %q", msg, got, words[0].Text)
			}
			return
		}
		if want := stompPyMessage(msg); got != want {
			t.Fatalf("%q: message %q, stomp.py sends %q", msg, got, want)
		}
	})
}

// TestWhitespaceIsPythons compares Fields with Python's own str.split()
// over every whitespace-like character, when a python3 is installed.
func TestWhitespaceIsPythons(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	out, err := exec.Command(py, "-c", `import json,sys; print(json.dumps([c for c in range(0x110000) if chr(c).isspace()]))`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []rune
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	var got []rune
	for r := rune(0); r < 0x110000; r++ {
		if IsSpace(r) {
			got = append(got, r)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("IsSpace holds %U, Python's isspace %U", got, want)
	}
}

func BenchmarkSplit(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Split("send /queue/bench a hundred byte message body of plain words as a script would send it, quickly")
	}
}

// BenchmarkSendLine is what a -F script's send line costs before it reaches
// the session: split, then the words the send command gets.
func BenchmarkSendLine(b *testing.B) {
	send, _ := Commands().Lookup("send")
	env := &Env{Out: NewPrinter(io.Discard, io.Discard, render.NewTheme(false))}
	b.ReportAllocs()
	for b.Loop() {
		words := Split(`send /queue/bench a hundred byte message {"id": 42, "note": "plain words"} as a script sends it`)
		send.Prepare(env, words[1:])
	}
}
