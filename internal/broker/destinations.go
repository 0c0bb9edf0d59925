package broker

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-stomp/stomp/v3/frame"
)

// Destination prefixes with special meaning. Every other destination,
// with or without /queue/, is an ordinary queue.
const (
	topicPrefix = "/topic/"
	tempPrefix  = "/temp-queue/"
	replyPrefix = "/reply-queue/"
)

// router owns all routing state: queues, topics, subscriptions and
// unacknowledged deliveries, including the routing fields of each conn.
// One mutex guards it all: operations are short (no I/O happens under it;
// handing a frame to a connection is a non-blocking append to its outbox)
// and a single lock keeps ack/requeue/dispatch ordering easy to reason about.
type router struct {
	mu     sync.Mutex
	queues map[string]*queue
	topics map[string]*topic
	logf   func(format string, args ...any)

	// maxRedeliveries is Config.MaxRedeliveries: past it a message goes
	// to its dead-letter queue; negative = no limit.
	maxRedeliveries int

	// Memory held by messages: in queues, awaiting ACK, and buffered in
	// open transactions (a message counted once per place it waits).
	// While it is at or over limit, publishers wait (flow control, as
	// RabbitMQ's memory alarm): see waitForRoom.
	held    int64
	limit   int64
	full    atomic.Bool // held >= limit: publishers check it without the lock
	blocked bool        // someone waits for room; logged once per episode
	room    sync.Cond   // broadcast when held drops below limit, or on close
	closed  bool
}

func newRouter(cfg Config) *router {
	r := &router{
		queues: map[string]*queue{}, topics: map[string]*topic{}, logf: cfg.Logf,
		maxRedeliveries: cfg.MaxRedeliveries, limit: cfg.MaxHeldBytes,
	}
	r.room.L = &r.mu
	return r
}

// queued is a message waiting in a queue, or a delivery of it.
type queued struct {
	msg         *message
	redelivered bool
	failures    int // NACKs and consumers gone without ACK so far
}

// hold and release count message bytes held (caller holds r.mu).
func (r *router) hold(n int) {
	r.held += int64(n)
	if r.held >= r.limit && !r.full.Load() {
		r.full.Store(true)
	}
}

func (r *router) release(n int) {
	r.held -= int64(n)
	if r.held < r.limit && r.full.Load() {
		r.full.Store(false)
		if r.blocked {
			r.blocked = false
			r.logf("broker: messages held back in memory are under the limit again (%d MiB); publishers resume", r.limit>>20)
			r.room.Broadcast()
		}
	}
}

