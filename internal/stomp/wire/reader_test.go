package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadFrames(t *testing.T) {
	in := "\nMESSAGE\r\ndestination:/queue/a\nk\\c1:v\\nx\\\\y\n\nhello\x00\n" +
		"MESSAGE\ncontent-length:3\n\na\x00b\x00"
	r := NewReader(strings.NewReader(in), Options{MaxFrameSize: 1024, Version: V12})
	f, err := r.Read()
	if f != nil || err != nil {
		t.Fatalf("heart-beat: got %v, %v", f, err)
	}
	f, err = r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if f.Command != "MESSAGE" || f.Header.Get("destination") != "/queue/a" || string(f.Body) != "hello" {
		t.Fatalf("first frame: %+v %q", f, f.Body)
	}
	if got := f.Header.Get("k:1"); got != "v\nx\\y" {
		t.Fatalf("unescaped header = %q", got)
	}
	if f, err = r.Read(); f != nil || err != nil { // the EOL after the NUL
		t.Fatalf("EOL after frame: %v %v", f, err)
	}
	f, err = r.Read()
	if err != nil || !bytes.Equal(f.Body, []byte("a\x00b")) {
		t.Fatalf("binary body: %q %v", f.Body, err)
	}
	if _, err = r.Read(); err != io.EOF {
		t.Fatalf("end: want EOF, got %v", err)
	}
}

func TestReadRefusesOversizedFrames(t *testing.T) {
	cases := map[string]string{
		"long header line":    "MESSAGE\nx:" + strings.Repeat("a", 5000) + "\n\n\x00",
		"long body":           "MESSAGE\n\n" + strings.Repeat("a", 5000) + "\x00",
		"huge content-length": "MESSAGE\ncontent-length:2000000000\n\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(in), Options{MaxFrameSize: 1000}).Read()
			if !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("want ErrFrameTooLarge, got %v", err)
			}
		})
	}
}

// A 100 MB header line must be refused after reading about the limit, not
// after buffering it all.
func TestReadStopsEarlyOnEndlessLine(t *testing.T) {
	endless := io.MultiReader(strings.NewReader("MESSAGE\nx:"), neverEnding('a'))
	counted := &countingReader{r: io.LimitReader(endless, 100<<20)}
	_, err := NewReader(counted, Options{MaxFrameSize: 1 << 20}).Read()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("want ErrFrameTooLarge, got %v", err)
	}
	if counted.n > 2<<20 {
		t.Fatalf("read %d bytes before refusing a frame over a 1 MiB limit", counted.n)
	}
}

