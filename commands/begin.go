package commands

import "context"

func init() {
	Register(&Spec{
		Name: "begin", Broker: true, Group: "Transactions", MaxArgs: NoArgs, Summary: "start a transaction",
		Description: "Starts a transaction. Until commit or abort, send, sendrec, sendreply, sendfile,\nack and nack are part of it. One transaction at a time.",
		Example:     "begin\nsend /queue/a one\nsend /queue/a two\ncommit",
		Run:         begin,
	})
}

func begin(ctx context.Context, c *Call) error {
	tx, err := c.Env.Session.Begin(ctx)
	if err != nil {
		return err
	}
	c.Env.Out.Info("Transaction id: " + tx + "\n")
	return nil
}
