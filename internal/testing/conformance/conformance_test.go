package conformance

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

func TestVersionNegotiation(t *testing.T) {
	cases := []struct {
		name    string
		command string
		accept  string
		want    string
	}{
		{"1.0 without accept-version", frame.CONNECT, "", "1.0"},
		{"1.0", frame.CONNECT, "1.0", "1.0"},
		{"1.1", frame.CONNECT, "1.1", "1.1"},
		{"1.2", frame.CONNECT, "1.2", "1.2"},
		{"highest of 1.0,1.1,1.2", frame.CONNECT, "1.0,1.1,1.2", "1.2"},
		{"highest of 1.0,1.1", frame.CONNECT, "1.0,1.1", "1.1"},
		{"STOMP frame 1.2", frame.STOMP, "1.2", "1.2"},
		{"STOMP frame 1.1", frame.STOMP, "1.1", "1.1"},
	}
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := connectWith(t, tg, connectOpts{command: tc.command, accept: tc.accept})
				v, ok := c.connected.Header.Contains(frame.Version)
				if tc.accept == "" {
					// STOMP 1.0 defines no version header; all three send version:1.0
					// anyway, which is what a client should expect from a 1.1+ server.
					if !ok || v != "1.0" {
						t.Errorf("CONNECTED version %q (present %v), want 1.0", v, ok)
					}
				} else if v != tc.want {
					t.Errorf("CONNECTED version %q, want %q", v, tc.want)
				}
				c.disconnect()
			})
		}
		t.Run("no common version", func(t *testing.T) {
			c := dialRaw(t, tg, "")
			c.send(frame.CONNECT, nil, frame.AcceptVersion, "9.9", frame.Host, "/", frame.Login, tg.Login, frame.Passcode, tg.Passcode)
			e := c.expect(frame.ERROR)
			if e.Header.Get(frame.Message) == "" {
				t.Errorf("ERROR without a message header: %s", describe([]*frame.Frame{e}))
			}
			// The spec (1.2, CONNECT) says the server must send the versions it supports in a
			// version header. ActiveMQ names them only in the message header.
			if v, want := e.Header.Get(frame.Version), "1.0,1.1,1.2"; tg.Name != testbroker.NameActiveMQ && v != want {
				t.Errorf("ERROR version header %q, want %q", v, want)
			}
			if tg.Name == testbroker.NameRabbitMQ {
				// RabbitMQ leaves the socket open after this ERROR (the session is dead:
				// the client has to close it).
				c.expectNone(quiet)
				return
			}
			if fs := c.expectClosed(waitFrame); len(fs) > 0 {
				t.Errorf("frames after ERROR: %s", describe(fs))
			}
		})
	})
}

// versions11 are the versions with NACK, client-individual and header escaping.
var versions11 = []string{"1.1", "1.2"}

var allVersions = []string{"1.0", "1.1", "1.2"}

func TestReceipts(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range allVersions {
			t.Run(v, func(t *testing.T) {
				q := testbroker.Unique(t, "/queue/")
				c := connect(t, tg, v, "")
				// withReceipt checks each RECEIPT's receipt-id.
				c.subscribe(q, "s1", "client")
				c.sendMsg(q, "one")
				m := c.expectMessage("one")
				c.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx1"))
				c.withReceipt(c.ackFrame(frame.ACK, m, frame.Transaction, "tx1"))
				c.withReceipt(frame.New(frame.COMMIT, frame.Transaction, "tx1"))
				c.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx2"))
				c.withReceipt(frame.New(frame.ABORT, frame.Transaction, "tx2"))
				c.sendMsg(q, "two")
				m = c.expectMessage("two")
				c.withReceipt(c.ackFrame(frame.ACK, m))
				unsub := frame.New(frame.UNSUBSCRIBE, frame.Id, "s1")
				if v == "1.0" {
					// 1.0 UNSUBSCRIBE may name the destination instead; all three take the id too.
					unsub.Header.Add(frame.Destination, q)
				}
				c.withReceipt(unsub)
				c.sendMsg(q, "three")
				c.expectNone(quiet)
				c.disconnect()
			})
		}
	})
}

func TestAckAuto(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range allVersions {
			t.Run(v, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				a := connect(t, tg, v, "A")
				a.sendMsg(q, "m1")
				a.sendMsg(q, "m2")
				a.subscribe(q, "s1", "auto")
				ms := a.expectMessages("m1", "m2")
				if v == "1.2" {
					// 1.2 requires an ack header only for client and client-individual
					// subscriptions. RabbitMQ and ActiveMQ leave it out for auto; the embedded
					// broker always sends it (equal to message-id), which the spec allows.
					_, got := ms[0].Header.Contains(frame.Ack)
					if want := tg.Name == testbroker.NameEmbedded; got != want {
						t.Errorf("auto-ack MESSAGE has ack header: %v, want %v: %s", got, want, describe(ms[:1]))
					}
				}
				a.disconnect()
				b := connect(t, tg, v, "B")
				b.subscribe(q, "s1", "auto")
				b.expectNone(quiet)
			})
		}
	})
}

