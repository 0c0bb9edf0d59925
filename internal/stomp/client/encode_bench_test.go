package client

import (
	"bufio"
	"io"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// BenchmarkWriteSend measures the encode half of the hot path: a 100-byte
// SEND through the same writer stack writeLoop uses (go-stomp's
// frame.Writer over our 64 KiB bufio.Writer), allocations reported. The
// decode half is internal/stomp/wire's BenchmarkReadMessage.
func BenchmarkWriteSend(b *testing.B) {
	bw := bufio.NewWriterSize(io.Discard, 64*1024)
	w := frame.NewWriterSize(bw, 64*1024)
	body := make([]byte, 100)
	f := &frame.Frame{Command: frame.SEND, Header: frame.NewHeader(frame.Destination, "/queue/bench", frame.ContentLength, "100"), Body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(f); err != nil {
			b.Fatal(err)
		}
	}
}
