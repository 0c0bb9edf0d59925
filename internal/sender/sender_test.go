package sender

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// drain reads every message of src.
func drain(t *testing.T, src Source) ([]Message, error) {
	t.Helper()
	var out []Message
	for src.Scan() {
		m, err := src.Message()
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, src.Err()
}

func describe(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s %s %q %v|", m.Name, m.Dest, m.Body, m.Headers)
	}
	return b.String()
}

func TestLines(t *testing.T) {
	cases := []struct {
		in    string
		delim byte
		want  string
	}{
		{"a\r\nb\n\nc", '\n', `line 1 /q "a" []|line 2 /q "b" []|line 3 /q "" []|line 4 /q "c" []|`},
		{"x\x00y\r\x00", 0, `line 1 /q "x" []|line 2 /q "y\r" []|`},
	}
	for _, c := range cases {
		got, err := drain(t, Lines("/q", strings.NewReader(c.in), c.delim))
		if err != nil || describe(got) != c.want {
			t.Errorf("Lines(%q, %q) = %s, %v; want %s", c.in, c.delim, describe(got), err, c.want)
		}
	}
}

func TestLinesTooLong(t *testing.T) {
	in := "ok\n" + strings.Repeat("x", 64<<20+1)
	_, err := drain(t, Lines("/q", strings.NewReader(in), '\n'))
	if err == nil || err.Error() != "line 2 is longer than 64 MiB" {
		t.Fatalf("got %v, want line 2 is longer than 64 MiB", err)
	}
}

func TestJSONL(t *testing.T) {
	in := `{"headers":{"destination":"/queue/a","message-id":"m1","subscription":"0","type":"t","ack":"x"},"body":"hi"}

{"headers":{"destination":"/queue/b"},"body":"aGk=","body_base64":true}
`
	got, err := drain(t, JSONL(strings.NewReader(in), ""))
	want := `line 1 /queue/a "hi" [[type t]]|line 3 /queue/b "hi" []|`
	if err != nil || describe(got) != want {
		t.Errorf("got %s, %v; want %s", describe(got), err, want)
	}
	got, err = drain(t, JSONL(strings.NewReader(in), "/queue/to"))
	if err != nil || len(got) != 2 || got[0].Dest != "/queue/to" || got[1].Dest != "/queue/to" {
		t.Errorf("--to: got %s, %v", describe(got), err)
	}
	// A bad line is a usage error naming the line, what is wrong in the
	// terms of the format, and the format; never Go's types.
	const shape = ` (each line is one object as listen --format json writes: {"headers":{"destination":"/queue/a"},"body":"text"})`
	for in, want := range map[string]string{
		"{}\n":                             "line 1 has no destination header: give --to",
		"\nnope\n":                         "line 2 is not one JSON object",
		`{"body":"x"} trailing`:            "line 1 is not one JSON object",
		`{"body":"!","body_base64":true}`:  `line 1: "body_base64" is true but the body is not base64`,
		`[1,2]`:                            "line 1 is a JSON array, not an object",
		`"text"`:                           "line 1 is a JSON string, not an object",
		`{"headers":["a"],"body":"x"}`:     `line 1: "headers" is a JSON array, not an object`,
		`{"headers":{"a":1},"body":"x"}`:   "line 1: a header's value is a JSON number, not a string",
		`{"headers":{},"body":5}`:          `line 1: "body" is a JSON number, not a string`,
		`{"body":"x","body_base64":"yes"}`: `line 1: "body_base64" is a JSON string, not true or false`,
	} {
		_, err := drain(t, JSONL(strings.NewReader(in), ""))
		if err == nil || err.Error() != "--jsonl input "+want+shape || !exitcode.Is(err, exitcode.Usage) {
			t.Errorf("%q: got %v, want the usage error %q", in, err, want)
		}
	}
}

