package commands

import (
	"context"
	"fmt"

	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func receiveSpecs() []*Spec {
	subscribe := &Spec{
		Name: "subscribe", Broker: true, Group: "Receiving", HeaderOpts: true, MaxArgs: 2,
		Usage:   "[--header key=value]... <destination> [ack]",
		Summary: "receive messages from a destination",
		Args: []Arg{
			{Name: "destination", Desc: "the destination to subscribe to"},
			{Name: "ack", Desc: "auto (default), client (ack is cumulative) or client-individual", Optional: true},
		},
		Description: "Subscribes to a destination; messages are shown as they arrive. With client or\n" +
			"client-individual, each message must be acknowledged with ack (or rejected with nack)\n" +
			"using the message-id it shows. Subscription ids are numbered from 1, as in stomp.py.",
		Example: "subscribe /queue/test\nsubscribe /queue/work client-individual\nsubscribe --header \"selector=type = 'a'\" /queue/test",
	}
	subscribe.Run = func(ctx context.Context, env *Env, args []string) error {
		headers, args, err := headerOpts(args)
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return subscribe.expecting()
		}
		ack := session.AckAuto
		if len(args) == 2 {
			ack = args[1]
		}
		_, err = Subscribe(ctx, env, args[0], ack, headers)
		return err
	}

	unsubscribe := &Spec{
		Name: "unsubscribe", Broker: true, Group: "Receiving", MaxArgs: 1,
		Usage:       "<destination>",
		Summary:     "stop receiving from a destination",
		Args:        []Arg{{Name: "destination", Desc: "the destination (or subscription id) to unsubscribe from"}},
		Description: "Ends the subscription to a destination.",
		Example:     "unsubscribe /queue/test",
	}
	unsubscribe.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) < 1 {
			return unsubscribe.expecting()
		}
		sub, err := env.Session.Unsubscribe(ctx, args[0])
		if sub != nil {
			env.Out.Info(fmt.Sprintf("Unsubscribing from '%s'\n", sub.Destination))
		}
		return err
	}

	ackArgs := func() []Arg {
		return []Arg{
			{Name: "message-id", Desc: "the message-id shown with the message (in STOMP 1.2 its ack id works too), or\n    the number the shell shows it with ([17] or #17), last (the newest), all"},
			{Name: "subscription-id", Desc: "the subscription id; needed only under STOMP 1.1 for a message this\n    session did not show", Optional: true},
		}
	}
	ack := &Spec{
		Name: "ack", Broker: true, Group: "Receiving", MaxArgs: 2,
		Usage:   "<message-id> [subscription-id]",
		Summary: "acknowledge a message (client ack modes)",
		Args:    ackArgs(),
		Description: "Acknowledges a message received on a client or client-individual subscription,\n" +
			"so the broker forgets it. Give the message-id the message was shown with, in every\n" +
			"STOMP version: stomp picks the header the negotiated version needs. Waits for the\n" +
			"broker's receipt. In client mode an ack covers all earlier messages too.",
		Example: "ack T_1@@session-abc@@3\nack 17\nack last\nack all",
	}
	ack.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) < 1 {
			return ack.expecting()
		}
		return env.Session.Ack(ctx, args[0], optional(args, 1), true)
	}
	nack := &Spec{
		Name: "nack", Broker: true, Group: "Receiving", MaxArgs: 2,
		Usage:   "<message-id> [subscription-id]",
		Summary: "reject a message (STOMP 1.1 and 1.2)",
		Args:    ackArgs(),
		Description: "Tells the broker a message was not consumed. RabbitMQ redelivers it; ActiveMQ\n" +
			"sends it to its dead-letter queue; stomp serve redelivers it up to\n" +
			"--max-redeliveries times, then moves it to /queue/DLQ.<name>. Not available in\n" +
			"STOMP 1.0.",
		Example: "nack 17\nnack last",
	}
	nack.Run = func(ctx context.Context, env *Env, args []string) error {
		if len(args) < 1 {
			return nack.expecting()
		}
		return env.Session.Nack(ctx, args[0], optional(args, 1), true)
	}
	return []*Spec{subscribe, unsubscribe, ack, nack}
}

// Subscribe subscribes as the shell, -L and listen do: stomp.py's
// "Subscribing to" line is printed before the SUBSCRIBE goes out, so it
// always comes before the subscription's messages (parsers of stomp.py's
// output rely on that), and client-individual under STOMP 1.0 is sent with
// a warning.
func Subscribe(ctx context.Context, env *Env, dest, ack string, headers [][2]string) (*session.Subscription, error) {
	if ack == session.AckClientIndividual && env.Session.Version() == "1.0" {
		env.Out.Warn("client-individual is a STOMP 1.1 ack mode and this connection uses 1.0: it is sent as is " +
			"(RabbitMQ and ActiveMQ honour it; another broker may treat it as auto or refuse it)")
	}
	return env.Session.SubscribeAnnounced(ctx, dest, ack, headers, func(sub *session.Subscription) {
		env.Out.Info(SubscribedLine(sub))
	})
}

// SubscribedLine is stomp.py's confirmation of a subscription.
func SubscribedLine(sub *session.Subscription) string {
	return fmt.Sprintf("Subscribing to '%s' with acknowledge set to '%s', id set to '%s'\n", sub.Destination, sub.Ack, sub.ID)
}

func optional(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func txSpecs() []*Spec {
	begin := &Spec{
		Name: "begin", Broker: true, Group: "Transactions", MaxArgs: NoArgs, Summary: "start a transaction",
		Description: "Starts a transaction. Until commit or abort, send, sendrec, sendreply, sendfile,\nack and nack are part of it. One transaction at a time.",
		Example:     "begin\nsend /queue/a one\nsend /queue/a two\ncommit",
	}
	begin.Run = func(ctx context.Context, env *Env, args []string) error {
		tx, err := env.Session.Begin(ctx)
		if err != nil {
			return err
		}
		env.Out.Info("Transaction id: " + tx + "\n")
		return nil
	}
	commit := &Spec{
		Name: "commit", Broker: true, Group: "Transactions", MaxArgs: NoArgs, Summary: "commit the transaction",
		Description: "Commits the open transaction: its messages are delivered and its acks applied.",
		Example:     "commit",
	}
	commit.Run = func(ctx context.Context, env *Env, args []string) error {
		tx, err := env.Session.End(ctx, true)
		if tx != "" && err == nil {
			env.Out.Info("Committing " + tx + "\n")
		}
		return err
	}
	abort := &Spec{
		Name: "abort", Broker: true, Aliases: []string{"rollback"}, Group: "Transactions", MaxArgs: NoArgs, Summary: "roll the transaction back",
		Description: "Aborts the open transaction: its messages are discarded and its acks undone.",
		Example:     "abort",
	}
	abort.Run = func(ctx context.Context, env *Env, args []string) error {
		tx, err := env.Session.End(ctx, false)
		if tx != "" && err == nil {
			env.Out.Info("Aborted transaction: " + tx + "\n")
		}
		return err
	}
	return []*Spec{begin, commit, abort}
}
