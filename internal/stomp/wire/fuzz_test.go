package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
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

func readAll(data []byte, opts Options) ([]readResult, error) {
	in := &countingOneByte{r: bytes.NewReader(data)}
	r := NewReader(in, opts)
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

// fuzzOptions spreads the fuzzer's limit over the options: the low 9 bits
// are the frame size limit, the others pick the version, the broker's
// ClientFramesOnly and a header cap. Zero bits are the client's options,
// so seeds added with a small limit read as the client reads.
func fuzzOptions(limit uint16) Options {
	return Options{
		MaxFrameSize:     1 + int(limit%512),
		Version:          V12 - Version(limit>>9&3),
		ClientFramesOnly: limit>>11&1 == 1,
		MaxHeaders:       int(limit >> 12),
	}
}

// FuzzReader feeds arbitrary bytes to Reader, with the client's options and
// the broker's: it must never panic, every frame it returns must survive
// re-encoding and read back identical, no frame it accepts may be over the
// limits, and a frame it refuses as too large (or as having too many
// headers) must really be over them (read again without them).
func FuzzReader(f *testing.F) {
	client := []string{
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
		"CONNECTED\nsession:ID:vm-1:68\nserver:a\\cb\n\n\x00",
		"BOGUS\n\n\x00",
		"MESSAGE\n\nno nul",
		"MESSAGE\nx:y",
		"\x00\x00\x00",
		"MESSAGE\nx:\r\r\n\n\x00",
		"MESSAGE\ncontent-length:0\n\n\x00",
		"MESSAGE\ncontent-length:0\ncontent-length:5\n\n\x00",
	}
	// What clients send a broker, hostile or not (internal/broker's
	// codec_test and hostile_test).
	broker := []string{
		"\r\n\r\nCONNECT\r\naccept-version:1.2\r\n\r\n\x00\r\n",
		"CONNECT\naccept-version:1.2\nlogin:us\\er\npasscode:p:a\\ss\n\n\x00",
		"STOMP\naccept-version:1.1\nhost:/\n\n\x00",
		"SEND\ndestination:/queue/esc\\c1\\\\x\nh\\c\\\\\\n:a\\cb\\r\n\nbody\x00",
		"SUBSCRIBE\r\nid:s\r\ndestination:/queue/crlf\r\n\r\n\x00SEND\r\ndestination:/queue/crlf\r\n\r\nhi\x00",
		"SEND\ndestination:/queue/x\nreceipt:r\ncontent-length:2000000000\n\n",
		"SEND\ndestination:/queue/x\ncontent-length:99999999999\n\n",
		"SEND\ndestination:/queue/x\n" + strings.Repeat("a:b\n", 12) + "\n\x00",
		"\x00\x00\x00\n",
		"HELLO\n\n\x00",
		"SEND\nno colon here\n\n\x00",
		"send\n\n\x00",
		"CONNECT\n:empty-name\n\n\x00",
		"MESSAGE\ndestination:/queue/a\n\n\x00",
		"SEND\ndestination:/queue/partial\ncontent-length:100\n\nshort",
	}
	for _, s := range client {
		f.Add([]byte(s), uint16(0))
		f.Add([]byte(s), uint16(16))
	}
	for _, s := range broker {
		f.Add([]byte(s), uint16(511))              // 1.2, any command
		f.Add([]byte(s), uint16(10<<12|1<<11|255)) // 1.2, the broker's options
		f.Add([]byte(s), uint16(1<<11|2<<9|300))   // 1.0, the broker's options
		f.Add([]byte(s), uint16(1<<11|3<<9|511))   // before CONNECT
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		// Small limits, so the fuzzer reaches them. (No limit at all would
		// let a content-length allocate whatever it says: by design.)
		opts := fuzzOptions(limit)
		frames, err := readAll(data, opts)
		for _, fr := range frames {
			if fr.f == nil {
				continue
			}
			// Every byte of a frame counts, its NUL included.
			if fr.size > opts.MaxFrameSize {
				t.Fatalf("accepted a %d-byte frame over a %d-byte limit: %q", fr.size, opts.MaxFrameSize, data)
			}
			if n := fr.f.Header.Len(); opts.MaxHeaders > 0 && n > opts.MaxHeaders {
				t.Fatalf("accepted %d headers over a cap of %d: %q", n, opts.MaxHeaders, data)
			}
			if opts.ClientFramesOnly && serverCommand(fr.f.Command) {
				t.Fatalf("accepted a server's %s from a client: %q", fr.f.Command, data)
			}
			reencode(t, fr.f, opts.Version)
		}
		var we *Error
		if err != nil && errors.As(err, &we) && we.Message == "" {
			t.Fatalf("an error without a message: %#v", we)
		}
		if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrTooManyHeaders) {
			// The same input without the limit it hit: the refused frame
			// must be over it (or the input ends inside it).
			loose := opts
			if errors.Is(err, ErrFrameTooLarge) {
				loose.MaxFrameSize = 1 << 20
			} else {
				loose.MaxHeaders = 0
			}
			all, lerr := readAll(data, loose)
			if len(all) < len(frames) {
				t.Fatalf("a looser limit read fewer frames (%d < %d): %q", len(all), len(frames), data)
			}
			if len(all) > len(frames) {
				next := all[len(frames)]
				if errors.Is(err, ErrFrameTooLarge) && next.size <= opts.MaxFrameSize {
					t.Fatalf("refused a %d-byte frame as over a %d-byte limit: %q", next.size, opts.MaxFrameSize, data)
				}
				if errors.Is(err, ErrTooManyHeaders) && next.f != nil && next.f.Header.Len() <= opts.MaxHeaders {
					t.Fatalf("refused %d headers as over a cap of %d: %q", next.f.Header.Len(), opts.MaxHeaders, data)
				}
			} else if lerr == nil {
				t.Fatalf("looser limit: no error")
			}
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
			!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrTooManyHeaders) {
			t.Fatalf("unexpected error kind %T %v", err, err)
		}
	})
}

