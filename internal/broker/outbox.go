package broker

import (
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// outItem is one frame waiting to be written: either a control frame
// (CONNECTED, RECEIPT, ERROR) or a MESSAGE delivery, which is encoded from
// the shared message at write time instead of being materialised per
// subscriber.
type outItem struct {
	f           *frame.Frame
	msg         *message
	sub         *subscription
	seq         uint64
	redelivered bool
	heartBeat   time.Duration // on CONNECTED: how often the writer must send EOLs
}

// outbox is a connection's bounded outgoing queue. Router code appends
// deliveries with tryPush, which never blocks: when the buffer is full the
// caller keeps the message (queues) or drops it (topics), so a client that
// never reads can never block the broker. Control frames from the
// connection's own reader use push, which waits for room: that stalls only
// the misbehaving connection itself.
type outbox struct {
	mu    sync.Mutex
	room  sync.Cond // broadcast when the writer takes items or the outbox closes
	items []outItem
	spare []outItem
	bytes int // of items and held
	limit int
	// While a frame that asked for a receipt is handled, deliveries are
	// held back (counted, not yet visible to the writer) so that the
	// RECEIPT goes out before the MESSAGEs the frame caused, as on
	// RabbitMQ and ActiveMQ: a client that waits for a SUBSCRIBE's
	// receipt (PHP's stomp) must not get messages before it.
	holding   bool
	held      []outItem
	heldBytes int
	closed    bool // accepts nothing more; the writer drains what is left
	aborted   bool // the writer should stop at once
	starved   bool // a queue delivery was refused for lack of room
	wake      chan struct{}
}

func newOutbox(limit int) *outbox {
	o := &outbox{limit: limit, wake: make(chan struct{}, 1)}
	o.room.L = &o.mu
	return o
}

// signal wakes the writer; the channel holds one token, so wake-ups are
// never lost and never block.
func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// tryPush appends a delivery if there is room. An empty outbox always has
// room, so a single message larger than the limit still gets through.
func (o *outbox) tryPush(it outItem, size int) bool {
	o.mu.Lock()
	if o.closed || (o.bytes > 0 && o.bytes+size > o.limit) {
		if !o.closed {
			o.starved = true
		}
		o.mu.Unlock()
		return false
	}
	o.add(it, size)
	o.mu.Unlock()
	return true
}

// push appends a control frame, waiting while the outbox is full. It
// reports false if the outbox was closed.
func (o *outbox) push(it outItem, size int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && o.bytes > 0 && o.bytes+size > o.limit {
		o.room.Wait()
	}
	if o.closed {
		return false
	}
	o.add(it, size)
	return true
}

func (o *outbox) add(it outItem, size int) {
	o.bytes += size
	if o.holding {
		o.held = append(o.held, it)
		o.heldBytes += size
		return
	}
	o.items = append(o.items, it)
	if len(o.items) == 1 {
		o.signal()
	}
}

// hold starts holding deliveries back, after waiting for room for the
// receipt (so a client that never reads cannot grow the outbox with
// receipts; it may go over the limit by one receipt).
func (o *outbox) hold() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && o.bytes > 0 && o.bytes+receiptSize > o.limit {
		o.room.Wait()
	}
	o.holding = true
}

// release queues receipt (if not nil), then what was held back.
func (o *outbox) release(receipt *frame.Frame) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.holding = false
	if o.closed {
		o.held, o.heldBytes = o.held[:0], 0
		return
	}
	if receipt != nil {
		o.items = append(o.items, outItem{f: receipt})
		o.bytes += receiptSize
	}
	o.items = append(o.items, o.held...)
	clear(o.held)
	o.held, o.heldBytes = o.held[:0], 0
	if len(o.items) > 0 {
		o.signal()
	}
}

// receiptSize is what a RECEIPT counts against the outbox limit.
const receiptSize = 128

// take hands the writer everything queued (recycling the previous batch's
// slice). starved reports that queue dispatch should be retried.
func (o *outbox) take(prev []outItem) (batch []outItem, starved, closed, aborted bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(prev)
	if o.spare == nil {
		o.spare = prev[:0]
	}
	batch = o.items
	if len(batch) > 0 {
		o.items, o.spare = o.spare, nil
		o.bytes = o.heldBytes
		o.room.Broadcast()
	}
	starved, o.starved = o.starved, false
	return batch, starved, o.closed, o.aborted
}

// close stops new items; the writer drains what is queued and exits.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.room.Broadcast()
	o.mu.Unlock()
	o.signal()
}

// abort stops new items and tells the writer to quit without draining.
func (o *outbox) abort() {
	o.mu.Lock()
	o.closed, o.aborted = true, true
	o.items, o.held = nil, nil
	o.room.Broadcast()
	o.mu.Unlock()
	o.signal()
}
