package commands

import "context"

func init() {
	Register(&Spec{
		Name: "commit", Broker: true, Group: "Transactions", MaxArgs: NoArgs, Summary: "commit the transaction",
		Description: "Commits the open transaction: its messages are delivered and its acks applied.",
		Example:     "commit",
		Run:         commit,
	})
}

func commit(ctx context.Context, c *Call) error {
	tx, err := c.Env.Session.End(ctx, true)
	if tx != "" && err == nil {
		c.Env.Out.Info("Committing " + tx + "\n")
	}
	return err
}
