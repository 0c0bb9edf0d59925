package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
		Name: "purge", Broker: true, Group: "Receiving", MaxArgs: 2, OneShot: true,
		Usage:   "<destination> [quiet]",
		Summary: "remove the messages waiting on a queue, and say how many",
		Args: []Arg{
			{Name: "destination", Desc: "the queue to empty"},
			{Name: "quiet", Desc: "how long no message must come for the queue to count as empty, in seconds or\n    with a unit: 1, 500ms, 5s (default 1s)", Optional: true},
		},
		Description: "Takes every message waiting on a queue, acknowledges it, and says how many it\n" +
			"removed: \"purged 12 message(s) from /queue/x\" (0 when the queue was empty). The queue\n" +
			"counts as empty once no message has come for the quiet time, so messages that keep\n" +
			"coming (a producer, or a broker that redelivers) keep purge going: Ctrl-C stops it\n" +
			"and reports what was removed. A broker can pause longer than the quiet time: RabbitMQ\n" +
			"reading a queue of millions back from disk paused for over a second (1s purged 15k of\n" +
			"1.5M messages, 5s all of them), so give a big queue more (purge /queue/big 5s) and\n" +
			"run purge again to check it says 0. Only messages whose ack the broker confirmed are\n" +
			"counted; any other goes back to the queue. A topic keeps no messages: purge refuses\n" +
			"/topic/ destinations. Not inside a transaction (its acks would wait for the commit).\n" +
			"As with subscribe, RabbitMQ creates a queue that did not exist.",
		Example:  "purge /queue/test\npurge /queue/big 5s",
		Run:      purge,
		Complete: destinationFirst,
	})
}

func purge(ctx context.Context, c *Call) error {
	if len(c.Args) < 1 {
		return c.Expecting()
	}
	dest, quiet := c.Args[0], time.Second
	if strings.HasPrefix(dest, "/topic/") {
		return exitcode.Usagef("purge: %s is a topic, which keeps no messages: purge empties queues", dest)
	}
	if len(c.Args) == 2 {
		d, err := parseDuration(c.Args[1])
		if err != nil || d <= 0 {
			return exitcode.Usagef("purge: %q is not a duration such as 1, 500ms or 5s", c.Args[1])
		}
		quiet = d
	}
	sess := c.Env.Session
	if tx := sess.Transaction(); tx != "" {
		return exitcode.Usagef("purge: transaction %s is open, and its acks would wait for the commit: commit or abort first", tx)
	}
	var (
		msgs    <-chan *frame.Frame
		release func()
	)
	// Client ack mode (cumulative, and in every STOMP version): what is
	// not acked goes back to the queue when purge unsubscribes.
	sub, err := sess.SubscribeAnnounced(ctx, dest, session.AckClient, nil, func(s *session.Subscription) {
		msgs, release = c.Env.Take(s.ID)
	})
	if err != nil {
		if release != nil { // refused by the broker, not before it was sent
			release()
		}
		return err
	}
	// Past a Ctrl-C, the acks (the session settles past a stop) and the
	// UNSUBSCRIBE still go out, each bounded by the receipt timeout.
	n, err := drainQueue(ctx, sess, sub, msgs, quiet)
	if uerr := unsubscribeDraining(context.WithoutCancel(ctx), sess, sub, msgs); err == nil {
		err = uerr
	}
	release()
	if err != nil {
		return fmt.Errorf("purge: %w (%d message(s) from %s removed before)", err, n, dest)
	}
	// The count is purge's answer: one that cannot be written fails the run.
	if _, err := fmt.Fprintf(c.Env.Out, "purged %d message(s) from %s\n", n, dest); err != nil {
		return fmt.Errorf("purge: %d message(s) removed from %s, but writing that failed: %w", n, dest, err)
	}
	return context.Cause(ctx) // stopped (Ctrl-C) or nil
}

// drainQueue acks the messages of sub as they come until none has come for
// quiet (or ctx ends), and returns how many acks the broker confirmed.
// Each ack goes out when the next message comes, without a receipt; the
// last one waits for its receipt, which confirms the earlier ones too (the
// broker handles a connection's frames in order, and client acks are
// cumulative).
func drainQueue(ctx context.Context, sess *session.Session, sub *session.Subscription, msgs <-chan *frame.Frame, quiet time.Duration) (int, error) {
	var last *frame.Frame // received, not acked yet
	acked := 0            // sent, not confirmed yet
	idle := time.NewTimer(quiet)
	defer idle.Stop()
	for {
		select {
		case f := <-msgs:
			if last != nil {
				if err := sess.Ack(ctx, last.Header.Get(frame.MessageId), sub.ID, false); err != nil {
					return 0, err
				}
				acked++
			}
			last = f
			idle.Reset(quiet)
			continue
		case <-idle.C:
		case <-ctx.Done():
		}
		if last == nil {
			return 0, nil
		}
		// Stopped mid-queue, messages keep coming while the receipt is
		// awaited, and it comes behind them: they are read, not acked.
		err := whileDraining(msgs, func() error {
			return sess.Ack(ctx, last.Header.Get(frame.MessageId), sub.ID, true)
		})
		if err != nil {
			return 0, err
		}
		return acked + 1, nil
	}
}

// unsubscribeDraining ends sub, reading what still comes for it meanwhile.
// Those messages are not acked: the broker keeps them. RabbitMQ's ERROR
// for one that crossed the UNSUBSCRIBE is no failure (the session forgives
// it): the count was confirmed before the UNSUBSCRIBE went out.
func unsubscribeDraining(ctx context.Context, sess *session.Session, sub *session.Subscription, msgs <-chan *frame.Frame) error {
	return whileDraining(msgs, func() error {
		_, err := sess.Unsubscribe(ctx, sub.ID)
		return err
	})
}

// whileDraining runs fn, which waits for a receipt, reading and dropping
// the messages that come meanwhile: frames are received one at a time, so
// one not read would hold up the receipt behind it.
func whileDraining(msgs <-chan *frame.Frame, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	for {
		select {
		case <-msgs:
		case err := <-done:
			return err
		}
	}
}
