package model

import (
	"os"
	"testing"
	"time"
)

// longOutage is how long the broker stays unreachable in TestLongOutage:
// under the minute the promise is about.
const longOutage = 50 * time.Second

// TestLongOutage: the broker is unreachable for most of a minute while the
// listeners, the replier and the shell run with their default back-off (up
// to 30s between attempts); none stops by itself, the shell takes a send
// again, and nothing promised before or after is lost. It takes well over a
// minute, so it runs with the slow fault suite: STOMP_TEST_FAULTS=1 (make
// test-faults). It never touches a real broker: the outage is the proxy's.
func TestLongOutage(t *testing.T) {
	if os.Getenv("STOMP_TEST_FAULTS") != "1" {
		t.Skip("a one-minute outage: set STOMP_TEST_FAULTS=1 (make test-faults)")
	}
	h := newHarness(t, startEmbedded(t), 1)
	ll := h.startLongLived()
	opSend(h)
	h.model.logf("broker unreachable for %v", longOutage)
	h.proxy.Refuse(longOutage)
	h.proxy.ResetAll()
	time.Sleep(longOutage)
	h.settle()
	opSend(h)
	// The longest wait between attempts is 30s by default, plus jitter.
	h.stopLongLived(ll, 40*time.Second)
	h.check()
}
