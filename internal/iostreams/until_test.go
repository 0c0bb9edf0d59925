package iostreams

import (
	"context"
	"errors"
	"io"
	"testing"
)

// A read of InUntil waiting for input ends when ctx ends, with ctx's
// cause; what came before is read in order, and an input that ends ends it.
func TestInUntil(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ios, _, _ := Test()
	ios.In = pr
	stop := errors.New("stopped by a signal")
	ctx, cancel := context.WithCancelCause(context.Background())
	in := ios.InUntil(ctx)
	go func() { _, _ = pw.Write([]byte("one\ntwo\n")) }()
	got := make([]byte, 8)
	if _, err := io.ReadFull(in, got); err != nil || string(got) != "one\ntwo\n" {
		t.Fatalf("read %q, %v; want what was written", got, err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := in.Read(make([]byte, 8)) // nothing comes: it waits
		read <- err
	}()
	cancel(stop)
	if err := <-read; err != stop {
		t.Errorf("a read waiting when ctx ended returned %v, want ctx's cause", err)
	}

	ios.In = &onceReader{b: []byte("last")}
	in = ios.InUntil(context.Background())
	if b, err := io.ReadAll(in); err != nil || string(b) != "last" {
		t.Errorf("ReadAll = %q, %v; want the input and its end", b, err)
	}
}

// onceReader returns its bytes and io.EOF in one Read.
type onceReader struct{ b []byte }

func (r *onceReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, io.EOF
}
