package commands

import "context"

func init() {
	Register(&Spec{
		Name: "ack", Broker: true, Group: "Receiving", MaxArgs: 2,
		Usage:   "<message-id> [subscription-id]",
		Summary: "acknowledge a message (client ack modes)",
		Args:    ackArgs,
		Description: "Acknowledges a message received on a client or client-individual subscription,\n" +
			"so the broker forgets it. Give the message-id the message was shown with, in every\n" +
			"STOMP version: stomp picks the header the negotiated version needs. Waits for the\n" +
			"broker's receipt. In client mode an ack covers all earlier messages too.",
		Example:  "ack T_1@@session-abc@@3\nack 17\nack last\nack all",
		Run:      ack,
		Complete: pendingFirst,
	})
}

func ack(ctx context.Context, c *Call) error { return settle(ctx, c, c.Env.Session.Ack) }

// settle runs ack or nack: the session's Ack or Nack on the message the
// arguments name, waiting for the broker's receipt.
func settle(ctx context.Context, c *Call, how func(ctx context.Context, id, subID string, wait bool) error) error {
	if len(c.Args) < 1 {
		return c.Expecting()
	}
	return how(ctx, c.Args[0], c.Arg(1), true)
}

// ackArgs are the arguments of ack and nack.
var ackArgs = []Arg{
	{Name: "message-id", Desc: "the message-id shown with the message (in STOMP 1.2 its ack id works too), or\n    the number the shell shows it with ([17] or #17), last (the newest), all"},
	{Name: "subscription-id", Desc: "the subscription id; needed only under STOMP 1.1 for a message this\n    session did not show", Optional: true},
}

// pendingFirst completes ack and nack: the messages awaiting an ack.
func pendingFirst(env *Env, arg int, _ string) []string {
	if arg == 0 {
		return env.Session.PendingIDs()
	}
	return nil
}
