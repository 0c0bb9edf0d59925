package broker

import (
	"strconv"
	"strings"
)

// Poison messages. A delivery fails when it is NACKed or when its
// consumer's connection closes before acknowledging it. A message that
// failed more than Config.MaxRedeliveries times is not redelivered again:
// it moves to its dead-letter queue, ActiveMQ's per-destination form
// (individualDeadLetterStrategy): /queue/orders -> /queue/DLQ.orders. One
// queue per destination keeps the poison of different applications apart
// and says where each came from. The message keeps its headers and gains
// original-destination and dead-letter-reason. Dead-letter queues are
// ordinary queues (stomp listen reads them); they have no redelivery
// limit, so a message there is never dropped.

// dlqPrefix starts every dead-letter queue's name.
const dlqPrefix = "/queue/DLQ."

// Headers added to a dead-lettered message.
const (
	hdrOriginalDestination = "original-destination"
	hdrDeadLetterReason    = "dead-letter-reason"
)

// DeadLetterQueue returns the dead-letter queue of destination dest.
func DeadLetterQueue(dest string) string {
	return dlqPrefix + strings.TrimPrefix(strings.TrimPrefix(dest, "/queue/"), "/")
}

// pastLimit reports whether a message of dest that failed this many
// times must be dead-lettered.
func (r *router) pastLimit(dest string, failures int) bool {
	return r.maxRedeliveries >= 0 && failures > r.maxRedeliveries && !strings.HasPrefix(dest, dlqPrefix)
}

// deadLetter moves a failed message to dest's dead-letter queue (caller
// holds r.mu).
func (r *router) deadLetter(dest string, e queued, failure string) {
	reason := failure + " (delivered " + strconv.Itoa(e.failures) + " times; --max-redeliveries " + strconv.Itoa(r.maxRedeliveries) + ")"
	m := e.msg.with(hdrOriginalDestination, dest, hdrDeadLetterReason, reason)
	dlq := DeadLetterQueue(dest)
	r.logf("broker: message from %q moved to %s: %s", dest, dlq, reason)
	r.enqueue(r.queueFor(dlq), m)
}
