package session_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// BenchmarkSendStream is the ledger's hot path: a stream of 100-byte
// messages through Session.Send to the embedded broker (a topic nobody
// listens to), then Close, which returns once the broker confirmed them
// all. Allocations are reported: the ledger must add next to none.
func BenchmarkSendStream(b *testing.B) {
	ctx := context.Background()
	target := testbroker.Embedded(b)
	nc, err := net.Dial("tcp", target.Addr())
	if err != nil {
		b.Fatal(err)
	}
	conn, err := client.Connect(ctx, nc, client.Options{Versions: []string{"1.2"}})
	if err != nil {
		b.Fatal(err)
	}
	s := session.New(conn, 10*time.Second)
	body := make([]byte, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Send(ctx, "/topic/bench", body, session.SendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
