package render

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-stomp/stomp/v3/frame"
)

func TestVisible(t *testing.T) {
	cases := []struct{ in, body, header string }{
		{"plain text", "plain text", "plain text"},
		{"title\x1b]0;pwned\x07", "title^[]0;pwned^G", "title^[]0;pwned^G"},
		{"\x1b[2J", "^[[2J", "^[[2J"},
		{"\x1b]52;c;aGk=\x07", "^[]52;c;aGk=^G", "^[]52;c;aGk=^G"},
		{"nul\x00del\x7f", "nul^@del^?", "nul^@del^?"},
		{"two\nlines\ttab", "two\nlines\ttab", "two^Jlines\ttab"},
		{"crlf\r\nlone\rcr", "crlf\r\nlone^Mcr", "crlf^M^Jlone^Mcr"},
		{"csi\u009b2J", "csi<U+009B>2J", "csi<U+009B>2J"},
		{"bidi\u202eevil", "bidi<U+202E>evil", "bidi<U+202E>evil"},
		{"bad\xff\xfeutf8", "bad\uFFFD\uFFFDutf8", "bad\uFFFD\uFFFDutf8"},
		{"héllo wörld ✓", "héllo wörld ✓", "héllo wörld ✓"},
	}
	for _, c := range cases {
		if got := string(AppendVisible(nil, []byte(c.in), true)); got != c.body {
			t.Errorf("body %q: got %q, want %q", c.in, got, c.body)
		}
		if got := VisibleLine(c.in); got != c.header {
			t.Errorf("header %q: got %q, want %q", c.in, got, c.header)
		}
	}
}

// noControls fails when s holds anything a terminal would obey (tabs and
// CR LF line ends are harmless).
func noControls(t *testing.T, what, s string) {
	t.Helper()
	s = strings.NewReplacer("\t", "", "\r\n", "\n").Replace(s)
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f {
			t.Errorf("%s: control character %U reached the output: %q", what, r, s)
		}
	}
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 reached the output: %q", what, s)
	}
}

// Every text rendering of hostile frames, fuzzed with every byte value,
// shows no control character other than newline.
func TestTextRenderingIsSafe(t *testing.T) {
	evil := "\x1b]0;t\x07\x1b[2J\x00\xff\u009b\r"
	for b := 0; b < 256; b++ {
		v := evil + string([]byte{byte(b)})
		f := frame.New(frame.MESSAGE, "message-id", v, "subscription", "1", "destination", v, v, "x")
		f.Body = []byte(v)
		for _, st := range []Style{{}, {Verbose: true}, {AllHeaders: true}, {Destination: true, Separator: true}} {
			var buf bytes.Buffer
			Message(&buf, f, 1, f.Body, st, NewTheme(false))
			noControls(t, "message", buf.String())
		}
		var buf bytes.Buffer
		Frame(&buf, f, false, NewTheme(false))
		noControls(t, "frame", buf.String())
		buf.Reset()
		Wire(&buf, f, false)
		noControls(t, "wire", buf.String())
		// A command is the broker's too (the client reads what comes).
		c := frame.New(v, "k", "x")
		buf.Reset()
		Frame(&buf, c, false, NewTheme(false))
		noControls(t, "frame command", buf.String())
		buf.Reset()
		Wire(&buf, c, false)
		noControls(t, "wire command", buf.String())
		e := frame.New(frame.ERROR, "message", v)
		e.Body = []byte(v)
		noControls(t, "broker error", BrokerError(e))
	}
}

func TestDestinationAndAllHeaders(t *testing.T) {
	f := frame.New(frame.MESSAGE, "message-id", "m1", "subscription", "2", "destination", "/queue/b", "x-app", "42")
	f.Body = []byte("hi")
	show := func(st Style) string {
		var buf bytes.Buffer
		Message(&buf, f, 0, f.Body, st, NewTheme(false))
		return buf.String()
	}
	if got, want := show(Style{}), "\nmessage-id: m1\nsubscription: 2\nhi\n"; got != want {
		t.Errorf("plain: got %q, want %q", got, want)
	}
	if got, want := show(Style{Destination: true}), "\nmessage-id: m1\nsubscription: 2\ndestination: /queue/b\nhi\n"; got != want {
		t.Errorf("destination: got %q, want %q", got, want)
	}
	if got, want := show(Style{AllHeaders: true}), "\nmessage-id: m1\nsubscription: 2\ndestination: /queue/b\nx-app: 42\nhi\n"; got != want {
		t.Errorf("all headers: got %q, want %q", got, want)
	}
}
