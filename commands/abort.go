package commands

import "context"

func init() {
	Register(&Spec{
		Name: "abort", Broker: true, Aliases: []string{"rollback"}, Group: "Transactions", MaxArgs: NoArgs, Summary: "roll the transaction back",
		Description: "Aborts the open transaction: its messages are discarded and its acks undone.",
		Example:     "abort",
		Run:         abort,
	})
}

// abort says so once the broker took the ABORT.
func abort(ctx context.Context, c *Call) error {
	tx, err := c.Env.Session.End(ctx, false)
	if err == nil {
		c.Env.Out.Info("Aborted transaction: " + tx + "\n")
	}
	return err
}
