package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/go-stomp/stomp/v3/frame"
)

// countingOneByte hands the reader one byte per Read, so the bytes it has
// consumed are exactly the bytes it has looked at: bufio cannot read ahead.
type countingOneByte struct {
	r io.Reader
	n int
}

func (c *countingOneByte) Read(p []byte) (int, error) {
	n, err := iotest.OneByteReader(c.r).Read(p)
	c.n += n
	return n, err
}

// readAll reads frames until an error, recording for each frame how many
// input bytes it took.
type readResult struct {
	f    *frame.Frame
	size int
}

func readAll(data []byte, max int) ([]readResult, error) {
	in := &countingOneByte{r: bytes.NewReader(data)}
	r := NewReader(in, max)
	var out []readResult
	for i := 0; i < 10000; i++ {
		before := in.n
		f, err := r.Read()
		if err != nil {
			return out, err
		}
		out = append(out, readResult{f, in.n - before})
	}
	return out, errors.New("more than 10000 frames")
}

// FuzzReader feeds arbitrary bytes to Reader: it must never panic, every
// frame it returns must survive go-stomp's writer and read back identical,
// no frame it accepts may be over the limit, and a frame it refuses as too
// large must really be over it (read again without a limit).
func FuzzReader(f *testing.F) {
	seeds := []string{
		"",
		"\n",
		"\r\n\r\n",
		"MESSAGE\ndestination:/queue/a\nmessage-id:1\n\nhello\x00",
		"MESSAGE\r\ndestination:/queue/a\r\n\r\nhello\x00\n\nRECEIPT\nreceipt-id:r1\n\n\x00",
		"MESSAGE\ncontent-length:3\n\na\x00b\x00",
		"MESSAGE\ncontent-length: 3 \n\na\x00b\x00",
		"MESSAGE\ncontent-length:-1\n\n\x00",
		"MESSAGE\ncontent-length:99999999999999999999\n\n\x00",
		"MESSAGE\ncontent-length:4\n\nab\x00",
		"MESSAGE\nk\\c1:v\\nx\\\\y\\r\\t\n\n\x00",
		"MESSAGE\n:novalue\n\n\x00",
		"MESSAGE\nnocolon\n\n\x00",
		"MESSAGE\na:b\na:c\n\n\x00",
		"ERROR\n\n\x00",
		"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00",
		"BOGUS\n\n\x00",
		"MESSAGE\n\nno nul",
		"MESSAGE\nx:y",
		"\x00\x00\x00",
		"MESSAGE\nx:\r\r\n\n\x00",
		"MESSAGE\ncontent-length:0\n\n\x00",
		"MESSAGE\ncontent-length:0\ncontent-length:5\n\n\x00",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(0))
		f.Add([]byte(s), uint16(16))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		// Small limits, so the fuzzer reaches them. (No limit at all would
		// let a content-length allocate whatever it says: by design.)
		max := 1 + int(limit%512)
		frames, err := readAll(data, max)
		for _, fr := range frames {
			if fr.f == nil {
				continue
			}
			// Accepted frames are within the limit; the content-length path
			// does not count the closing NUL, the other does.
			if fr.size > max+1 {
				t.Fatalf("accepted a %d-byte frame over a %d-byte limit: %q", fr.size, max, data)
			}
			reencode(t, fr.f)
		}
		if errors.Is(err, ErrFrameTooLarge) {
			// The same input under a far larger limit: the refused frame
			// must be over the small one (or the input ends inside it).
			all, uerr := readAll(data, 1<<20)
			if len(all) < len(frames) {
				t.Fatalf("a larger limit read fewer frames (%d < %d): %q", len(all), len(frames), data)
			}
			if len(all) > len(frames) {
				if next := all[len(frames)]; next.size <= max {
					t.Fatalf("refused a %d-byte frame as over a %d-byte limit: %q", next.size, max, data)
				}
			} else if uerr == nil {
				t.Fatalf("larger limit: no error")
			}
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
			!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("unexpected error kind %T %v", err, err)
		}
	})
}

// reencode writes f with go-stomp's writer and reads it back.
func reencode(t *testing.T, f *frame.Frame) {
	t.Helper()
	var buf bytes.Buffer
	if err := frame.NewWriter(&buf).Write(f); err != nil {
		t.Fatalf("writing %v: %v", f, err)
	}
	g, err := NewReader(&buf, 0).Read()
	if err != nil {
		t.Fatalf("re-reading %q: %v", buf.Bytes(), err)
	}
	if g == nil {
		t.Fatalf("re-reading %q gave a heart-beat", buf.Bytes())
	}
	if g.Command != f.Command || !bytes.Equal(g.Body, f.Body) || !reflect.DeepEqual(headers(g), headers(f)) {
		t.Fatalf("frame changed on re-encoding:\nwas %q %q %q\nnow %q %q %q\nwire %q",
			f.Command, headers(f), f.Body, g.Command, headers(g), g.Body, buf.Bytes())
	}
	if buf.Len() != 0 {
		t.Fatalf("re-encoding left %q unread", buf.Bytes())
	}
}

func headers(f *frame.Frame) [][2]string {
	var hs [][2]string
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		hs = append(hs, [2]string{k, v})
	}
	return hs
}

// errStall stands for a read deadline passing mid-frame.
var errStall = errors.New("i/o timeout (stand-in)")

type stallAfter struct{ data []byte }

func (s *stallAfter) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, errStall
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// A read error in the middle of a frame must reach the caller: the client
// tells "no heart-beat from the broker" (a deadline) from "the broker
// closed the connection" (EOF) by it.
func TestReadKeepsTheErrorMidFrame(t *testing.T) {
	for _, partial := range []string{"MESS", "MESSAGE\ndestination:/q", "MESSAGE\n\nbody without NUL"} {
		_, err := NewReader(&stallAfter{data: []byte(partial)}, 1<<20).Read()
		if !errors.Is(err, errStall) {
			t.Fatalf("a read error after %q comes back as %v: internal/stomp/wire/reader.go until() returns "+
				"io.ErrUnexpectedEOF for any error once bytes were read, so a heart-beat timeout mid-frame is "+
				"reported as the broker closing the connection", partial, err)
		}
	}
	if _, err := NewReader(&stallAfter{}, 1<<20).Read(); !errors.Is(err, errStall) {
		t.Fatalf("a read error between frames comes back as %v", err)
	}
}