// checkRedelivered checks that messages delivered again (after their
// consumer disconnected, or an ACK was aborted) carry redelivered:true.
// The header is not in the spec; all three brokers set it.
func checkRedelivered(t *testing.T, ms []*frame.Frame) {
	t.Helper()
	for _, m := range ms {
		if !isRedelivered(m) {
			t.Errorf("redelivered MESSAGE %q without redelivered:true: %s", m.Body, describe([]*frame.Frame{m}))
		}
	}
}

func TestAckClientCumulative(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range allVersions {
			t.Run(v, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				a := connect(t, tg, v, "A")
				for _, b := range []string{"m1", "m2", "m3"} {
					a.sendMsg(q, b)
				}
				a.subscribe(q, "s1", "client")
				ms := a.expectMessages("m1", "m2", "m3")
				for _, m := range ms {
					if isRedelivered(m) {
						t.Errorf("first delivery marked redelivered: %s", describe([]*frame.Frame{m}))
					}
				}
				// ACK of m2 covers m1 too.
				a.withReceipt(a.ackFrame(frame.ACK, ms[1]))
				a.disconnect()

				b := connect(t, tg, v, "B")
				b.subscribe(q, "s1", "client")
				checkRedelivered(t, b.expectMessages("m3"))
				b.expectNone(quiet)
			})
		}
	})
}

func TestAckClientIndividual(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range versions11 {
			t.Run(v, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				a := connect(t, tg, v, "A")
				for _, b := range []string{"m1", "m2", "m3"} {
					a.sendMsg(q, b)
				}
				a.subscribe(q, "s1", "client-individual")
				ms := a.expectMessages("m1", "m2", "m3")
				// ACK of m2 acks m2 alone.
				a.withReceipt(a.ackFrame(frame.ACK, ms[1]))
				a.disconnect()

				b := connect(t, tg, v, "B")
				b.subscribe(q, "s1", "client-individual")
				ms = b.expectMessages("m1", "m3")
				checkRedelivered(t, ms)
				b.expectNone(quiet)
				for _, m := range ms {
					b.withReceipt(b.ackFrame(frame.ACK, m))
				}
				b.disconnect()

				c := connect(t, tg, v, "C")
				c.subscribe(q, "s1", "client-individual")
				c.expectNone(quiet)
			})
		}
	})
}

func TestUnsubscribeWithUnacked(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/")
		c := connect(t, tg, "1.2", "")
		c.sendMsg(q, "m1")
		c.subscribe(q, "s1", "client-individual")
		c.expectMessage("m1")
		c.withReceipt(frame.New(frame.UNSUBSCRIBE, frame.Id, "s1"))
		c.subscribe(q, "s2", "client-individual")
		if tg.Name == testbroker.NameRabbitMQ {
			// RabbitMQ keeps a cancelled subscription's unacked messages on the
			// connection (AMQP channel) until it closes: only then are they redelivered.
			c.expectNone(quiet)
			c.disconnect()
			c = connect(t, tg, "1.2", "")
			c.subscribe(q, "s2", "client-individual")
		}
		// The embedded broker and ActiveMQ redeliver at the UNSUBSCRIBE.
		m := c.expectMessage("m1")
		checkRedelivered(t, []*frame.Frame{m})
		if got := m.Header.Get(frame.Subscription); got != "s2" {
			t.Errorf("redelivered to subscription %q, want s2", got)
		}
	})
}

// TestAckClientAcrossSubscriptions: in client mode an ACK covers earlier
// messages of its own subscription, not of the connection's other ones.
func TestAckClientAcrossSubscriptions(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		qa := testbroker.Unique(t, "/queue/")
		qb := testbroker.Unique(t, "/queue/")
		c := connect(t, tg, "1.2", "A")
		c.subscribe(qa, "a", "client")
		c.subscribe(qb, "b", "client")
		c.sendMsg(qa, "a1")
		c.expectMessage("a1")
		c.sendMsg(qb, "b1")
		c.expectMessage("b1")
		c.sendMsg(qa, "a2")
		c.withReceipt(c.ackFrame(frame.ACK, c.expectMessage("a2")))
		c.disconnect()

		d := connect(t, tg, "1.2", "B")
		d.subscribe(qa, "a", "client")
		d.subscribe(qb, "b", "client")
		if tg.Name == testbroker.NameRabbitMQ {
			// RabbitMQ acks with AMQP's multiple flag on the connection's single
			// channel: the ACK of a2 also acked b1, delivered earlier to another
			// subscription (the spec says "sent to the subscription").
			d.expectNone(quiet)
			return
		}
		checkRedelivered(t, d.expectMessages("b1"))
		d.expectNone(quiet)
	})
}

