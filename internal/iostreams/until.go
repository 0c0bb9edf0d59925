package iostreams

import (
	"context"
	"io"
	"sync"
)

// InUntil is standard input read so that a read waiting for input ends
// when ctx does, with ctx's cause (the signal that stopped the run). A
// read from a pipe cannot be interrupted: without this, a run stopped with
// SIGTERM while its input is quiet (tail -f log | stomp send --lines, a
// script piped in) would go on until the writer writes or closes. The
// reading starts at the first Read, on a goroutine of its own: nothing is
// read from a standard input the run never reads, and what that goroutine
// reads after ctx ended is dropped (the run is over).
func (s *IOStreams) InUntil(ctx context.Context) io.Reader {
	return &readUntil{ctx: ctx, r: s.In, chunks: make(chan chunk)}
}

type readUntil struct {
	ctx     context.Context
	r       io.Reader
	start   sync.Once
	chunks  chan chunk
	pending []byte
	err     error // the input's own end, once every byte before it was read
}

// chunk is one read of the underlying input: its bytes, then its error.
type chunk struct {
	b   []byte
	err error
}

func (u *readUntil) Read(p []byte) (int, error) {
	if len(u.pending) == 0 && u.err == nil {
		u.start.Do(func() { go u.readAll() })
		select {
		case c := <-u.chunks:
			u.pending, u.err = c.b, c.err
		case <-u.ctx.Done():
			return 0, context.Cause(u.ctx)
		}
	}
	if len(u.pending) == 0 {
		return 0, u.err
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}

// readAll reads the input into fresh buffers (the one handed over is the
// reader's until it is used up) until it ends or ctx does.
func (u *readUntil) readAll() {
	for {
		buf := make([]byte, 32<<10)
		n, err := u.r.Read(buf)
		select {
		case u.chunks <- chunk{buf[:n], err}:
		case <-u.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}
