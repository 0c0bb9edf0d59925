package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// nack NACKs m (1.2) and waits for the receipt.
func (c *raw) nack(m *frame.Frame) {
	c.t.Helper()
	c.send(frame.NACK, nil, frame.Id, m.Header.Get(frame.Ack), frame.Receipt, "nack")
	c.expectReceipt("nack")
}

// expectDeadLetter reads the message from dlq and checks what it carries.
func expectDeadLetter(t *testing.T, b *Broker, dlq, body, from, reason string) {
	t.Helper()
	c := connect(t, b, "1.2")
	c.subscribe("dlq", dlq, "client-individual")
	m := c.expectMessage(body)
	for name, want := range map[string]string{"x-app": "orders", frame.ContentType: "text/plain", "original-destination": from} {
		if got := m.Header.Get(name); got != want {
			t.Errorf("dead letter %s = %q, want %q (%s)", name, got, want, describe(m))
		}
	}
	if got := m.Header.Get("dead-letter-reason"); !strings.HasPrefix(got, reason) {
		t.Errorf("dead-letter-reason %q, want it to start with %q", got, reason)
	}
	c.send(frame.ACK, nil, frame.Id, m.Header.Get(frame.Ack), frame.Receipt, "a")
	c.expectReceipt("a")
}

// TestDeadLetterAfterNacks: a message NACKed more than MaxRedeliveries
// times moves to /queue/DLQ.<name> with its headers, where it is read
// like any queue (and never dropped, however often it is NACKed there).
func TestDeadLetterAfterNacks(t *testing.T) {
	b := startBroker(t, Config{MaxRedeliveries: 2})
	p := connect(t, b, "1.2")
	p.send(frame.SEND, []byte("poison"), frame.Destination, "/queue/orders", "x-app", "orders", frame.ContentType, "text/plain", frame.Receipt, "s")
	p.expectReceipt("s")
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/orders", "client-individual")
	for i := 0; i < 3; i++ { // the first delivery and 2 redeliveries
		m := c.expectMessage("poison")
		if got, want := m.Header.Get("redelivered") == "true", i > 0; got != want {
			t.Errorf("delivery %d: redelivered %v", i+1, got)
		}
		c.nack(m)
	}
	c.expectNothing(200 * time.Millisecond)

	d := connect(t, b, "1.2")
	d.subscribe("dlq", "/queue/DLQ.orders", "client-individual")
	for i := 0; i < 5; i++ {
		d.nack(d.expectMessage("poison"))
	}
	d.nc.Close()
	expectDeadLetter(t, b, "/queue/DLQ.orders", "poison", "/queue/orders", "NACK (delivered 3 times; --max-redeliveries 2)")

	// A healthy message on the same queue is unaffected.
	p.send(frame.SEND, []byte("fine"), frame.Destination, "/queue/orders")
	c.send(frame.ACK, nil, frame.Id, c.expectMessage("fine").Header.Get(frame.Ack))

	// Topic subscriptions count too; their dead letters get a queue as well.
	c.subscribe("t", "/topic/prices", "client-individual")
	p.send(frame.SEND, []byte("bad price"), frame.Destination, "/topic/prices", "x-app", "orders", frame.ContentType, "text/plain")
	for i := 0; i < 3; i++ {
		c.nack(c.expectMessage("bad price"))
	}
	expectDeadLetter(t, b, "/queue/DLQ.topic/prices", "bad price", "/topic/prices", "NACK")
}

// TestDeadLetterAfterDisconnects: a consumer that dies holding the message
// (unacked when its connection closes) counts as a failed delivery; an
// UNSUBSCRIBE that gives it back does not.
func TestDeadLetterAfterDisconnects(t *testing.T) {
	b := startBroker(t, Config{MaxRedeliveries: 1})
	p := connect(t, b, "1.2")
	p.send(frame.SEND, []byte("crash"), frame.Destination, "/queue/jobs", "x-app", "orders", frame.ContentType, "text/plain", frame.Receipt, "s")
	p.expectReceipt("s")
	for i := 0; i < 4; i++ { // giving it back does not count
		c := connect(t, b, "1.2")
		c.subscribe("s", "/queue/jobs", "client")
		c.expectMessage("crash")
		c.send(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Receipt, "u")
		c.expectReceipt("u")
	}
	for i := 0; i < 2; i++ {
		c := connect(t, b, "1.2")
		c.subscribe("s", "/queue/jobs", "client")
		c.expectMessage("crash")
		c.nc.Close()
		time.Sleep(50 * time.Millisecond) // let the broker notice
	}
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/jobs", "client")
	c.expectNothing(200 * time.Millisecond)
	expectDeadLetter(t, b, "/queue/DLQ.jobs", "crash", "/queue/jobs", "consumer disconnected without ACK (delivered 2 times")
}

// TestNoRedeliveryLimit: a negative MaxRedeliveries redelivers forever.
func TestNoRedeliveryLimit(t *testing.T) {
	b := startBroker(t, Config{MaxRedeliveries: -1})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/forever", "client-individual")
	c.publish("/queue/forever", "again")
	for i := 0; i < 20; i++ {
		c.nack(c.expectMessage("again"))
	}
	c.expectMessage("again")
}
