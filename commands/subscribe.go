package commands

import (
	"context"
	"fmt"

	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
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
		Run:     subscribe,
		Complete: func(env *Env, arg int, _ string) []string {
			switch arg {
			case 0:
				return destinations(env)
			case 1:
				return []string{session.AckAuto, session.AckClient, session.AckClientIndividual}
			}
			return nil
		},
	})
}

func subscribe(ctx context.Context, c *Call) error {
	headers, args, err := c.headerArgs(1)
	if err != nil {
		return err
	}
	ack := session.AckAuto
	if len(args) == 2 {
		ack = args[1]
	}
	_, err = Subscribe(ctx, c.Env, args[0], ack, headers)
	return err
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
		env.Out.Info(subscribedLine(sub))
	})
}

// subscribedLine is stomp.py's confirmation of a subscription.
func subscribedLine(sub *session.Subscription) string {
	return fmt.Sprintf("Subscribing to '%s' with acknowledge set to '%s', id set to '%s'\n", sub.Destination, sub.Ack, sub.ID)
}