func TestRedeliveryAfterDisconnect(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, how := range []string{"DISCONNECT", "TCP close"} {
			t.Run(how, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				a := connect(t, tg, "1.2", "A")
				a.sendMsg(q, "m1")
				a.sendMsg(q, "m2")
				a.subscribe(q, "s1", "client-individual")
				a.expectMessages("m1", "m2")
				if how == "DISCONNECT" {
					a.disconnect()
				} else {
					a.close()
				}
				b := connect(t, tg, "1.2", "B")
				b.subscribe(q, "s1", "client-individual")
				ms := b.expectMessages("m1", "m2")
				checkRedelivered(t, ms)
			})
		}
	})
}

func TestNack(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range versions11 {
			t.Run(v, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				tag := fmt.Sprintf("n%d", time.Now().UnixNano())
				a := connect(t, tg, v, "A")
				// persistent:true so that ActiveMQ keeps a NACKed message (in its DLQ).
				a.sendMsg(q, "m1", "persistent", "true", "conformanceid", tag)
				a.subscribe(q, "s1", "client-individual")
				m := a.expectMessage("m1")
				a.withReceipt(a.ackFrame(frame.NACK, m))
				if tg.Name == testbroker.NameActiveMQ {
					// ActiveMQ does not redeliver a NACKed message: it goes to ActiveMQ.DLQ
					// (persistent messages; non-persistent ones are discarded).
					a.expectNone(quiet)
					a.disconnect()
					b := connect(t, tg, v, "B")
					b.subscribe(q, "s1", "client-individual")
					b.expectNone(quiet)
					b.subscribe("/queue/ActiveMQ.DLQ", "dlq", "client-individual", "selector", "conformanceid = '"+tag+"'")
					d := b.expectMessage("m1")
					b.withReceipt(b.ackFrame(frame.ACK, d))
					return
				}
				// RabbitMQ and the embedded broker requeue and redeliver at once.
				m = a.expectMessage("m1")
				if !isRedelivered(m) {
					t.Errorf("NACKed message redelivered without redelivered:true: %s", describe([]*frame.Frame{m}))
				}
				a.withReceipt(a.ackFrame(frame.ACK, m))
				a.expectNone(quiet)
			})
		}
	})
}

func TestNackClientCumulative(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/")
		c := connect(t, tg, "1.2", "")
		c.sendMsg(q, "m1")
		c.sendMsg(q, "m2")
		c.subscribe(q, "s1", "client")
		ms := c.expectMessages("m1", "m2")
		c.withReceipt(c.ackFrame(frame.NACK, ms[1]))
		if tg.Name == testbroker.NameActiveMQ {
			// ActiveMQ does not redeliver NACKed messages (see TestNack).
			c.expectNone(quiet)
			return
		}
		// In client mode NACK is cumulative like ACK: both come back.
		checkRedelivered(t, c.expectMessages("m1", "m2"))
	})
}

func TestNackTopic(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		topic := testbroker.Unique(t, "/topic/")
		c := connect(t, tg, "1.2", "")
		c.subscribe(topic, "s1", "client-individual")
		c.sendMsg(topic, "m1")
		c.withReceipt(c.ackFrame(frame.NACK, c.expectMessage("m1")))
		if tg.Name == testbroker.NameActiveMQ {
			// ActiveMQ does not redeliver NACKed messages (see TestNack).
			c.expectNone(quiet)
			return
		}
		// RabbitMQ (a topic subscription is a private queue) and the embedded broker
		// redeliver to the same subscriber.
		checkRedelivered(t, c.expectMessages("m1"))
	})
}

