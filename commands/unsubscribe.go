package commands

import (
	"context"
	"fmt"
)

func init() {
	Register(&Spec{
		Name: "unsubscribe", Broker: true, Group: "Receiving", MaxArgs: 1,
		Usage:       "<destination>",
		Summary:     "stop receiving from a destination",
		Args:        []Arg{{Name: "destination", Desc: "the destination (or subscription id) to unsubscribe from"}},
		Description: "Ends the subscription to a destination.",
		Example:     "unsubscribe /queue/test",
		Run:         unsubscribe,
		Complete: func(env *Env, arg int, _ string) []string {
			if arg != 0 {
				return nil
			}
			out := destinations(env)
			for _, s := range env.Session.Subscriptions() {
				out = append(out, s.ID)
			}
			return out
		},
	})
}

func unsubscribe(ctx context.Context, c *Call) error {
	if len(c.Args) < 1 {
		return c.Expecting()
	}
	sub, err := c.Env.Session.Unsubscribe(ctx, c.Args[0])
	if sub != nil {
		c.Env.Out.Info(fmt.Sprintf("Unsubscribing from '%s'\n", sub.Destination))
	}
	return err
}
