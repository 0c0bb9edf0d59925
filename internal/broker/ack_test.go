package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

func TestReceiptsForEveryFrame(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.send(frame.SUBSCRIBE, nil, frame.Id, "s", frame.Destination, "/queue/r", frame.Ack, "client-individual", frame.Receipt, "sub")
	c.expectReceipt("sub")
	c.send(frame.SEND, []byte("1"), frame.Destination, "/queue/r", frame.Receipt, "send")
	// The MESSAGE and the RECEIPT may come in either order.
	var msg *frame.Frame
	gotReceipt := false
	for msg == nil || !gotReceipt {
		f, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		switch f.Command {
		case frame.MESSAGE:
			msg = f
		case frame.RECEIPT:
			if f.Header.Get(frame.ReceiptId) != "send" {
				t.Fatalf("bad receipt %s", describe(f))
			}
			gotReceipt = true
		default:
			t.Fatalf("unexpected %s", describe(f))
		}
	}
	c.send(frame.ACK, nil, frame.Id, msg.Header.Get(frame.Ack), frame.Receipt, "ack")
	c.expectReceipt("ack")
	c.send(frame.SEND, []byte("2"), frame.Destination, "/queue/r")
	m2 := c.expectMessage("2")
	c.send(frame.NACK, nil, frame.Id, m2.Header.Get(frame.Ack), frame.Receipt, "nack", "requeue", "false")
	c.expectReceipt("nack")
	for _, cmd := range []string{frame.BEGIN, frame.COMMIT} {
		c.send(cmd, nil, frame.Transaction, "t1", frame.Receipt, cmd)
		c.expectReceipt(cmd)
	}
	c.send(frame.BEGIN, nil, frame.Transaction, "t2")
	c.send(frame.ABORT, nil, frame.Transaction, "t2", frame.Receipt, "abort")
	c.expectReceipt("abort")
	c.send(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Receipt, "unsub")
	c.expectReceipt("unsub")
	c.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	c.expectReceipt("bye")
	c.expectClosed()
}

func TestProtocolErrors(t *testing.T) {
	b := startBroker(t, Config{})
	for _, tc := range []struct {
		name    string
		setup   func(c *raw)
		cmd     string
		headers []string
		want    string
	}{
		{name: "unknown command", cmd: "FROB", want: "unknown command"},
		{name: "server command", cmd: frame.MESSAGE, want: "unknown command"},
		{name: "send without destination", cmd: frame.SEND, want: "missing destination"},
		{name: "subscribe without destination", cmd: frame.SUBSCRIBE, headers: []string{frame.Id, "1"}, want: "missing destination"},
		{name: "subscribe without id", cmd: frame.SUBSCRIBE, headers: []string{frame.Destination, "/queue/x"}, want: "missing id"},
		{name: "bad ack mode", cmd: frame.SUBSCRIBE, headers: []string{frame.Id, "1", frame.Destination, "/queue/x", frame.Ack, "sometimes"}, want: "invalid ack mode"},
		{name: "duplicate subscription", setup: func(c *raw) {
			c.send(frame.SUBSCRIBE, nil, frame.Id, "1", frame.Destination, "/queue/x")
		}, cmd: frame.SUBSCRIBE, headers: []string{frame.Id, "1", frame.Destination, "/queue/y"}, want: "duplicate subscription"},
		{name: "unsubscribe without id", cmd: frame.UNSUBSCRIBE, want: "missing id"},
		{name: "unknown subscription", cmd: frame.UNSUBSCRIBE, headers: []string{frame.Id, "nope"}, want: "unknown subscription"},
		{name: "ack without id", cmd: frame.ACK, want: "missing id"},
		{name: "bad ack id", cmd: frame.ACK, headers: []string{frame.Id, "bogus-1"}, want: "bad ack id"},
		{name: "nack bad id", cmd: frame.NACK, headers: []string{frame.MessageId, "12", frame.Subscription, "1"}, want: "bad ack id"},
		{name: "begin without transaction", cmd: frame.BEGIN, want: "missing transaction"},
		{name: "duplicate transaction", setup: func(c *raw) {
			c.send(frame.BEGIN, nil, frame.Transaction, "t")
		}, cmd: frame.BEGIN, headers: []string{frame.Transaction, "t"}, want: "duplicate transaction"},
		{name: "commit unknown transaction", cmd: frame.COMMIT, headers: []string{frame.Transaction, "t"}, want: "unknown transaction"},
		{name: "abort unknown transaction", cmd: frame.ABORT, headers: []string{frame.Transaction, "t"}, want: "unknown transaction"},
		{name: "send in unknown transaction", cmd: frame.SEND, headers: []string{frame.Destination, "/queue/x", frame.Transaction, "t"}, want: "unknown transaction"},
		{name: "subscribe to someone's reply queue", cmd: frame.SUBSCRIBE, headers: []string{frame.Id, "1", frame.Destination, "/reply-queue/x"}, want: "access refused"},
		{name: "bad content-length", cmd: frame.SEND, headers: []string{frame.Destination, "/queue/x", frame.ContentLength, "-1"}, want: "invalid content-length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connect(t, b, "1.2")
			if tc.setup != nil {
				tc.setup(c)
			}
			c.send(tc.cmd, nil, append(tc.headers, frame.Receipt, "r-"+tc.name)...)
			f := c.expectError(tc.want)
			if tc.name != "unknown command" && tc.name != "server command" && f.Header.Get(frame.ReceiptId) != "r-"+tc.name {
				t.Errorf("missing receipt-id: %s", describe(f))
			}
		})
	}
}

