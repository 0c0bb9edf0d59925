package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"
)

func TestQueueRoundRobin(t *testing.T) {
	b := startBroker(t, Config{})
	c1 := connect(t, b, "1.2")
	c2 := connect(t, b, "1.2")
	c3 := connect(t, b, "1.2")
	for _, c := range []*raw{c1, c2, c3} {
		c.subscribe("s", "/queue/rr", "auto")
	}
	p := connect(t, b, "1.2")
	p.publish("/queue/rr", "0", "1", "2", "3", "4", "5")
	// Each consumer gets every third message, in order.
	got := map[*raw][]string{}
	for _, c := range []*raw{c1, c2, c3} {
		for i := 0; i < 2; i++ {
			got[c] = append(got[c], string(c.expect(frame.MESSAGE).Body))
		}
		c.expectNothing(30 * time.Millisecond)
	}
	seen := map[string]bool{}
	for c, bodies := range got {
		if bodies[0] >= bodies[1] {
			t.Errorf("out of order: %v", bodies)
		}
		for _, body := range bodies {
			if seen[body] {
				t.Errorf("%q delivered twice", body)
			}
			seen[body] = true
		}
		_ = c
	}
	if len(seen) != 6 {
		t.Errorf("delivered %d distinct messages, want 6", len(seen))
	}
}

func TestQueueKeepsMessagesUntilConsumed(t *testing.T) {
	b := startBroker(t, Config{})
	p := connect(t, b, "1.0")
	p.publish("/queue/keep", "early1", "early2")
	p.publish("plain-name", "no prefix is a queue too")
	p.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	p.expectReceipt("bye")
	c := connect(t, b, "1.1")
	c.subscribe("s", "/queue/keep", "auto")
	c.expectMessage("early1")
	c.expectMessage("early2")
	c.subscribe("p", "plain-name", "auto")
	c.expectMessage("no prefix is a queue too")
}

func TestTopicFanOut(t *testing.T) {
	b := startBroker(t, Config{})
	p := connect(t, b, "1.2")
	p.publish("/topic/news", "before anyone listened")
	p.send(frame.BEGIN, nil, frame.Transaction, "x", frame.Receipt, "x")
	p.expectReceipt("x")
	subs := []*raw{connect(t, b, "1.2"), connect(t, b, "1.1"), connect(t, b, "")}
	for _, c := range subs {
		c.subscribe("news", "/topic/news", "auto")
	}
	p.publish("/topic/news", "one", "two")
	for _, c := range subs {
		m := c.expectMessage("one")
		if m.Header.Get(frame.Destination) != "/topic/news" || m.Header.Get(frame.Subscription) != "news" {
			t.Errorf("bad MESSAGE: %s", describe(m))
		}
		c.expectMessage("two")
		c.expectNothing(30 * time.Millisecond)
	}
	// Two subscriptions of one connection each get a copy.
	subs[0].subscribe("again", "/topic/news", "client-individual")
	p.publish("/topic/news", "three")
	a, bb := subs[0].expect(frame.MESSAGE), subs[0].expect(frame.MESSAGE)
	if a.Header.Get(frame.Subscription) == bb.Header.Get(frame.Subscription) {
		t.Errorf("same subscription twice: %s / %s", describe(a), describe(bb))
	}
}

func TestTopicNackRedeliversToSameSubscriber(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/topic/n", "client-individual")
	c.publish("/topic/n", "m")
	m := c.expectMessage("m")
	c.send(frame.NACK, nil, frame.Id, m.Header.Get(frame.Ack))
	if again := c.expectMessage("m"); again.Header.Get("redelivered") != "true" {
		t.Errorf("missing redelivered: %s", describe(again))
	}
}

func TestUserHeadersPreserved(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.subscribe("s", "/queue/h", "auto")
	c.send(frame.SEND, []byte("{}"), frame.Destination, "/queue/h",
		frame.ContentType, "application/json", "x-custom", "yes", "priority", "4",
		"x-custom", "second copy is dropped", frame.Transaction+"-not", "kept",
		frame.MessageId, "forged", frame.Receipt, "r", "redelivered", "true")
	c.expectReceipt("r")
	m := c.expectMessage("{}")
	want := map[string]string{
		frame.ContentType: "application/json", "x-custom": "yes", "priority": "4",
		"transaction-not": "kept", frame.ContentLength: "2",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q (%s)", k, got, v, describe(m))
		}
	}
	if len(m.Header.GetAll("x-custom")) != 1 || len(m.Header.GetAll(frame.MessageId)) != 1 ||
		m.Header.Get(frame.MessageId) == "forged" || m.Header.Get(frame.Receipt) != "" ||
		m.Header.Get("redelivered") != "" {
		t.Errorf("reserved or repeated headers leaked: %s", describe(m))
	}
}

