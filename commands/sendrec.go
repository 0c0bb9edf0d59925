package commands

import (
	"context"

	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
		Name: "sendrec", Broker: true, Group: "Sending", HeaderOpts: true, MessageArg: 2,
		Usage:   "[--header key=value]... <destination> <message>",
		Summary: "send a message and wait for the broker's receipt",
		Args: []Arg{
			{Name: "destination", Desc: "where to send the message"},
			{Name: "message", Desc: "the content to send"},
		},
		Description: "Sends a message with a receipt header and waits until the broker confirms it\n" +
			"(at most --receipt-timeout). A missing receipt is an error. Inside a transaction it\n" +
			"does not wait (RabbitMQ confirms only at commit): commit waits for the broker instead.",
		Example:  "sendrec /queue/test important message",
		Run:      sendrec,
		Complete: destinationFirst,
	})
}

func sendrec(ctx context.Context, c *Call) error {
	return sendLine(ctx, c, session.SendOptions{Transaction: true, Receipt: true})
}
