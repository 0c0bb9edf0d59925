package commands

import (
	"context"

	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
		Name: "send", Broker: true, Group: "Sending", HeaderOpts: true, MessageArg: 2,
		Usage:   "[--header key=value]... <destination> <message>",
		Summary: "send a message",
		Args: []Arg{
			{Name: "destination", Desc: "where to send the message, e.g. /queue/orders or /topic/news"},
			{Name: "message", Desc: "the content to send: the rest of the line"},
		},
		Description: "Sends a message to a destination. Inside a transaction (begin) the message is\npart of it and delivered on commit.",
		Example:     "send /queue/test hello world\nsend --header priority=9 /queue/test \"keeps  two spaces\"",
		Run:         send,
		Complete:    destinationFirst,
	})
}

func send(ctx context.Context, c *Call) error {
	return sendLine(ctx, c, session.SendOptions{Transaction: true})
}

// sendLine sends the words after the destination as the message (send,
// sendrec), with the --header options typed before it.
func sendLine(ctx context.Context, c *Call, opts session.SendOptions) error {
	headers, args, err := c.headerArgs(2)
	if err != nil {
		return err
	}
	opts.Headers = headers
	return sender.Send(ctx, c.Env.Session, sender.One(args[0], []byte(joinWords(args[1:]))), opts, 0)
}
