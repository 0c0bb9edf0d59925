package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

func TestPrettyJSON(t *testing.T) {
	show := func(st Style, ct, body string, color bool) string {
		f := frame.New(frame.MESSAGE, "message-id", "1", "subscription", "1")
		if ct != "" {
			f.Header.Add("content-type", ct)
		}
		var buf bytes.Buffer
		Message(&buf, f, 0, []byte(body), st, NewTheme(color))
		return strings.TrimPrefix(buf.String(), "\nmessage-id: 1\nsubscription: 1\n")
	}
	pretty := Style{PrettyJSON: true}
	body := `{"a":1,"b":["x` + "\u009b" + `y",true,null],"c":{}}`
	want := "{\n  \"a\": 1,\n  \"b\": [\n    \"x<U+009B>y\",\n    true,\n    null\n  ],\n  \"c\": {}\n}\n"
	if got := show(pretty, "", body, false); got != want {
		t.Errorf("pretty:\n%s\nwant:\n%s", got, want)
	}
	// Only when asked (the shell): scripts and pipes get the body as sent.
	if got := show(Style{}, "application/json", body, false); got != strings.ReplaceAll(body, "\u009b", "<U+009B>")+"\n" {
		t.Errorf("not pretty: %q", got)
	}
	// Not JSON, or a scalar without a JSON content-type: as it came.
	for _, b := range []string{`{"a":`, `42`, `hello {"a":1}`} {
		if got := show(pretty, "", b, false); got != b+"\n" {
			t.Errorf("%q shown as %q", b, got)
		}
	}
	if got := show(pretty, "application/json", `42`, true); !strings.Contains(got, "\x1b[36m42\x1b[0m") {
		t.Errorf("a JSON scalar is not coloured: %q", got)
	}
	got := show(pretty, "", `{"k":"v","n":-1.5e3}`, true)
	for _, w := range []string{"\x1b[34;1m\"k\"\x1b[0;22m: \x1b[32m\"v\"\x1b[0m", "\x1b[36m-1.5e3\x1b[0m"} {
		if !strings.Contains(got, w) {
			t.Errorf("coloured %q lacks %q", got, w)
		}
	}
}