// subscribe subscribes and waits until the broker has processed it.
func (c *raw) subscribe(id, dest, ack string) {
	c.t.Helper()
	c.send(frame.SUBSCRIBE, nil, frame.Id, id, frame.Destination, dest, frame.Ack, ack, frame.Receipt, "sub-"+id)
	c.expectReceipt("sub-" + id)
}

func (c *raw) publish(dest string, bodies ...string) {
	c.t.Helper()
	for _, body := range bodies {
		c.send(frame.SEND, []byte(body), frame.Destination, dest)
	}
}

func TestAckAuto(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/auto", "auto")
	c.publish("/queue/auto", "a", "b")
	m := c.expectMessage("a")
	for _, h := range []string{frame.Destination, frame.MessageId, frame.Subscription, frame.Ack, frame.ContentLength} {
		if _, ok := m.Header.Contains(h); !ok {
			t.Errorf("MESSAGE lacks %s: %s", h, describe(m))
		}
	}
	if m.Header.Get(frame.Destination) != "/queue/auto" || m.Header.Get(frame.Subscription) != "s" {
		t.Errorf("bad headers: %s", describe(m))
	}
	c.expectMessage("b")
	// Acking an auto-ack message this connection received is harmless.
	c.send(frame.ACK, nil, frame.Id, m.Header.Get(frame.Ack), frame.Receipt, "ok")
	c.expectReceipt("ok")
	c.send(frame.DISCONNECT, nil)
	c.expectClosed()

	// Nothing is redelivered: auto ack means consumed on delivery.
	c2 := connect(t, b, "1.2")
	c2.subscribe("s", "/queue/auto", "auto")
	c2.expectNothing(100 * time.Millisecond)
}

func TestAckClientIsCumulative(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/cum", "client")
	c.publish("/queue/cum", "1", "2", "3", "4")
	var ms []*frame.Frame
	for _, body := range []string{"1", "2", "3", "4"} {
		ms = append(ms, c.expectMessage(body))
	}
	// ACK of the third acknowledges 1, 2 and 3; 4 stays unacked.
	c.send(frame.ACK, nil, frame.Id, ms[2].Header.Get(frame.Ack), frame.Receipt, "a3")
	c.expectReceipt("a3")
	// Re-acking an already (cumulatively) acked message is ignored.
	c.send(frame.ACK, nil, frame.Id, ms[0].Header.Get(frame.Ack), frame.Receipt, "a1")
	c.expectReceipt("a1")
	c.nc.Close()

	c2 := connect(t, b, "1.2")
	c2.subscribe("s", "/queue/cum", "client")
	m := c2.expectMessage("4")
	if m.Header.Get("redelivered") != "true" {
		t.Errorf("redelivered message lacks redelivered:true: %s", describe(m))
	}
	c2.expectNothing(100 * time.Millisecond)
}

