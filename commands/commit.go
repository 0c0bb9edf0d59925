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
	return endTransaction(ctx, c, true, "Committing ")
}

// endTransaction runs commit or abort: it ends the open transaction and,
// when there was one, tells it in stomp.py's words (said, then the id).
func endTransaction(ctx context.Context, c *Call, commit bool, said string) error {
	tx, err := c.Env.Session.End(ctx, commit)
	if tx != "" && err == nil {
		c.Env.Out.Info(said + tx + "\n")
	}
	return err
}
