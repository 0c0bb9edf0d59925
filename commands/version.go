package commands

import (
	"context"
	"fmt"
)

func init() {
	Register(&Spec{
		Name: "version", Aliases: []string{"ver"}, Group: "Session", MaxArgs: NoArgs, Summary: "show client and protocol version",
		Description: "Shows this client's version and the STOMP version negotiated with the broker.",
		Example:     "ver",
		Run:         version,
	})
}

func version(ctx context.Context, c *Call) error {
	env := c.Env
	env.Out.Print(env.Out.Theme.Bold(fmt.Sprintf("%s [Protocol version %s]", env.ClientVersion, env.Session.Version())) + "\n")
	return nil
}
