package commands

import (
	"context"
	"errors"
)

func init() {
	Register(&Spec{
		Name: "quit", Aliases: []string{"exit", "EOF"}, Group: "Session", MaxArgs: NoArgs, Summary: "disconnect and leave",
		Description: "Disconnects cleanly (waiting for the broker's receipt) and exits. Ctrl-D does the same.\nIn a script, it ends the script.",
		Example:     "quit",
		Run:         func(context.Context, *Call) error { return ErrQuit },
	})
}

// ErrQuit is returned by quit, exit and EOF: the caller ends the loop.
var ErrQuit = errors.New("quit")
