package broker

import (
	"container/list"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-stomp/stomp/v3/frame"
)

type ackMode uint8

const (
	ackAuto             ackMode = iota
	ackClient                   // cumulative
	ackClientIndividual         // one message at a time
)

func parseAckMode(s string) (ackMode, bool) {
	switch s {
	case "", "auto":
		return ackAuto, true
	case "client":
		return ackClient, true
	case "client-individual":
		return ackClientIndividual, true
	}
	return 0, false
}

// subscription is one SUBSCRIBE of one connection, on a queue (q) or a
// topic (t). id and deliverAs never change, so the connection's writer may
// read them without the router lock.
type subscription struct {
	conn      *conn
	id        string
	deliverAs string // destination header of MESSAGE frames
	mode      ackMode
	q         *queue
	t         *topic
	idx       int       // position in q.consumers or t.subs
	unacked   list.List // of *delivery, oldest first (client modes only)
	implicit  bool      // RabbitMQ-style automatic temp-queue subscription
	dropped   uint64    // topic messages lost because the connection was too slow
	// cancelled is set when the subscription ends (UNSUBSCRIBE, the
	// connection closing): its unacked messages went back to the queue,
	// so the writer must not send those still in the outbox (see writeLoop).
	cancelled atomic.Bool
}

// delivery is a MESSAGE awaiting ACK/NACK.
type delivery struct {
	queued
	seq  uint64
	sub  *subscription
	elem *list.Element
}

// deliver hands one message to a subscriber if its outgoing buffer has
// room. message-id and ack are "<session>-<seq>": unique per delivery, so
// ACK/NACK of any protocol version finds it with one map lookup.
func (r *router) deliver(s *subscription, e queued) bool {
	c := s.conn
	seq := c.nextSeq + 1
	if !c.out.tryPush(outItem{msg: e.msg, sub: s, seq: seq, redelivered: e.redelivered}, e.msg.size) {
		return false
	}
	c.nextSeq = seq
	if s.mode != ackAuto {
		d := &delivery{queued: e, seq: seq, sub: s}
		d.elem = s.unacked.PushBack(d)
		c.pending[seq] = d
		r.hold(e.msg.size)
	}
	return true
}

// subscribe handles SUBSCRIBE.
func (r *router) subscribe(c *conn, id, dest string, mode ackMode) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.subs[id] != nil {
		return protoErr("duplicate subscription", "subscription id %q is already in use on this connection", id)
	}
	s := &subscription{conn: c, id: id, deliverAs: dest, mode: mode}
	switch {
	case strings.HasPrefix(dest, topicPrefix):
		s.t = r.topicFor(dest)
	case strings.HasPrefix(dest, tempPrefix):
		s.q = r.tempQueue(c, dest)
		r.removeImplicit(s.q)
	case strings.HasPrefix(dest, replyPrefix):
		q := r.queues[dest]
		if q == nil || q.owner != c {
			return protoErr("access refused", "%q is not a reply queue of this connection; subscribe to /temp-queue/NAME instead", dest)
		}
		s.q = q
		r.removeImplicit(q)
	default:
		s.q = r.queueFor(dest)
	}
	c.subs[id] = s
	r.attach(s)
	return nil
}

// unsubscribe handles UNSUBSCRIBE; unacked messages go back to the queue.
func (r *router) unsubscribe(c *conn, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := c.subs[id]
	if s == nil {
		return protoErr("unknown subscription", "no subscription with id %q on this connection", id)
	}
	r.cancel(s, "")
	return nil
}

// cancel ends a subscription. Its unacked messages go back; failure is
// why they count as a failed delivery ("" when they do not: UNSUBSCRIBE).
func (r *router) cancel(s *subscription, failure string) {
	s.cancelled.Store(true)
	delete(s.conn.subs, s.id)
	r.detachSub(s)
	r.redeliver(s, r.takeUnacked(s, nil), failure)
	if s.q != nil {
		r.maybeForget(s.q)
	}
}

// takeUnacked removes and returns, oldest first, the unacked deliveries of
// s up to and including upTo (all of them when upTo is nil).
func (r *router) takeUnacked(s *subscription, upTo *delivery) []*delivery {
	var out []*delivery
	for e := s.unacked.Front(); e != nil; {
		d := e.Value.(*delivery)
		next := e.Next()
		s.unacked.Remove(e)
		delete(s.conn.pending, d.seq)
		r.release(d.msg.size)
		out = append(out, d)
		if d == upTo {
			break
		}
		e = next
	}
	return out
}