func TestTransactions(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		t.Run("NACK in a transaction", func(t *testing.T) {
			t.Parallel()
			q := testbroker.Unique(t, "/queue/")
			c := connect(t, tg, "1.2", "")
			c.sendMsg(q, "m1")
			c.subscribe(q, "s1", "client-individual")
			m := c.expectMessage("m1")
			c.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx1"))
			nack := c.ackFrame(frame.NACK, m, frame.Transaction, "tx1")
			if tg.Name == testbroker.NameActiveMQ {
				// ActiveMQ refuses: "Poison ack cannot be transacted".
				nack.Header.Set(frame.Receipt, "r-nack")
				c.write(nack)
				c.expect(frame.ERROR)
				return
			}
			c.withReceipt(nack)
			c.expectNone(quiet)
			c.withReceipt(frame.New(frame.COMMIT, frame.Transaction, "tx1"))
			checkRedelivered(t, c.expectMessages("m1"))
		})
		t.Run("SEND delivered on COMMIT, discarded on ABORT", func(t *testing.T) {
			t.Parallel()
			q := testbroker.Unique(t, "/queue/")
			recv := connect(t, tg, "1.2", "receiver")
			recv.subscribe(q, "s1", "auto")
			a := connect(t, tg, "1.2", "sender")
			// RabbitMQ answers the receipt of a SEND in a transaction only when the
			// transaction commits (after COMMIT's own RECEIPT), and never when it is
			// aborted; ActiveMQ and the embedded broker answer it at once.
			deferred := tg.Name == testbroker.NameRabbitMQ
			a.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx1"))
			a.send(frame.SEND, []byte("m1"), frame.Destination, q, frame.Transaction, "tx1", frame.Receipt, "send-m1")
			a.send(frame.SEND, []byte("m2"), frame.Destination, q, frame.Transaction, "tx1", frame.Receipt, "send-m2")
			if !deferred {
				a.expectReceipts("send-m1", "send-m2")
			}
			recv.expectNone(quiet)
			a.expectNone(0)
			a.withReceipt(frame.New(frame.COMMIT, frame.Transaction, "tx1"))
			if deferred {
				a.expectReceipts("send-m1", "send-m2")
			}
			recv.expectMessages("m1", "m2")

			a.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx2"))
			a.send(frame.SEND, []byte("aborted"), frame.Destination, q, frame.Transaction, "tx2", frame.Receipt, "send-aborted")
			if !deferred {
				a.expectReceipts("send-aborted")
			}
			a.withReceipt(frame.New(frame.ABORT, frame.Transaction, "tx2"))
			a.sendMsg(q, "after")
			a.expectNone(0) // on RabbitMQ: no receipt for the aborted SEND
			// "after" arriving alone shows "aborted" was discarded, not delayed.
			recv.expectMessages("after")
			recv.expectNone(quiet)
		})
		t.Run("ACK in aborted transaction leaves the message unacked", func(t *testing.T) {
			t.Parallel()
			q := testbroker.Unique(t, "/queue/")
			a := connect(t, tg, "1.2", "A")
			a.sendMsg(q, "m1")
			a.subscribe(q, "s1", "client-individual")
			m := a.expectMessage("m1")
			a.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx1"))
			a.withReceipt(a.ackFrame(frame.ACK, m, frame.Transaction, "tx1"))
			a.withReceipt(frame.New(frame.ABORT, frame.Transaction, "tx1"))
			a.disconnect()

			b := connect(t, tg, "1.2", "B")
			b.subscribe(q, "s1", "client-individual")
			m = b.expectMessage("m1")
			checkRedelivered(t, []*frame.Frame{m})
			// The same ACK committed does ack it.
			b.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx2"))
			b.withReceipt(b.ackFrame(frame.ACK, m, frame.Transaction, "tx2"))
			b.withReceipt(frame.New(frame.COMMIT, frame.Transaction, "tx2"))
			b.disconnect()

			c := connect(t, tg, "1.2", "C")
			c.subscribe(q, "s1", "client-individual")
			c.expectNone(quiet)
		})
	})
}

func TestUTF8(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/") + "-é日本"
		c := connect(t, tg, "1.2", "")
		c.subscribe(q, "s1", "auto")
		// Header values are not trimmed (1.2) and may be empty.
		c.sendMsg(q, "héllo 日本", "x-utf", "日本", "x-spaces", " a ", "x-empty", "")
		m := c.expectMessage("héllo 日本")
		for k, want := range map[string]string{"x-utf": "日本", "x-spaces": " a ", "x-empty": ""} {
			if got, ok := m.Header.Contains(k); !ok || got != want {
				t.Errorf("header %s = %q (present %v), want %q", k, got, ok, want)
			}
		}
		wantDest := q
		if tg.Name == testbroker.NameRabbitMQ {
			// RabbitMQ percent-encodes non-ASCII bytes of the queue name in the
			// MESSAGE's destination header.
			wantDest = strings.ReplaceAll(url.PathEscape(q), "%2F", "/")
		}
		if got := m.Header.Get(frame.Destination); got != wantDest {
			t.Errorf("MESSAGE destination %q, want %q", got, wantDest)
		}
	})
}

