package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadFrames(t *testing.T) {
	in := "\nMESSAGE\r\ndestination:/queue/a\nk\\c1:v\\nx\\\\y\n\nhello\x00\n" +
		"MESSAGE\ncontent-length:3\n\na\x00b\x00"
	r := NewReader(strings.NewReader(in), 1024)
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
		"huge content-length": "MESSAGE\ncontent-length:99999999999\n\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(in), 1000).Read()
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
	_, err := NewReader(counted, 1<<20).Read()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("want ErrFrameTooLarge, got %v", err)
	}
	if counted.n > 2<<20 {
		t.Fatalf("read %d bytes before refusing a frame over a 1 MiB limit", counted.n)
	}
}

func TestReadMalformed(t *testing.T) {
	for _, in := range []string{"BOGUS\n\n\x00", "MESSAGE\nnocolon\n\n\x00", "MESSAGE\ncontent-length:x\n\n\x00",
		"MESSAGE\ncontent-length:1\n\nab\x00"} {
		if _, err := NewReader(strings.NewReader(in), 0).Read(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: want ErrMalformed, got %v", in, err)
		}
	}
	if _, err := NewReader(strings.NewReader("MESSAGE\n\nno nul"), 0).Read(); err != io.ErrUnexpectedEOF {
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
		r := NewReader(bytes.NewReader(data), 1<<20)
		for range 1000 {
			if _, err := r.Read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
