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

func abort(ctx context.Context, c *Call) error {
	return endTransaction(ctx, c, false, "Aborted transaction: ")
}