func TestHeaderEscaping(t *testing.T) {
	values := map[string]string{
		"colon":     "a:b",
		"backslash": `a\b`,
		"newline":   "a\nb",
		"all":       "x:y\\z\nw:\\\\n",
	}
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range versions11 {
			t.Run(v, func(t *testing.T) {
				q := testbroker.Unique(t, "/queue/")
				c := connect(t, tg, v, "")
				c.subscribe(q, "s1", "auto")
				hs := []string{}
				for k, val := range values {
					hs = append(hs, "x-"+k, val)
				}
				// Names are escaped too.
				hs = append(hs, "x-na:me\\", "v")
				if v == "1.2" {
					// \r is an escape only in 1.2 (go-stomp's writer always writes it).
					hs = append(hs, "x-cr", "a\rb")
				}
				// A repeated header: only the first occurrence counts (1.2), and all
				// three brokers pass on only that one.
				hs = append(hs, "x-rep", "first", "x-rep", "second")
				c.sendMsg(q, "esc", hs...)
				m := c.expectMessage("esc")
				for k, val := range values {
					if got := m.Header.Get("x-" + k); got != val {
						t.Errorf("header x-%s = %q, want %q", k, got, val)
					}
				}
				if got := m.Header.Get("x-na:me\\"); got != "v" {
					t.Errorf("header with escaped name = %q, want v (%s)", got, describe([]*frame.Frame{m}))
				}
				if got := m.Header.Get("x-cr"); v == "1.2" && got != "a\rb" {
					t.Errorf("header x-cr = %q, want %q", got, "a\rb")
				}
				if got := m.Header.GetAll("x-rep"); len(got) != 1 || got[0] != "first" {
					t.Errorf("repeated header x-rep arrived as %q, want [first]", got)
				}
			})
		}
	})
}

// TestCRLF sends a frame whose lines end in CRLF (allowed since 1.2) and a
// CRLF heart-beat after it.
func TestCRLF(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/")
		c := connect(t, tg, "1.2", "")
		c.subscribe(q, "s1", "auto")
		if _, err := c.conn.Write([]byte("SEND\r\ndestination:" + q + "\r\nreceipt:crlf\r\n\r\nhello\x00\r\n")); err != nil {
			t.Fatal(err)
		}
		c.expectReceipts("crlf")
		c.expectMessage("hello")
		c.disconnect()
	})
}

func TestBinaryBody(t *testing.T) {
	small := make([]byte, 0, 1024)
	for i := 0; i < 4; i++ {
		for b := 0; b < 256; b++ {
			small = append(small, byte(b))
		}
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7 % 251) // NULs throughout
	}
	cases := []struct {
		name string
		body []byte
	}{
		{"all byte values", small},
		{"NUL only", []byte{0}},
		{"1 MiB", big},
	}
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				q := testbroker.Unique(t, "/queue/")
				c := connect(t, tg, "1.2", "")
				c.subscribe(q, "s1", "auto")
				f := frame.New(frame.SEND, frame.Destination, q, frame.ContentLength, fmt.Sprint(len(tc.body)), frame.ContentType, "application/octet-stream")
				f.Body = tc.body
				c.withReceipt(f)
				m := c.expect(frame.MESSAGE)
				if !bytes.Equal(m.Body, tc.body) {
					t.Errorf("body differs: got %d bytes, want %d", len(m.Body), len(tc.body))
				}
				if got := m.Header.Get(frame.ContentLength); got != fmt.Sprint(len(tc.body)) {
					t.Errorf("MESSAGE content-length %q, want %d", got, len(tc.body))
				}
			})
		}
	})
}

func TestTempQueueReply(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/")
		a := connect(t, tg, "1.2", "requester")
		b := connect(t, tg, "1.2", "replier")
		b.subscribe(q, "s1", "auto")
		a.sendMsg(q, "request", "reply-to", "/temp-queue/replies")
		req := b.expectMessage("request")
		replyTo := req.Header.Get("reply-to")
		t.Logf("reply-to rewritten to %q", replyTo)
		if replyTo == "" || replyTo == "/temp-queue/replies" {
			t.Fatalf("reply-to not rewritten to a broker-wide name: %q", replyTo)
		}
		b.sendMsg(replyTo, "reply")
		switch tg.Name {
		case testbroker.NameActiveMQ:
			// ActiveMQ creates the temporary queue but delivers from it only to a
			// subscription: the reply waits there until the requester subscribes to
			// /temp-queue/replies (subscribing before the request works too).
			a.expectNone(quiet)
			a.subscribe("/temp-queue/replies", "replies", "auto")
			m := a.expectMessage("reply")
			if got := m.Header.Get(frame.Subscription); got != "replies" {
				t.Errorf("reply subscription %q, want replies", got)
			}
		default:
			// RabbitMQ and the embedded broker deliver replies without a SUBSCRIBE,
			// with subscription:/temp-queue/replies. (RabbitMQ refuses a SUBSCRIBE to a
			// /temp-queue/ with ERROR "Invalid destination"; the embedded broker accepts
			// one.)
			m := a.expectMessage("reply")
			if got := m.Header.Get(frame.Subscription); got != "/temp-queue/replies" {
				t.Errorf("reply subscription %q, want /temp-queue/replies", got)
			}
		}
		a.expectNone(0)

		// A reply after the requester left: the temporary queue is gone.
		a.disconnect()
		late := frame.New(frame.SEND, frame.Destination, replyTo)
		late.Body = []byte("late")
		if tg.Name == testbroker.NameActiveMQ {
			// ActiveMQ: ERROR DestinationDoesNotExistException (the session stays open).
			late.Header.Set(frame.Receipt, "r-late")
			b.write(late)
			if got := b.expect(frame.ERROR).Header.Get(frame.ReceiptId); got != "r-late" {
				t.Errorf("ERROR receipt-id %q, want r-late", got)
			}
			b.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "still-open"))
			return
		}
		// RabbitMQ and the embedded broker drop it silently.
		b.withReceipt(late)
		b.expectNone(quiet)
	})
}