func TestReadMalformed(t *testing.T) {
	// A content-length over 31 bits is not a size a frame can have,
	// whatever the limit.
	for _, in := range []string{"BOGUS\n\n\x00", "MESSAGE\nnocolon\n\n\x00", "MESSAGE\ncontent-length:x\n\n\x00",
		"MESSAGE\ncontent-length:1\n\nab\x00", "MESSAGE\ncontent-length:99999999999\n\n", "MESSAGE\ncontent-length:+1\n\na\x00"} {
		if _, err := NewReader(strings.NewReader(in), Options{}).Read(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: want ErrMalformed, got %v", in, err)
		}
	}
	if _, err := NewReader(strings.NewReader("MESSAGE\n\nno nul"), Options{}).Read(); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated frame: want ErrUnexpectedEOF, got %v", err)
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func BenchmarkReadMessage(b *testing.B) {
	frame := "MESSAGE\ndestination:/queue/bench\nmessage-id:T_1@@session-abc@@1\nsubscription:1\nack:T_1@@session-abc@@1\ncontent-length:100\n\n" +
		strings.Repeat("x", 100) + "\x00"
	data := []byte(strings.Repeat(frame, 1000))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), Options{MaxFrameSize: 1 << 20, Version: V12})
		for range 1000 {
			if _, err := r.Read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Headers are unescaped per version, and never in CONNECT, STOMP and
// CONNECTED (STOMP 1.2), whatever the version.
func TestUnescapePerVersion(t *testing.T) {
	const header = `k\c1:v\nx\\y\r\t`
	for _, tc := range []struct {
		version          Version
		command          string
		wantKey, wantVal string
	}{
		{Unnegotiated, "SEND", `k\c1`, `v\nx\\y\r\t`},
		{V10, "MESSAGE", `k\c1`, `v\nx\\y\r\t`},
		{V11, "MESSAGE", "k:1", "v\nx\\y\r\\t"}, // \r accepted in 1.1 too; \t kept
		{V12, "SEND", "k:1", "v\nx\\y\r\\t"},
		{V12, "CONNECT", `k\c1`, `v\nx\\y\r\t`},
		{V12, "STOMP", `k\c1`, `v\nx\\y\r\t`},
		{V12, "CONNECTED", `k\c1`, `v\nx\\y\r\t`},
	} {
		r := NewReader(strings.NewReader(tc.command+"\n"+header+"\n\n\x00"), Options{Version: tc.version})
		f, err := r.Read()
		if err != nil {
			t.Fatalf("%v %s: %v", tc.version, tc.command, err)
		}
		if k, v := f.Header.GetAt(0); k != tc.wantKey || v != tc.wantVal {
			t.Errorf("%v %s: header %q:%q, want %q:%q", tc.version, tc.command, k, v, tc.wantKey, tc.wantVal)
		}
	}
	// The version can change between frames (once CONNECT is answered).
	r := NewReader(strings.NewReader("SEND\na:b\\cc\n\n\x00SEND\na:b\\cc\n\n\x00"), Options{})
	if f, _ := r.Read(); f.Header.Get("a") != `b\cc` {
		t.Errorf("before SetVersion: %q", f.Header.Get("a"))
	}
	r.SetVersion(V12)
	if f, _ := r.Read(); f.Header.Get("a") != "b:c" {
		t.Errorf("after SetVersion: %q", f.Header.Get("a"))
	}
}

// The limit counts every byte of a frame, its EOLs and NUL included, with
// or without content-length.
func TestLimitIsExact(t *testing.T) {
	for _, frame := range []string{"SEND\na:b\n\nbody\x00", "SEND\ncontent-length:4\n\nbody\x00", "SEND\r\na:b\r\n\r\nbody\x00"} {
		if _, err := NewReader(strings.NewReader(frame), Options{MaxFrameSize: len(frame)}).Read(); err != nil {
			t.Errorf("%q under a limit of its own size: %v", frame, err)
		}
		_, err := NewReader(strings.NewReader(frame), Options{MaxFrameSize: len(frame) - 1}).Read()
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("%q under a limit one byte smaller: %v", frame, err)
		}
		if want := fmt.Sprintf("frame too large (limit %d bytes)", len(frame)-1); err == nil || err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	// Heart-beats between frames are not part of them.
	r := NewReader(strings.NewReader("\n\n\nSEND\n\n\x00"), Options{MaxFrameSize: 7})
	for range 3 {
		if f, err := r.Read(); f != nil || err != nil {
			t.Fatalf("heart-beat: %v %v", f, err)
		}
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	// The limit can change between frames (a broker raises it at login).
	r = NewReader(strings.NewReader("SEND\n\nab\x00SEND\n\nab\x00"), Options{MaxFrameSize: 9})
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	r.SetMaxFrameSize(8)
	if _, err := r.Read(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("after SetMaxFrameSize: %v", err)
	}
}

func TestMaxHeaders(t *testing.T) {
	three := "SEND\na:1\nb:2\nc:3\n\n\x00"
	if _, err := NewReader(strings.NewReader(three), Options{MaxHeaders: 3}).Read(); err != nil {
		t.Fatalf("3 headers under a cap of 3: %v", err)
	}
	_, err := NewReader(strings.NewReader(three), Options{MaxHeaders: 2}).Read()
	var we *Error
	if !errors.Is(err, ErrTooManyHeaders) || !errors.As(err, &we) ||
		we.Message != "too many headers" || we.Detail != "a frame may carry at most 2 headers" {
		t.Fatalf("3 headers under a cap of 2: %#v", err)
	}
}

// A broker refuses the commands only a server sends; a client reads any.
func TestClientFramesOnly(t *testing.T) {
	for _, command := range []string{"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"} {
		in := command + "\nreceipt:r\n\n\x00"
		_, err := NewReader(strings.NewReader(in), Options{ClientFramesOnly: true}).Read()
		var we *Error
		if !errors.As(err, &we) || !errors.Is(err, ErrMalformed) || we.Message != "unknown command" ||
			we.Detail != fmt.Sprintf("unknown command %q", command) {
			t.Errorf("%s from a client: %#v", command, err)
		}
		if f, err := NewReader(strings.NewReader(in), Options{}).Read(); err != nil || f.Command != command {
			t.Errorf("%s read as any frame: %v %v", command, f, err)
		}
	}
	for _, command := range []string{"CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"} {
		if f, err := NewReader(strings.NewReader(command+"\n\n\x00"), Options{ClientFramesOnly: true}).Read(); err != nil || f.Command != command {
			t.Errorf("%s from a client: %v %v", command, f, err)
		}
	}
}

// What a broker puts in its ERROR frame, for each kind of bad frame; a
// peer's bytes come quoted and shortened.
func TestErrorMessages(t *testing.T) {
	long := strings.Repeat("\x1b", 50)
	for in, want := range map[string][2]string{
		long + "\n\n\x00":                          {"unknown command", `unknown command "` + strings.Repeat(`\x1b`, 40) + `"...`},
		"SEND\nno colon\n\n\x00":                   {"malformed header", `header line without name or ':': "no colon"`},
		"SEND\n:x\n\n\x00":                         {"malformed header", `header line without name or ':': ":x"`},
		"SEND\ncontent-length:12x\n\n\x00":         {"invalid content-length", `content-length "12x" is not a valid size`},
		"SEND\ncontent-length:99999999999\n\n\x00": {"invalid content-length", `content-length "99999999999" is not a valid size`},
		"SEND\ncontent-length:1\n\nab\x00":         {"frame not terminated", "expected NUL after content-length bytes of body"},
	} {
		_, err := NewReader(strings.NewReader(in), Options{}).Read()
		var we *Error
		if !errors.As(err, &we) || we.Message != want[0] || we.Detail != want[1] || !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %#v, want %q", in, err, want)
		}
	}
}

// An error in the body comes with the frame's command and headers, so a
// broker's ERROR can carry the receipt-id the frame asked for.
func TestBodyErrorKeepsHeaders(t *testing.T) {
	for _, in := range []string{
		"SEND\nreceipt:r\ncontent-length:2000\n\n",
		"SEND\nreceipt:r\n\n" + strings.Repeat("x", 200) + "\x00",
		"SEND\nreceipt:r\ncontent-length:1\n\nab\x00",
	} {
		f, err := NewReader(strings.NewReader(in), Options{MaxFrameSize: 100}).Read()
		if err == nil || f == nil || f.Command != "SEND" || f.Header.Get("receipt") != "r" {
			t.Errorf("%.30q: %v, %v", in, f, err)
		}
	}
}

// Grow keeps the bytes already read ahead into the old buffer.
func TestGrowKeepsReadAhead(t *testing.T) {
	in := "CONNECT\n\n\x00SEND\na:b\n\n" + strings.Repeat("x", 10000) + "\x00"
	r := NewReader(iotest.HalfReader(strings.NewReader(in)), Options{BufferSize: 16})
	if f, err := r.Read(); err != nil || f.Command != "CONNECT" {
		t.Fatalf("CONNECT: %v %v", f, err)
	}
	r.Grow(4096)
	if r.br.Size() != 4096 {
		t.Fatalf("buffer of %d bytes after Grow(4096)", r.br.Size())
	}
	f, err := r.Read()
	if err != nil || f.Command != "SEND" || f.Header.Get("a") != "b" || len(f.Body) != 10000 {
		t.Fatalf("SEND after Grow: %v %v", f, err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// BenchmarkReadSend reads SENDs with the broker's options.
func BenchmarkReadSend(b *testing.B) {
	frame := "SEND\ndestination:/queue/bench\ncontent-type:text/plain\ncontent-length:100\n\n" + strings.Repeat("x", 100) + "\x00"
	data := []byte(strings.Repeat(frame, 1000))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), Options{MaxFrameSize: 8 << 20, MaxHeaders: 1000, Version: V12, ClientFramesOnly: true})
		for range 1000 {
			if _, err := r.Read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
