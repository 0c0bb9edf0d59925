package broker

import (
	"github.com/go-stomp/stomp/v3/frame"
)

// message is an immutable published message shared by every delivery of it
// (topic fan-out, redelivery), so it is never copied per subscriber.
type message struct {
	headers []string // user headers as name,value pairs, first occurrence only
	body    []byte
	size    int // approximate encoded size, for outgoing-buffer accounting
}

// reserved headers are set by the broker on MESSAGE frames, or only make
// sense on the SEND that carried them, so they are not copied from SEND.
func reservedHeader(name string) bool {
	switch name {
	case frame.Destination, frame.MessageId, frame.Subscription, frame.Ack,
		frame.ContentLength, frame.Transaction, frame.Receipt, "redelivered":
		return true
	}
	return false
}

// newMessage copies the user headers of a SEND frame. In STOMP 1.1+ only
// the first occurrence of a repeated header counts, so later ones are
// dropped instead of being forwarded to confuse the consumer.
func newMessage(f *frame.Frame, replyTo string) *message {
	n := f.Header.Len()
	m := &message{headers: make([]string, 0, 2*n), body: f.Body, size: len(f.Body) + 128}
	var seen map[string]bool
	if n > 16 {
		seen = make(map[string]bool, n)
	}
	for i := 0; i < n; i++ {
		k, v := f.Header.GetAt(i)
		if reservedHeader(k) || m.has(k, seen) {
			continue
		}
		if k == "reply-to" && replyTo != "" {
			v = replyTo
		}
		if seen != nil {
			seen[k] = true
		}
		m.headers = append(m.headers, k, v)
		m.size += len(k) + len(v) + 2
	}
	return m
}

// with returns a copy of m with headers (name, value pairs) set, replacing
// any of the same name.
func (m *message) with(headers ...string) *message {
	n := &message{body: m.body, size: m.size}
	n.headers = make([]string, 0, len(m.headers)+len(headers))
	for i := 0; i+1 < len(m.headers); i += 2 {
		replaced := false
		for j := 0; j+1 < len(headers); j += 2 {
			replaced = replaced || m.headers[i] == headers[j]
		}
		if !replaced {
			n.headers = append(n.headers, m.headers[i], m.headers[i+1])
		}
	}
	for j := 0; j+1 < len(headers); j += 2 {
		n.headers = append(n.headers, headers[j], headers[j+1])
		n.size += len(headers[j]) + len(headers[j+1]) + 2
	}
	return n
}

func (m *message) has(name string, seen map[string]bool) bool {
	if seen != nil {
		return seen[name]
	}
	for i := 0; i < len(m.headers); i += 2 {
		if m.headers[i] == name {
			return true
		}
	}
	return false
}

// deque is a growable ring buffer; queues need cheap push at both ends
// (redelivery goes to the front).
type deque[T any] struct {
	buf  []T
	head int
	n    int
}

func (d *deque[T]) len() int { return d.n }

func (d *deque[T]) grow() {
	if d.n < len(d.buf) {
		return
	}
	nb := make([]T, max(16, 2*len(d.buf)))
	for i := 0; i < d.n; i++ {
		nb[i] = d.buf[(d.head+i)%len(d.buf)]
	}
	d.buf, d.head = nb, 0
}

func (d *deque[T]) pushBack(v T) {
	d.grow()
	d.buf[(d.head+d.n)%len(d.buf)] = v
	d.n++
}

func (d *deque[T]) pushFront(v T) {
	d.grow()
	d.head = (d.head - 1 + len(d.buf)) % len(d.buf)
	d.buf[d.head] = v
	d.n++
}

func (d *deque[T]) front() T { return d.buf[d.head] }

func (d *deque[T]) popFront() T {
	var zero T
	v := d.buf[d.head]
	d.buf[d.head] = zero
	d.head = (d.head + 1) % len(d.buf)
	d.n--
	if d.n == 0 && len(d.buf) > 1024 {
		d.buf, d.head = nil, 0 // give back memory after a burst
	}
	return v
}