// errorOutcome is what a broker does with a bad frame.
type errorOutcome int

const (
	errorClose    errorOutcome = iota // ERROR, then the connection is closed (what the spec asks)
	errorStayOpen                     // ERROR, and the session stays usable
	accepted                          // no ERROR: the frame is accepted (RECEIPT)
)

func TestErrorFrames(t *testing.T) {
	cases := []struct {
		name  string
		setup func(c *client)
		bad   *frame.Frame
		// badAfter, when set, runs instead of setup and returns the bad frame.
		badAfter func(c *client) *frame.Frame
		// The embedded broker follows the spec (ERROR, then close) unless said
		// otherwise. RabbitMQ and ActiveMQ treat most bad frames as a failed
		// frame, not a failed session.
		embedded, rabbitmq, activemq errorOutcome
		// rabbitReceipt: RabbitMQ sends the RECEIPT of the bad frame after the ERROR.
		rabbitReceipt bool
	}{
		{
			name:     "SEND without destination",
			bad:      frame.New(frame.SEND),
			rabbitmq: errorStayOpen, activemq: errorStayOpen,
		},
		{
			name:     "ACK of an id never delivered",
			bad:      frame.New(frame.ACK, frame.Id, "never-delivered"),
			rabbitmq: errorStayOpen, activemq: errorStayOpen,
		},
		{
			name:     "COMMIT of an unknown transaction",
			bad:      frame.New(frame.COMMIT, frame.Transaction, "never-begun"),
			rabbitmq: errorStayOpen, activemq: errorStayOpen,
		},
		{
			name:  "BEGIN of an open transaction",
			setup: func(c *client) { c.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "tx")) },
			bad:   frame.New(frame.BEGIN, frame.Transaction, "tx"),
			// RabbitMQ accepts it silently.
			rabbitmq: accepted, activemq: errorStayOpen,
		},
		{
			name: "SUBSCRIBE with an id in use",
			setup: func(c *client) {
				c.subscribe(testbroker.Unique(c.t, "/queue/"), "dup", "auto")
			},
			bad: frame.New(frame.SUBSCRIBE, frame.Id, "dup", frame.Destination, "/queue/conformance-other"),
			// ActiveMQ accepts it silently; RabbitMQ sends ERROR, then the RECEIPT,
			// then closes the connection.
			rabbitmq: errorClose, activemq: accepted, rabbitReceipt: true,
		},
		{
			name: "ACK of a message already acked",
			badAfter: func(c *client) *frame.Frame {
				q := testbroker.Unique(c.t, "/queue/")
				c.sendMsg(q, "m")
				c.subscribe(q, "s1", "client-individual")
				m := c.expectMessage("m")
				c.withReceipt(c.ackFrame(frame.ACK, m))
				return c.ackFrame(frame.ACK, m)
			},
			// The embedded broker ignores an ACK of a message it delivered on this
			// connection that is no longer pending (documented); RabbitMQ answers
			// PRECONDITION_FAILED "unknown delivery tag" and the RECEIPT, then closes
			// (the AMQP channel died); ActiveMQ "Unexpected ACK".
			embedded: accepted, rabbitmq: errorClose, activemq: errorStayOpen, rabbitReceipt: true,
		},
		{
			name: "ACK of a message of an auto-ack subscription",
			badAfter: func(c *client) *frame.Frame {
				q := testbroker.Unique(c.t, "/queue/")
				c.sendMsg(q, "m")
				c.subscribe(q, "s1", "auto")
				m := c.expectMessage("m")
				m.Header.Set(frame.Ack, m.Header.Get(frame.MessageId)) // RabbitMQ and ActiveMQ send no ack header for auto
				return c.ackFrame(frame.ACK, m)
			},
			embedded: accepted, rabbitmq: errorClose, activemq: errorStayOpen, rabbitReceipt: true,
		},
	}
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := connect(t, tg, "1.2", "")
				if tc.setup != nil {
					tc.setup(c)
				}
				bad := tc.bad
				if tc.badAfter != nil {
					bad = tc.badAfter(c)
				}
				bad = bad.Clone()
				want := tc.embedded
				switch tg.Name {
				case testbroker.NameRabbitMQ:
					want = tc.rabbitmq
				case testbroker.NameActiveMQ:
					want = tc.activemq
				}
				bad.Header.Set(frame.Receipt, "r-bad")
				if want == accepted {
					c.withReceipt(bad)
					c.disconnect()
					return
				}
				c.write(bad)
				e := c.expect(frame.ERROR)
				if e.Header.Get(frame.Message) == "" {
					t.Errorf("ERROR without a message header: %s", describe([]*frame.Frame{e}))
				}
				// The spec says the ERROR should carry the receipt-id of the frame that
				// caused it; RabbitMQ never does.
				wantID := "r-bad"
				if tg.Name == testbroker.NameRabbitMQ {
					wantID = ""
				}
				if got := e.Header.Get(frame.ReceiptId); got != wantID {
					t.Errorf("ERROR receipt-id %q, want %q: %s", got, wantID, describe([]*frame.Frame{e}))
				}
				if tc.rabbitReceipt && tg.Name == testbroker.NameRabbitMQ {
					c.expectReceipts("r-bad")
				}
				if want == errorClose {
					if fs := c.expectClosed(waitFrame); len(fs) > 0 {
						t.Errorf("frames after ERROR: %s", describe(fs))
					}
					return
				}
				// Still usable: no RECEIPT for the bad frame, but one for the next.
				c.withReceipt(frame.New(frame.BEGIN, frame.Transaction, "still-open"))
				c.disconnect()
			})
		}
	})
}

