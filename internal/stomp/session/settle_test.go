package session_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// An ack waits as long as the broker is not reading (its queue on the
// connection full): a broker that pauses for longer than the receipt
// timeout must not fail a listener's acks. Before, an ack settled past a
// stop was bounded by the receipt timeout even while the run went on, and
// failed with "context deadline exceeded".
func TestAckWaitsForABrokerThatPaused(t *testing.T) {
	resume := make(chan struct{})
	var resumeOnce sync.Once
	resumeNow := func() { resumeOnce.Do(func() { close(resume) }) }
	defer resumeNow() // the broker's script ends with the test
	h := testbroker.StartHostile(t, func(c *testbroker.HostileConn) {
		if c.Connected("1.2") != nil {
			return
		}
		<-resume // reads nothing meanwhile
		c.Serve(nil)
	})
	s := openHostile(t, h, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stopped: the acks still go out
	pad := strings.Repeat("x", 1000)
	const acks = 40000 // 40 MB: more than the socket's buffers hold
	done := make(chan error, 1)
	go func() {
		for i := range acks {
			if err := s.Ack(ctx, pad+string(rune('a'+i%26)), "", false); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		t.Fatalf("the acks ended while the broker read nothing: %v", err)
	case <-time.After(time.Second): // ten receipt timeouts
	}
	resumeNow()
	if err := <-done; err != nil {
		t.Fatalf("an ack failed: %v", err)
	}
}
