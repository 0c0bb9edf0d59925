package commands

import "context"

func init() {
	Register(&Spec{
		Name: "nack", Broker: true, Group: "Receiving", MaxArgs: 2,
		Usage:   "<message-id> [subscription-id]",
		Summary: "reject a message (STOMP 1.1 and 1.2)",
		Args:    ackArgs,
		Description: "Tells the broker a message was not consumed. RabbitMQ redelivers it; ActiveMQ\n" +
			"sends it to its dead-letter queue; stomp serve redelivers it up to\n" +
			"--max-redeliveries times, then moves it to /queue/DLQ.<name>. Not available in\n" +
			"STOMP 1.0.",
		Example:  "nack 17\nnack last",
		Run:      nack,
		Complete: pendingFirst,
	})
}

func nack(ctx context.Context, c *Call) error { return settle(ctx, c, c.Env.Session.Nack) }