// reencode writes f as a peer of version v would and reads it back: with
// go-stomp's writer, which escapes, when the reader unescaped its headers,
// and as they are when it did not.
func reencode(t *testing.T, f *frame.Frame, v Version) {
	t.Helper()
	var buf bytes.Buffer
	if v >= V11 && f.Command != frame.CONNECT && f.Command != frame.STOMP && f.Command != frame.CONNECTED {
		if err := frame.NewWriter(&buf).Write(f); err != nil {
			t.Fatalf("writing %v: %v", f, err)
		}
	} else {
		for _, h := range headers(f) {
			if strings.HasSuffix(h[1], "\r") {
				return // an unescaped value cannot end in CR: the EOL would take it
			}
		}
		writeRaw(&buf, f)
	}
	wire := bytes.Clone(buf.Bytes())
	g, err := NewReader(&buf, Options{Version: v}).Read()
	if err != nil {
		t.Fatalf("re-reading %q: %v", wire, err)
	}
	if g == nil {
		t.Fatalf("re-reading %q gave a heart-beat", wire)
	}
	if g.Command != f.Command || !bytes.Equal(g.Body, f.Body) || !reflect.DeepEqual(headers(g), headers(f)) {
		t.Fatalf("frame changed on re-encoding:\nwas %q %q %q\nnow %q %q %q\nwire %q",
			f.Command, headers(f), f.Body, g.Command, headers(g), g.Body, wire)
	}
	if buf.Len() != 0 {
		t.Fatalf("re-encoding left %q unread", buf.Bytes())
	}
}

// writeRaw writes f without escaping, as STOMP 1.0 and CONNECT do.
func writeRaw(buf *bytes.Buffer, f *frame.Frame) {
	buf.WriteString(f.Command + "\n")
	for _, h := range headers(f) {
		buf.WriteString(h[0] + ":" + h[1] + "\n")
	}
	buf.WriteString("\n")
	buf.Write(f.Body)
	buf.WriteByte(0)
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
		_, err := NewReader(&stallAfter{data: []byte(partial)}, Options{MaxFrameSize: 1 << 20}).Read()
		if !errors.Is(err, errStall) {
			t.Fatalf("a read error after %q comes back as %v: internal/stomp/wire/reader.go until() returns "+
				"io.ErrUnexpectedEOF for any error once bytes were read, so a heart-beat timeout mid-frame is "+
				"reported as the broker closing the connection", partial, err)
		}
	}
	if _, err := NewReader(&stallAfter{}, Options{MaxFrameSize: 1 << 20}).Read(); !errors.Is(err, errStall) {
		t.Fatalf("a read error between frames comes back as %v", err)
	}
}