// redeliver sends NACKed or abandoned messages again with redelivered:true.
// For queues they go back to the front, in their original order, and the
// queue is dispatched (possibly to another consumer). For topics they go
// back to the same subscriber if it is still subscribed; otherwise there
// is nobody to give them to and they are dropped. failure, when not "",
// says why the delivery failed (a NACK, the consumer gone without ACK):
// it counts towards the redelivery limit, and a message past it goes to
// the dead-letter queue instead.
func (r *router) redeliver(s *subscription, ds []*delivery, failure string) {
	if len(ds) == 0 {
		return
	}
	dest := s.deliverAs
	if s.q != nil {
		dest = s.q.name
	}
	var again []queued
	for _, d := range ds {
		e := d.queued
		e.redelivered = true
		if failure != "" {
			e.failures++
			if r.pastLimit(dest, e.failures) {
				r.deadLetter(dest, e, failure)
				continue
			}
		}
		again = append(again, e)
	}
	if s.q != nil {
		for i := len(again) - 1; i >= 0; i-- {
			r.push(s.q, again[i], true)
		}
		r.dispatch(s.q)
		return
	}
	if s.conn.subs[s.id] != s {
		return
	}
	for _, e := range again {
		if !r.deliver(s, e) {
			r.noteDrop(s)
		}
	}
}

// lookupAck finds the delivery an ACK or NACK names. STOMP 1.2 uses id
// (our ack header), 1.1 message-id + subscription, 1.0 message-id; any
// form is accepted in any version. done is true for an id this connection
// issued that is no longer pending (auto ack, or already acknowledged,
// e.g. by a cumulative client ACK): such frames are ignored.
func (r *router) lookupAck(c *conn, f *frame.Frame) (d *delivery, done bool, err error) {
	ids := [2]string{f.Header.Get(frame.Id), f.Header.Get(frame.MessageId)}
	if ids[0] == "" && ids[1] == "" {
		return nil, false, protoErr("missing id", "%s needs an id header (STOMP 1.2) or a message-id header (1.0, 1.1)", f.Command)
	}
	for _, id := range ids {
		seq, ok := c.parseSeq(id)
		if !ok {
			continue
		}
		if d := c.pending[seq]; d != nil {
			return d, false, nil
		}
		return nil, true, nil
	}
	bad := ids[0]
	if bad == "" {
		bad = ids[1]
	}
	return nil, false, protoErr("bad ack id", "no message with id %q was delivered on this connection", bad)
}

// parseSeq reads "<session>-<seq>" for a seq this connection has issued.
func (c *conn) parseSeq(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, c.session)
	if !ok || len(rest) < 2 || rest[0] != '-' {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest[1:], 10, 64)
	if err != nil || seq == 0 || seq > c.nextSeq {
		return 0, false
	}
	return seq, true
}

// checkAck validates an ACK/NACK that is buffered in a transaction.
func (r *router) checkAck(c *conn, f *frame.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _, err := r.lookupAck(c, f)
	return err
}

// ack applies ACK (nack=false) or NACK. In client mode both are cumulative
// (this message and every earlier unacked one of the subscription).
// NACK with requeue:false (a RabbitMQ extension) discards instead.
func (r *router) ack(c *conn, f *frame.Frame, nack bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, done, err := r.lookupAck(c, f)
	if err != nil || done {
		return err
	}
	s := d.sub
	var ds []*delivery
	if s.mode == ackClient {
		ds = r.takeUnacked(s, d)
	} else {
		s.unacked.Remove(d.elem)
		delete(c.pending, d.seq)
		ds = []*delivery{d}
	}
	if nack && f.Header.Get("requeue") != "false" {
		r.redeliver(s, ds, "NACK")
	}
	return nil
}

// detach removes everything a closing connection owns: subscriptions
// (their unacked messages are redelivered to others) and temp queues.
func (r *router) detach(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range c.subs {
		r.cancel(s, "consumer disconnected without ACK")
	}
	for _, q := range c.temps {
		for len(q.consumers) > 0 {
			r.detachSub(q.consumers[0])
		}
		for q.pending.len() > 0 {
			r.release(q.pending.popFront().msg.size)
		}
		delete(r.queues, q.name)
	}
	c.temps = map[string]*queue{}
	c.pending = map[uint64]*delivery{}
}

// redispatch runs when a starved connection's writer has drained its
// outgoing buffer: queues it consumes may have messages waiting for it.
func (r *router) redispatch(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range c.subs {
		if s.q != nil {
			r.dispatch(s.q)
		}
	}
	for _, q := range c.temps {
		r.dispatch(q)
	}
}