func TestAckClientIndividual(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/ind", "client-individual")
	c.publish("/queue/ind", "1", "2", "3")
	var ms []*frame.Frame
	for _, body := range []string{"1", "2", "3"} {
		ms = append(ms, c.expectMessage(body))
	}
	c.send(frame.ACK, nil, frame.Id, ms[1].Header.Get(frame.Ack), frame.Receipt, "a2")
	c.expectReceipt("a2")
	c.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	c.expectReceipt("bye")

	c2 := connect(t, b, "1.2")
	c2.subscribe("s", "/queue/ind", "client-individual")
	for _, body := range []string{"1", "3"} {
		if m := c2.expectMessage(body); m.Header.Get("redelivered") != "true" {
			t.Errorf("missing redelivered: %s", describe(m))
		}
	}
	c2.expectNothing(100 * time.Millisecond)
}

// TestAckHeaderForms checks each version's ACK form, and that the other
// forms are accepted too.
func TestAckHeaderForms(t *testing.T) {
	b := startBroker(t, Config{})
	for i, tc := range []struct {
		accept string
		form   func(m *frame.Frame) []string
	}{
		{"1.2", func(m *frame.Frame) []string { return []string{frame.Id, m.Header.Get(frame.Ack)} }},
		{"1.1", func(m *frame.Frame) []string {
			return []string{frame.MessageId, m.Header.Get(frame.MessageId), frame.Subscription, m.Header.Get(frame.Subscription)}
		}},
		{"", func(m *frame.Frame) []string { return []string{frame.MessageId, m.Header.Get(frame.MessageId)} }},
		{"1.2", func(m *frame.Frame) []string { return []string{frame.MessageId, m.Header.Get(frame.MessageId)} }},
		{"1.1", func(m *frame.Frame) []string { return []string{frame.Id, m.Header.Get(frame.MessageId)} }},
	} {
		dest := fmt.Sprintf("/queue/forms-%d", i)
		c := connect(t, b, tc.accept)
		c.subscribe("s", dest, "client-individual")
		c.publish(dest, "x")
		m := c.expectMessage("x")
		if _, hasAck := m.Header.Contains(frame.Ack); hasAck != (tc.accept == "1.2") {
			t.Errorf("version %q: ack header presence wrong: %s", tc.accept, describe(m))
		}
		c.send(frame.ACK, nil, append(tc.form(m), frame.Receipt, "r")...)
		c.expectReceipt("r")
		c.send(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Receipt, "u")
		c.expectReceipt("u")
		// Acked, so nothing comes back after resubscribing.
		c.subscribe("s2", dest, "client-individual")
		c.expectNothing(50 * time.Millisecond)
	}
}

func TestNackRedelivers(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/nack", "client-individual")
	c.publish("/queue/nack", "a", "b")
	ma := c.expectMessage("a")
	c.expectMessage("b")
	c.send(frame.NACK, nil, frame.Id, ma.Header.Get(frame.Ack))
	again := c.expectMessage("a")
	if again.Header.Get("redelivered") != "true" {
		t.Errorf("no redelivered:true: %s", describe(again))
	}
	if again.Header.Get(frame.Ack) == ma.Header.Get(frame.Ack) {
		t.Errorf("redelivery reused ack id %q", again.Header.Get(frame.Ack))
	}
	// The old ack id is no longer pending: acking it is a no-op.
	c.send(frame.ACK, nil, frame.Id, ma.Header.Get(frame.Ack))
	c.send(frame.ACK, nil, frame.Id, again.Header.Get(frame.Ack), frame.Receipt, "done")
	c.expectReceipt("done")
}

func TestNackClientModeIsCumulativeAndKeepsOrder(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.1")
	c.subscribe("s", "/queue/nackc", "client")
	c.publish("/queue/nackc", "1", "2", "3")
	c.expectMessage("1")
	m2 := c.expectMessage("2")
	c.expectMessage("3")
	c.send(frame.NACK, nil, frame.MessageId, m2.Header.Get(frame.MessageId), frame.Subscription, "s")
	for _, body := range []string{"1", "2"} {
		if m := c.expectMessage(body); m.Header.Get("redelivered") != "true" {
			t.Errorf("missing redelivered: %s", describe(m))
		}
	}
	c.expectNothing(50 * time.Millisecond)
}