func TestRepeatAndBody(t *testing.T) {
	body, err := Body("n={{.Count}}", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drain(t, Repeat("/q", body, 3))
	if want := `message 1 /q "n=1" []|message 2 /q "n=2" []|message 3 /q "n=3" []|`; err != nil || describe(got) != want {
		t.Errorf("got %s, %v; want %s", describe(got), err, want)
	}
	got, err = drain(t, One("/q", []byte("b")))
	if want := ` /q "b" []|`; err != nil || describe(got) != want {
		t.Errorf("One: got %s, %v; want %s", describe(got), err, want)
	}
	body, err = Body("-", "", strings.NewReader("from stdin"))
	if b, _ := body(1); err != nil || string(b) != "from stdin" {
		t.Errorf("stdin body: got %q, %v", b, err)
	}
	if _, err := Body("{{.Nope", "", nil); !exitcode.Is(err, exitcode.Usage) {
		t.Errorf("bad template: got %v, want a usage error", err)
	}
	// A field it does not have, or a Mustache text, is refused before
	// anything is sent, saying how to send it as it is, naming no Go type.
	for _, arg := range []string{"{{.Nope}}", "Hello {{name}}"} {
		_, err := Body(arg, "", nil)
		if !exitcode.Is(err, exitcode.Usage) || !strings.Contains(err.Error(), "give it on standard input or with --file") ||
			strings.Contains(err.Error(), "sender.") {
			t.Errorf("Body(%q): got %v, want a usage error saying how to send it as it is", arg, err)
		}
	}
	if _, err := Body("", "/nonexistent/file", nil); !exitcode.Is(err, exitcode.Usage) {
		t.Errorf("missing --file: got %v, want a usage error", err)
	}
}

func TestParseFlags(t *testing.T) {
	for s, want := range map[string]byte{`\0`: 0, `\t`: '\t', `\x2c`: ',', `;`: ';', `\\`: '\\'} {
		if got, err := ParseDelimiter(s); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{"", "ab", `\xzz`} {
		if _, err := ParseDelimiter(s); !exitcode.Is(err, exitcode.Usage) {
			t.Errorf("ParseDelimiter(%q): got %v, want a usage error", s, err)
		}
	}
	for s, want := range map[string]float64{"": 0, "100": 100, "2.5/s": 2.5} {
		if got, err := ParseRate(s); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"0", "-1", "fast", "10/m"} {
		if _, err := ParseRate(s); !exitcode.Is(err, exitcode.Usage) {
			t.Errorf("ParseRate(%q): got %v, want a usage error", s, err)
		}
	}
}

func TestInputCheck(t *testing.T) {
	ok := []Input{
		{Dest: "/q", Body: "hi", Count: 3},
		{Dest: "/q", Body: "-", Count: 1},
		{Dest: "/q", Lines: true, Delimiter: 0, Count: 1},
		{JSONL: true, To: "/q", Count: 1},
	}
	for _, in := range ok {
		if err := in.Check(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
	bad := map[string]Input{
		"--count must be at least 1":     {Dest: "/q", Body: "hi", Count: 0},
		"--to applies to --jsonl only":   {Dest: "/q", Body: "hi", To: "/r", Count: 1},
		"give the body one way":          {Dest: "/q", Body: "hi", File: "f", Count: 1},
		"give the body one way: BODY, -": {Dest: "/q", Lines: true, JSONL: true, Count: 1},
		"--count does not apply":         {Dest: "/q", Lines: true, Count: 2},
	}
	for want, in := range bad {
		err := in.Check()
		if err == nil || !strings.HasPrefix(err.Error(), want) || !exitcode.Is(err, exitcode.Usage) {
			t.Errorf("%+v: got %v, want a usage error starting %q", in, err, want)
		}
	}
}

func TestInputSource(t *testing.T) {
	stdin := "a\nb\n"
	cases := []struct {
		in   Input
		want string
	}{
		{Input{Dest: "/q", Count: 2}, `message 1 /q "a\nb\n" []|message 2 /q "a\nb\n" []|`},
		{Input{Dest: "/q", Lines: true, Delimiter: '\n', Count: 1}, `line 1 /q "a" []|line 2 /q "b" []|`},
		{Input{Dest: "/q", Body: "x", Count: 1}, `message 1 /q "x" []|`},
	}
	for _, c := range cases {
		if !c.in.ReadsStdin() && c.in.Body == "" {
			t.Errorf("%+v reads standard input", c.in)
		}
		src, err := c.in.Source(strings.NewReader(stdin))
		if err != nil {
			t.Fatal(err)
		}
		got, err := drain(t, src)
		if err != nil || describe(got) != c.want {
			t.Errorf("%+v: got %s, %v; want %s", c.in, describe(got), err, c.want)
		}
	}
	if (Input{Dest: "/q", Body: "x", Count: 1}).ReadsStdin() || (Input{Dest: "/q", File: "f", Count: 1}).ReadsStdin() {
		t.Error("a BODY or --file does not read standard input")
	}
}
