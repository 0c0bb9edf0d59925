package rawstream

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// TestReaderFrames: the frame text `stomp raw --help` describes, read into
// the frames it means.
func TestReaderFrames(t *testing.T) {
	type want struct{ cmd, headers, body string }
	cases := []struct {
		name, in string
		want     []want
	}{
		{"terminators and comments", "# a comment\n\nsend\ndestination:/q\n\nhello\nworld\n.\nSEND\n\n^@\n",
			[]want{{"SEND", "destination:/q", "hello\nworld"}, {"SEND", "", ""}}},
		{"no body, end at terminator", "ACK\nid:1\n.\n", []want{{"ACK", "id:1", ""}}},
		{"input end ends a frame", "SEND\ndestination:/q\n\nlast", []want{{"SEND", "destination:/q", "last"}}},
		{"content-length keeps a dot line", "SEND\ncontent-length:5\n\na\n.\nb\n.\n", []want{{"SEND", "content-length:5", "a\n.\nb"}}},
		{"content-length, terminator on the body's line", "SEND\ncontent-length:2\n\nab^@\n", []want{{"SEND", "content-length:2", "ab"}}},
		{"content-length at input end", "SEND\ncontent-length:2\n\nab", []want{{"SEND", "content-length:2", "ab"}}},
		{"CRLF lines", "SEND\r\ndestination:/q\r\n\r\nx\r\n.\r\n", []want{{"SEND", "destination:/q", "x"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := newRawReader(strings.NewReader(c.in))
			var got []want
			for {
				f, err := rr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("next: %v", err)
				}
				var hs []string
				for i := 0; i < f.Header.Len(); i++ {
					k, v := f.Header.GetAt(i)
					hs = append(hs, k+":"+v)
				}
				got = append(got, want{f.Command, strings.Join(hs, ","), string(f.Body)})
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d frames %q, want %q", len(got), got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("frame %d: got %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

// TestReaderRefuses: input that is not a frame is a usage error naming
// its line.
func TestReaderRefuses(t *testing.T) {
	cases := map[string]string{
		".\n":                                 "line 1: . ends a frame that has no command",
		"\nCONNECT\n\n.\n":                    "line 2: CONNECT is refused",
		"SEND\nnocolon\n":                     `line 2: bad header "nocolon"`,
		"SEND\ncontent-length:x\n\n.\n":       `line 3: content-length "x" is not a byte count`,
		"SEND\ncontent-length:9\n\nab\n":      "the input ended within the 9 bytes",
		"SEND\ncontent-length:2\n\nabc\n.\n":  `line 4: expected . or ^@ after the 2 bytes of content-length, found "c"`,
		"SEND\ncontent-length:2\n\nab\n\n.\n": `line 5: expected . or ^@ after the 2 bytes of content-length, found ""`,
	}
	for in, want := range cases {
		_, err := newRawReader(strings.NewReader(in)).next()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", in, err, want)
			continue
		}
		if !exitcode.Is(err, exitcode.Usage) {
			t.Errorf("%q: exit code %d, want a usage error (2)", in, exitcode.Code(err))
		}
	}
}