func TestRedeliveryToOtherConsumerOnDisconnect(t *testing.T) {
	b := startBroker(t, Config{})
	a := connect(t, b, "1.2")
	a.subscribe("s", "/queue/rd", "client-individual")
	a.publish("/queue/rd", "only")
	a.expectMessage("only")
	other := connect(t, b, "1.2")
	other.subscribe("s", "/queue/rd", "client-individual")
	other.expectNothing(50 * time.Millisecond)
	a.nc.Close() // crash without acking
	m := other.expectMessage("only")
	if m.Header.Get("redelivered") != "true" {
		t.Errorf("missing redelivered: %s", describe(m))
	}
}

func TestUnsubscribeRequeuesUnacked(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/uq", "client")
	c.publish("/queue/uq", "x")
	c.expectMessage("x")
	c.send(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Receipt, "u")
	c.expectReceipt("u")
	c.subscribe("t", "/queue/uq", "auto")
	if m := c.expectMessage("x"); m.Header.Get(frame.Subscription) != "t" || m.Header.Get("redelivered") != "true" {
		t.Errorf("bad redelivery: %s", describe(m))
	}
}

func TestTransactionSend(t *testing.T) {
	b := startBroker(t, Config{})
	cons := connect(t, b, "1.2")
	cons.subscribe("s", "/queue/tx", "auto")
	p := connect(t, b, "1.2")
	p.send(frame.BEGIN, nil, frame.Transaction, "t1")
	p.send(frame.SEND, []byte("one"), frame.Destination, "/queue/tx", frame.Transaction, "t1")
	p.send(frame.SEND, []byte("two"), frame.Destination, "/queue/tx", frame.Transaction, "t1", frame.Receipt, "r2")
	p.expectReceipt("r2")
	cons.expectNothing(100 * time.Millisecond)
	p.send(frame.COMMIT, nil, frame.Transaction, "t1")
	m := cons.expectMessage("one")
	if _, ok := m.Header.Contains(frame.Transaction); ok {
		t.Errorf("transaction header leaked: %s", describe(m))
	}
	cons.expectMessage("two")

	p.send(frame.BEGIN, nil, frame.Transaction, "t2")
	p.send(frame.SEND, []byte("never"), frame.Destination, "/queue/tx", frame.Transaction, "t2")
	p.send(frame.ABORT, nil, frame.Transaction, "t2", frame.Receipt, "ab")
	p.expectReceipt("ab")
	cons.expectNothing(100 * time.Millisecond)
	// A finished transaction cannot be reused.
	p.send(frame.COMMIT, nil, frame.Transaction, "t2")
	p.expectError("unknown transaction")
}

func TestTransactionAck(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/txack", "client-individual")
	c.publish("/queue/txack", "a", "b")
	ma := c.expectMessage("a")
	mb := c.expectMessage("b")
	c.send(frame.BEGIN, nil, frame.Transaction, "t1")
	c.send(frame.ACK, nil, frame.Id, ma.Header.Get(frame.Ack), frame.Transaction, "t1")
	c.send(frame.COMMIT, nil, frame.Transaction, "t1")
	c.send(frame.BEGIN, nil, frame.Transaction, "t2")
	c.send(frame.ACK, nil, frame.Id, mb.Header.Get(frame.Ack), frame.Transaction, "t2")
	c.send(frame.ABORT, nil, frame.Transaction, "t2")
	// A transactional ACK with a bogus id fails at once.
	c.send(frame.BEGIN, nil, frame.Transaction, "t3")
	c.send(frame.ACK, nil, frame.Id, "bogus", frame.Transaction, "t3", frame.Receipt, "bad")
	if f := c.expectError("bad ack id"); f.Header.Get(frame.ReceiptId) != "bad" {
		t.Errorf("no receipt-id: %s", describe(f))
	}

	// "a" was acked (committed); "b" was not (aborted), so only "b" returns.
	c2 := connect(t, b, "1.2")
	c2.subscribe("s", "/queue/txack", "client-individual")
	c2.expectMessage("b")
	c2.expectNothing(100 * time.Millisecond)
}

func TestTransactionsAbortedOnDisconnect(t *testing.T) {
	b := startBroker(t, Config{})
	cons := connect(t, b, "1.2")
	cons.subscribe("s", "/queue/txd", "auto")
	p := connect(t, b, "1.2")
	p.send(frame.BEGIN, nil, frame.Transaction, "t")
	p.send(frame.SEND, []byte("lost"), frame.Destination, "/queue/txd", frame.Transaction, "t")
	p.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	p.expectReceipt("bye")
	cons.expectNothing(100 * time.Millisecond)
}
