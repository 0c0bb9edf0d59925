package broker

import (
	"fmt"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// No MESSAGE of a subscription comes after its UNSUBSCRIBE's receipt, and
// those the broker had not written by then stay queued, once: the next
// consumer gets every message exactly once. Before, deliveries queued for a
// slow reader while the UNSUBSCRIBE was handled were held back and written
// after its receipt (tens of thousands with a 300,000-message queue), for
// a subscription the client no longer had, though the broker had put them
// back on the queue.
func TestNoMessageAfterUnsubscribeReceipt(t *testing.T) {
	b := startBroker(t, Config{OutBufferBytes: 4 << 10})
	const total = 20000
	p := connect(t, b, "1.2")
	for i := range total {
		p.send(frame.SEND, fmt.Appendf(nil, "%d", i), frame.Destination, "/queue/u")
	}
	p.send(frame.DISCONNECT, nil, frame.Receipt, "sent")
	p.expectReceipt("sent")

	for round := 0; round < 20; round++ {
		c := connect(t, b, "1.2")
		c.send(frame.SUBSCRIBE, nil, frame.Id, "s", frame.Destination, "/queue/u", frame.Ack, "client")
		for range 500 { // the queue is flowing: the outbox refills as we read
			c.expect(frame.MESSAGE)
		}
		c.send(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Receipt, "unsub")
		unsubscribed := false
		for !unsubscribed {
			f, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			unsubscribed = f.Command == frame.RECEIPT && f.Header.Get(frame.ReceiptId) == "unsub"
		}
		c.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
		for {
			f, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			if f.Command == frame.MESSAGE {
				t.Fatalf("round %d: MESSAGE %s came after the UNSUBSCRIBE's receipt", round, f.Body)
			}
			if f.Command == frame.RECEIPT {
				break
			}
		}
	}

	c := connect(t, b, "1.2")
	c.send(frame.SUBSCRIBE, nil, frame.Id, "s", frame.Destination, "/queue/u")
	seen := map[string]bool{}
	for range total {
		f := c.expect(frame.MESSAGE)
		if seen[string(f.Body)] {
			t.Fatalf("message %s came twice", f.Body)
		}
		seen[string(f.Body)] = true
	}
	c.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	c.expect(frame.RECEIPT) // and no MESSAGE more
}
