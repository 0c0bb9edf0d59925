package render

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

func TestFormats(t *testing.T) {
	f := frame.New(frame.MESSAGE, "destination", "/queue/a", "message-id", "7", "destination", "/ignored")
	f.Body = []byte("héllo")
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		format    string
		noNewline bool
		body      []byte
		want      string
	}{
		{"raw", false, nil, "héllo\n"},
		{"raw", true, nil, "héllo"},
		{"{{.Headers.destination}} {{.Body}}", false, nil, "/queue/a héllo\n"},
		{"{{.MessageID}}:{{.Headers.nothere}}", false, nil, "7:\n"},
		{"json", false, nil, `{"command":"MESSAGE","headers":{"destination":"/queue/a","message-id":"7"},"body":"héllo","received":"2026-11-23T12:00:00Z"}` + "\n"},
		{"json", false, []byte{0xff, 0}, `{"command":"MESSAGE","headers":{"destination":"/queue/a","message-id":"7"},"body":"/wA=","body_base64":true,"received":"2026-11-23T12:00:00Z"}` + "\n"},
		// C0, C1 and bidirectional controls escaped: a JSON line on a
		// terminal cannot drive it (U+009B is CSI to some terminals).
		{"json", false, []byte("a\x1b]0;x\x07b\u009b2Jc\u202ed"), `{"command":"MESSAGE","headers":{"destination":"/queue/a","message-id":"7"},"body":"a\u001b]0;x\u0007b\u009b2Jc\u202ed","received":"2026-11-23T12:00:00Z"}` + "\n"},
	}
	for _, c := range cases {
		fm, err := ParseFormat(c.format, c.noNewline)
		if err != nil {
			t.Fatal(err)
		}
		fr := f.Clone()
		if c.body != nil {
			fr.Body = c.body
		}
		var buf bytes.Buffer
		if err := fm.Write(&buf, fr, at); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("%s: got %q, want %q", c.format, buf.String(), c.want)
		}
		if c.format == "json" {
			var d MessageData
			if err := json.Unmarshal(buf.Bytes(), &d); err != nil {
				t.Errorf("invalid JSON %q: %v", buf.String(), err)
			} else if c.body != nil && !d.BodyBase64 && d.Body != string(c.body) {
				t.Errorf("JSON body %q, want %q", d.Body, c.body)
			}
		}
	}
	for _, bad := range []string{"yaml", "{{.Body", "{{.Nope}}x"} {
		fm, err := ParseFormat(bad, false)
		if err == nil {
			var buf bytes.Buffer
			err = fm.Write(&buf, f, at)
		}
		if err == nil {
			t.Errorf("format %q accepted", bad)
		}
	}
}

func TestMessageTextLooksLikeStompPy(t *testing.T) {
	f := frame.New(frame.MESSAGE, "destination", "/queue/a", "message-id", "1", "subscription", "1")
	var buf bytes.Buffer
	Message(&buf, f, 0, []byte("hello world"), Style{Separator: true}, NewTheme(false))
	if want := "\nmessage-id: 1\nsubscription: 1\n\nhello world\n"; buf.String() != want {
		t.Fatalf("shell look %q, want %q", buf.String(), want)
	}
	buf.Reset()
	Message(&buf, f, 3, []byte{'a', 0xff, 0xfe, 'b'}, Style{}, NewTheme(false))
	if want := "\nmessage-id: 1\nsubscription: 1\na\uFFFD\uFFFDb\n"; buf.String() != want {
		t.Fatalf("listen look with binary %q, want %q", buf.String(), want)
	}
	buf.Reset()
	Message(&buf, f, 17, []byte("x"), Style{Separator: true, Numbered: true}, NewTheme(false))
	if want := "[17]\nmessage-id: 1\nsubscription: 1\n\nx\n"; buf.String() != want {
		t.Fatalf("numbered %q, want %q", buf.String(), want)
	}
}

func TestWire(t *testing.T) {
	f := frame.New(frame.CONNECT, "login", "alice", "passcode", "hunter2", "x", "a:b\nc")
	var buf bytes.Buffer
	Wire(&buf, f, true)
	want := ">>> CONNECT\nlogin:alice\npasscode:********\nx:a\\cb\\nc\n\n^@\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	buf.Reset()
	m := frame.New(frame.MESSAGE)
	m.Body = []byte{0, 1, 'a'}
	Wire(&buf, m, false)
	if want := "<<< MESSAGE\n\n[3 bytes] 000161^@\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func BenchmarkRenderMessage(b *testing.B) {
	f := frame.New(frame.MESSAGE, "destination", "/queue/a", "message-id", "T_1@@session@@1", "subscription", "1")
	body := bytes.Repeat([]byte("x"), 100)
	th := NewTheme(false)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		Message(&buf, f, 1, body, Style{Separator: true}, th)
	}
}

func BenchmarkRenderJSON(b *testing.B) {
	f := frame.New(frame.MESSAGE, "destination", "/queue/a", "message-id", "T_1@@session@@1", "subscription", "1")
	f.Body = bytes.Repeat([]byte("x"), 100)
	fm, _ := ParseFormat("json", false)
	var buf bytes.Buffer
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		_ = fm.Write(&buf, f, at)
	}
}

// TestRedeliveriesKeepStompPyLayout: the shell marks a redelivered message;
// scripts and -L print stomp.py's layout byte for byte, and -V and the
// machine formats carry the header.
func TestRedeliveriesKeepStompPyLayout(t *testing.T) {
	var buf bytes.Buffer
	for _, c := range []struct {
		value string
		st    Style
		want  string
	}{
		{"true", Style{Separator: true, Numbered: true, MarkRedelivered: true}, "[3]\nmessage-id: 1\nsubscription: 2\nredelivered: true\n\nx\n"},
		{"false", Style{Separator: true, Numbered: true, MarkRedelivered: true}, "[3]\nmessage-id: 1\nsubscription: 2\n\nx\n"}, // RabbitMQ sends this on every message
		{"true", Style{}, "\nmessage-id: 1\nsubscription: 2\nx\n"},                                                             // -L
		{"true", Style{Separator: true}, "\nmessage-id: 1\nsubscription: 2\n\nx\n"},                                            // -F
		{"true", Style{Verbose: true}, "\nMESSAGE\nmessage-id: 1\nsubscription: 2\nredelivered: true\nx\n"},
	} {
		buf.Reset()
		f := frame.New(frame.MESSAGE, "message-id", "1", "subscription", "2", "redelivered", c.value)
		Message(&buf, f, 3, []byte("x"), c.st, NewTheme(false))
		if buf.String() != c.want {
			t.Errorf("redelivered:%s %+v: got %q, want %q", c.value, c.st, buf.String(), c.want)
		}
	}
	fm, _ := ParseFormat("json", false)
	buf.Reset()
	if err := fm.Write(&buf, frame.New(frame.MESSAGE, "message-id", "1", "redelivered", "true"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"redelivered":"true"`)) {
		t.Errorf("json lost the redelivered header: %s", buf.String())
	}
}