func TestTopicFanOut(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		topic := testbroker.Unique(t, "/topic/")
		s1 := connect(t, tg, "1.2", "sub1")
		s2 := connect(t, tg, "1.2", "sub2")
		s1.subscribe(topic, "s1", "auto")
		s2.subscribe(topic, "s2", "auto")
		p := connect(t, tg, "1.2", "publisher")
		for _, b := range []string{"m1", "m2", "m3"} {
			p.sendMsg(topic, b)
		}
		s1.expectMessages("m1", "m2", "m3")
		s2.expectMessages("m1", "m2", "m3")
		s1.expectNone(quiet)
		s2.expectNone(0)
	})
}

func TestQueueRoundRobin(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		q := testbroker.Unique(t, "/queue/")
		c1 := connect(t, tg, "1.2", "consumer1")
		c2 := connect(t, tg, "1.2", "consumer2")
		c1.subscribe(q, "s1", "auto")
		c2.subscribe(q, "s2", "auto")
		p := connect(t, tg, "1.2", "producer")
		for i := 1; i <= 6; i++ {
			p.sendMsg(q, fmt.Sprintf("m%d", i))
		}
		// All three alternate strictly between the two consumers (ActiveMQ too, with
		// its default prefetch, because each message arrives on its own).
		c1.expectMessages("m1", "m3", "m5")
		c2.expectMessages("m2", "m4", "m6")
		c1.expectNone(quiet)
		c2.expectNone(0)
	})
}

