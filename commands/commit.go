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

// commit says so before the COMMIT goes out, as stomp.py does: the
// messages the commit releases are shown after the line, never before it.
func commit(ctx context.Context, c *Call) error {
	if tx := c.Env.Session.Transaction(); tx != "" {
		c.Env.Out.Info("Committing " + tx + "\n")
	}
	_, err := c.Env.Session.End(ctx, true)
	return err
}