// waitForRoom makes a publisher wait while the messages held reach the
// limit: only its own connection stops being read, consumers go on and
// free memory. Broker.Close ends the wait.
func (r *router) waitForRoom() {
	if !r.full.Load() {
		return // the common case, without the lock
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.held >= r.limit && !r.closed {
		if !r.blocked {
			r.blocked = true
			r.logf("broker: %d MiB of messages held in memory (--max-held-bytes); publishers wait until consumers catch up", r.held>>20)
		}
		r.room.Wait()
	}
}

// shutdown wakes every waiting publisher for good.
func (r *router) shutdown() {
	r.mu.Lock()
	r.closed = true
	r.room.Broadcast()
	r.mu.Unlock()
}

// push puts a message into a queue, at the back or (redelivery) front.
func (r *router) push(q *queue, e queued, front bool) {
	r.hold(e.msg.size)
	if front {
		q.pending.pushFront(e)
	} else {
		q.pending.pushBack(e)
	}
}

// queue holds messages until a consumer takes them (competing consumers,
// round robin among consumers whose outgoing buffer has room).
type queue struct {
	name      string
	owner     *conn // non-nil for temp queues: only the owner consumes, and it dies with it
	pending   deque[queued]
	consumers []*subscription
	rr        int
}

// topic fans each message out to the subscribers present at publish time.
type topic struct {
	name string
	subs []*subscription
}

// publish routes a SEND frame (already validated to have a destination).
func (r *router) publish(c *conn, f *frame.Frame) {
	dest := f.Header.Get(frame.Destination)
	r.mu.Lock()
	defer r.mu.Unlock()
	replyTo := ""
	if rt := f.Header.Get("reply-to"); strings.HasPrefix(rt, tempPrefix) && len(rt) > len(tempPrefix) {
		// RabbitMQ semantics: the reply-to is rewritten to a private
		// queue of this connection, which is consumed automatically.
		q := r.tempQueue(c, rt)
		r.ensureImplicit(c, q, rt)
		replyTo = q.name
	}
	m := newMessage(f, replyTo)
	switch {
	case strings.HasPrefix(dest, topicPrefix):
		if t := r.topics[dest]; t != nil {
			r.fanOut(t, m)
		}
	case strings.HasPrefix(dest, tempPrefix):
		r.enqueue(r.tempQueue(c, dest), m)
	case strings.HasPrefix(dest, replyPrefix):
		q := r.queues[dest]
		if q == nil || q.owner == nil {
			// The requester is gone; replying must not kill the replier.
			r.logf("session %s: dropped message for %q: no such reply queue (its connection closed?)", c.session, dest)
			return
		}
		r.enqueue(q, m)
	default:
		r.enqueue(r.queueFor(dest), m)
	}
}

func (r *router) enqueue(q *queue, m *message) {
	r.push(q, queued{msg: m}, false)
	r.dispatch(q)
}

// dispatch hands queued messages to consumers, round robin, skipping
// consumers whose outgoing buffer is full (they are marked starved and the
// queue is dispatched again when their writer catches up).
func (r *router) dispatch(q *queue) {
	for q.pending.len() > 0 && len(q.consumers) > 0 {
		n := len(q.consumers)
		e := q.pending.front()
		delivered := false
		for i := 0; i < n; i++ {
			k := (q.rr + i) % n
			if r.deliver(q.consumers[k], e) {
				q.pending.popFront()
				r.release(e.msg.size)
				q.rr = (k + 1) % n
				delivered = true
				break
			}
		}
		if !delivered {
			return
		}
	}
}

// fanOut delivers to every current subscriber; a subscriber whose buffer
// is full loses the message (counted and logged) so it cannot stall others.
func (r *router) fanOut(t *topic, m *message) {
	for _, s := range t.subs {
		if !r.deliver(s, queued{msg: m}) {
			r.noteDrop(s)
		}
	}
}

func (r *router) noteDrop(s *subscription) {
	s.dropped++
	if n := s.dropped; n == 1 || n == 10 || n == 100 || n%1000 == 0 {
		r.logf("session %s: subscriber %q on %q is too slow: dropped %d message(s) so far", s.conn.session, s.id, s.deliverAs, n)
	}
}

// tempQueue returns (creating) connection c's queue for /temp-queue/NAME.
func (r *router) tempQueue(c *conn, temp string) *queue {
	if q := c.temps[temp]; q != nil {
		return q
	}
	q := &queue{name: replyPrefix + c.session + "-" + strings.TrimPrefix(temp, tempPrefix), owner: c}
	r.queues[q.name] = q
	c.temps[temp] = q
	return q
}

// ensureImplicit gives a temp queue RabbitMQ's automatic subscription
// (id = the /temp-queue/ name, auto ack) unless the client consumes it
// explicitly.
func (r *router) ensureImplicit(c *conn, q *queue, temp string) {
	if len(q.consumers) > 0 {
		return
	}
	s := &subscription{conn: c, id: temp, deliverAs: q.name, mode: ackAuto, q: q, implicit: true}
	r.attach(s)
}

// removeImplicit drops the automatic subscription when the client
// subscribes to its temp queue explicitly.
func (r *router) removeImplicit(q *queue) {
	for i := 0; i < len(q.consumers); {
		if s := q.consumers[i]; s.implicit {
			r.detachSub(s)
			continue
		}
		i++
	}
}

// attach links a subscription to its queue or topic.
func (r *router) attach(s *subscription) {
	if s.q != nil {
		s.idx = len(s.q.consumers)
		s.q.consumers = append(s.q.consumers, s)
		r.dispatch(s.q)
		return
	}
	s.idx = len(s.t.subs)
	s.t.subs = append(s.t.subs, s)
}

// detachSub unlinks a subscription (swap-remove, O(1), so 10,000
// subscriptions on one connection stay cheap) and forgets an empty topic.
// Callers forget an empty queue (maybeForget) once they have put back
// any unacked messages.
func (r *router) detachSub(s *subscription) {
	if s.q != nil {
		q := s.q
		last := len(q.consumers) - 1
		q.consumers[s.idx] = q.consumers[last]
		q.consumers[s.idx].idx = s.idx
		q.consumers[last] = nil
		q.consumers = q.consumers[:last]
		return
	}
	t := s.t
	last := len(t.subs) - 1
	t.subs[s.idx] = t.subs[last]
	t.subs[s.idx].idx = s.idx
	t.subs[last] = nil
	t.subs = t.subs[:last]
	if len(t.subs) == 0 {
		delete(r.topics, t.name)
	}
}

// maybeForget deletes an ordinary queue that holds nothing and has no
// consumers, so a client cycling through names cannot grow the map forever.
func (r *router) maybeForget(q *queue) {
	if q.owner == nil && q.pending.len() == 0 && len(q.consumers) == 0 {
		delete(r.queues, q.name)
	}
}

// topicFor returns (creating) the topic named dest.
func (r *router) topicFor(dest string) *topic {
	t := r.topics[dest]
	if t == nil {
		t = &topic{name: dest}
		r.topics[dest] = t
	}
	return t
}

// queueFor returns (creating) the ordinary queue named dest.
func (r *router) queueFor(dest string) *queue {
	q := r.queues[dest]
	if q == nil {
		q = &queue{name: dest}
		r.queues[dest] = q
	}
	return q
}