func TestTempQueueReply(t *testing.T) {
	b := startBroker(t, Config{})
	svc := connect(t, b, "1.2")
	svc.subscribe("requests", "/queue/svc", "auto")

	req := connect(t, b, "1.2")
	req.send(frame.SEND, []byte("ping"), frame.Destination, "/queue/svc", "reply-to", "/temp-queue/answers")
	in := svc.expectMessage("ping")
	replyTo := in.Header.Get("reply-to")
	if !strings.HasPrefix(replyTo, "/reply-queue/") {
		t.Fatalf("reply-to not rewritten: %s", describe(in))
	}
	svc.send(frame.SEND, []byte("pong"), frame.Destination, replyTo, frame.Receipt, "replied")
	svc.expectReceipt("replied")
	out := req.expectMessage("pong")
	if out.Header.Get(frame.Subscription) != "/temp-queue/answers" || out.Header.Get(frame.Destination) != replyTo {
		t.Errorf("reply MESSAGE: %s", describe(out))
	}

	// Another connection using the same temp name gets its own queue.
	req2 := connect(t, b, "1.1")
	req2.send(frame.SEND, []byte("ping2"), frame.Destination, "/queue/svc", "reply-to", "/temp-queue/answers")
	in2 := svc.expectMessage("ping2")
	if in2.Header.Get("reply-to") == replyTo {
		t.Fatalf("two connections share reply queue %s", replyTo)
	}
	svc.send(frame.SEND, []byte("pong2"), frame.Destination, in2.Header.Get("reply-to"))
	req2.expectMessage("pong2")
	req.expectNothing(30 * time.Millisecond)

	// Nobody else may consume it, and it dies with its connection:
	// replying afterwards is silently dropped, not an error.
	req.send(frame.DISCONNECT, nil, frame.Receipt, "bye")
	req.expectReceipt("bye")
	req.expectClosed()
	svc.send(frame.SEND, []byte("late"), frame.Destination, replyTo, frame.Receipt, "late")
	svc.expectReceipt("late")
	thief := connect(t, b, "1.2")
	thief.send(frame.SUBSCRIBE, nil, frame.Id, "x", frame.Destination, in2.Header.Get("reply-to"))
	thief.expectError("access refused")
}

func TestTempQueueExplicitSubscription(t *testing.T) {
	b := startBroker(t, Config{})
	svc := connect(t, b, "1.2")
	svc.subscribe("requests", "/queue/svc2", "auto")
	req := connect(t, b, "1.2")
	req.subscribe("mine", "/temp-queue/r", "client-individual")
	req.send(frame.SEND, []byte("q"), frame.Destination, "/queue/svc2", "reply-to", "/temp-queue/r")
	in := svc.expectMessage("q")
	svc.send(frame.SEND, []byte("a"), frame.Destination, in.Header.Get("reply-to"))
	m := req.expectMessage("a")
	if m.Header.Get(frame.Subscription) != "mine" || m.Header.Get(frame.Destination) != "/temp-queue/r" {
		t.Errorf("reply: %s", describe(m))
	}
	req.send(frame.ACK, nil, frame.Id, m.Header.Get(frame.Ack), frame.Receipt, "ok")
	req.expectReceipt("ok")
	// Sending to one's own /temp-queue/ name works too.
	req.publish("/temp-queue/r", "self")
	req.expectMessage("self")
}

// TestGoStompTempQueue uses go-stomp's client for the RPC pattern.
func TestGoStompTempQueue(t *testing.T) {
	b := startBroker(t, Config{})
	svc := goStomp(t, b)
	sub, err := svc.Subscribe("/queue/rpc", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for m := range sub.C {
			if m.Err != nil {
				return
			}
			_ = svc.Send(m.Header.Get("reply-to"), "text/plain", append([]byte("re: "), m.Body...))
		}
	}()
	c := dial(t, b)
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
	c.expect(frame.CONNECTED)
	c.send(frame.SEND, []byte("hi"), frame.Destination, "/queue/rpc", "reply-to", "/temp-queue/rpc")
	if m := c.expectMessage("re: hi"); m.Header.Get(frame.Subscription) != "/temp-queue/rpc" {
		t.Errorf("reply: %s", describe(m))
	}
}