// heartBeatTargets is testbroker.All with the embedded broker replaced by
// one that offers heart-beats: testbroker's embedded broker runs with the
// zero Config, whose heart-beats are off (CONNECTED heart-beat:0,0, which
// the spec allows); `stomp serve` turns them on (DefaultHeartBeat).
func heartBeatTargets(t *testing.T) []testbroker.Target {
	b, err := broker.Start(broker.Config{HeartBeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ts := []testbroker.Target{{Name: testbroker.NameEmbedded, Host: host, Port: port}}
	return append(ts, testbroker.Real()...)
}

// parseHeartBeat parses a CONNECTED heart-beat header "sx,sy" (ms).
func parseHeartBeat(t *testing.T, f *frame.Frame) (sx, sy time.Duration) {
	t.Helper()
	s := f.Header.Get(frame.HeartBeat)
	a, b, ok := strings.Cut(s, ",")
	x, err1 := strconv.Atoi(strings.TrimSpace(a))
	y, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("CONNECTED heart-beat %q: want two millisecond counts", s)
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond
}

func TestHeartBeat(t *testing.T) {
	t.Parallel()
	for _, tg := range heartBeatTargets(t) {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("broker sends heart-beats", func(t *testing.T) {
				t.Parallel()
				c := connectWith(t, tg, connectOpts{accept: "1.2", heartBeat: "0,1000"})
				sx, sy := parseHeartBeat(t, c.connected)
				t.Logf("CONNECTED heart-beat %v,%v", sx, sy)
				if sx <= 0 {
					t.Fatalf("broker offers no heart-beats: CONNECTED %s", describe([]*frame.Frame{c.connected}))
				}
				every := max(sx, time.Second)
				start := time.Now()
				window := 3*every + every/2
				c.expectNone(window)
				n := c.heartBeats.Load()
				t.Logf("%d heart-beats in %v (negotiated every %v)", n, time.Since(start).Round(time.Millisecond), every)
				if n < 2 {
					t.Errorf("%d heart-beats in %v, want at least 2 (every %v)", n, window, every)
				}
			})
			t.Run("client that sends heart-beats is kept", func(t *testing.T) {
				t.Parallel()
				c := connectWith(t, tg, connectOpts{accept: "1.2", heartBeat: "1000,0"})
				_, sy := parseHeartBeat(t, c.connected)
				if sy <= 0 {
					t.Skipf("broker does not want client heart-beats")
				}
				every := max(sy, time.Second)
				for end := time.Now().Add(3 * every); time.Now().Before(end); {
					c.write(nil) // an EOL
					c.expectNone(every / 2)
				}
				c.disconnect()
			})
			t.Run("silent client is dropped", func(t *testing.T) {
				t.Parallel()
				c := connectWith(t, tg, connectOpts{accept: "1.2", heartBeat: "1000,0"})
				sx, sy := parseHeartBeat(t, c.connected)
				t.Logf("CONNECTED heart-beat %v,%v", sx, sy)
				if sy <= 0 {
					t.Skipf("broker does not want client heart-beats (CONNECTED heart-beat %v,%v)", sx, sy)
				}
				every := max(sy, time.Second)
				start := time.Now()
				// The embedded broker drops after 2 intervals and says why in an ERROR;
				// RabbitMQ and ActiveMQ close the socket after ~3 intervals without one.
				fs := c.expectClosed(10 * time.Second)
				if wantErr := tg.Name == testbroker.NameEmbedded; wantErr != (len(fs) == 1 && fs[0].Command == frame.ERROR) {
					t.Errorf("frames before the close: %s (want an ERROR: %v)", describe(fs), wantErr)
				}
				took := time.Since(start)
				t.Logf("dropped after %v (interval %v), frames: %s", took.Round(time.Millisecond), every, describe(fs))
				if took < every {
					t.Errorf("dropped after %v, before one heart-beat interval (%v) passed", took, every)
				}
			})
		})
	}
}

// TestReceiptOrder checks that a RECEIPT goes out before the MESSAGEs
// caused by the frame it confirms, as RabbitMQ and ActiveMQ both do for
// SUBSCRIBE (to a queue already holding messages), NACK (RabbitMQ
// redelivers) and COMMIT: a client that waits for the receipt and drops
// what came before it (PHP's stomp extension) must not lose them. (For a
// SEND to a queue the sender consumes, they differ: ActiveMQ sends the
// RECEIPT first, RabbitMQ the MESSAGE; not checked.)
func TestReceiptOrder(t *testing.T) {
	forAll(t, func(t *testing.T, tg testbroker.Target) {
		for _, v := range allVersions {
			t.Run(v, func(t *testing.T) {
				t.Parallel()
				q := testbroker.Unique(t, "/queue/")
				c := connect(t, tg, v, "")
				c.sendMsg(q, "m1")
				c.sendMsg(q, "m2")
				ack := "client-individual"
				if v == "1.0" {
					ack = "client"
				}
				c.send(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "s", frame.Ack, ack, frame.Receipt, "sub")
				c.expectInOrder("RECEIPT sub", "MESSAGE m1", "MESSAGE m2")
				if v != "1.0" {
					m2 := c.lastInOrder
					nack := c.ackFrame(frame.NACK, m2, frame.Receipt, "nack")
					c.write(nack)
					if tg.Name == testbroker.NameActiveMQ {
						c.expectInOrder("RECEIPT nack") // ActiveMQ sends a NACKed message to its DLQ
					} else {
						c.expectInOrder("RECEIPT nack", "MESSAGE m2")
					}
				}
				c.send(frame.BEGIN, nil, frame.Transaction, "tx")
				c.send(frame.SEND, []byte("m3"), frame.Destination, q, frame.Transaction, "tx")
				c.send(frame.SEND, []byte("m4"), frame.Destination, q, frame.Transaction, "tx")
				c.send(frame.COMMIT, nil, frame.Transaction, "tx", frame.Receipt, "commit")
				c.expectInOrder("RECEIPT commit", "MESSAGE m3", "MESSAGE m4")
				c.close()
			})
		}
	})
}
