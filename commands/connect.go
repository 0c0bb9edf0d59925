package commands

import "context"

func init() {
	Register(&Spec{
		Name: "connect", Aliases: []string{"reconnect"}, Group: "Session", MaxArgs: NoArgs,
		Summary:     "connect again now, after the connection was lost",
		Description: "After a lost connection the shell reconnects by itself, waiting longer after each\nfailed attempt; connect (or reconnect) tries at once. The subscriptions come back.",
		Example:     "reconnect",
		Run:         connectNow,
	})
}

func connectNow(ctx context.Context, c *Call) error {
	if c.Env.Session.Ready() == nil {
		c.Env.Out.Info("Already connected\n")
		return nil
	}
	c.Env.Out.Info("Connecting...\n")
	c.Env.Session.TryNow()
	return nil
}
