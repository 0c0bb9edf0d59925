package commands

import (
	"context"

	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
		Name: "sendreply", Broker: true, Group: "Sending", HeaderOpts: true, MessageArg: 3,
		Usage:   "[--header key=value]... <destination> <correlation-id> <message>",
		Summary: "send a reply carrying a correlation-id",
		Args: []Arg{
			{Name: "destination", Desc: "where to send the reply (the request's reply-to)"},
			{Name: "correlation-id", Desc: "the request's correlation id, sent as the correlation-id header"},
			{Name: "message", Desc: "the content to send; a newline is appended, as stomp.py does"},
		},
		Description: "Sends a reply message with a correlation-id header. Unlike stomp.py, a reply sent\ninside a transaction is part of it.",
		Example:     "sendreply /queue/replies corr-123 the answer",
		Run:         sendreply,
		Complete:    destinationFirst,
	})
}

func sendreply(ctx context.Context, c *Call) error {
	headers, args, err := c.headerArgs(3)
	if err != nil {
		return err
	}
	headers = append(headers, [2]string{"correlation-id", args[1]})
	return sender.Send(ctx, c.Env.Session, sender.One(args[0], []byte(joinWords(args[2:])+"\n")),
		session.SendOptions{Headers: headers, Transaction: true}, 0)
}
