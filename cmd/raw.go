package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/rawstream"
)

func newRawCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var wait time.Duration
	c := &cobra.Command{
		Use:   "raw",
		Short: "Send frames written by hand and show every frame that comes back",
		Long: `raw connects, sends the frames it reads from standard input exactly as
written, and prints every frame the broker sends back (CONNECTED first) in
verbose form, until no frame came for --wait after the input ended, or until
the broker confirmed a DISCONNECT from the input (its receipt, or the broker
closing the connection). Without a DISCONNECT in the input, raw disconnects
by itself at the end.

A frame is its command on a line, header lines key:value, a blank line, the
body, and a line holding only . or ^@ that ends the frame. The newline before
that line is not part of the body. With a content-length header the body is
exactly that many bytes (binary safe; it may contain a line with only a dot).
Blank lines and lines starting with # between frames are ignored. Nothing is
added to a frame: no content-length, no receipt. Header values are escaped as
STOMP 1.1 wants. CONNECT and STOMP are refused: raw opens the connection with
the usual flags (-U, -W, -S, --heartbeats, ...).

Exit status: 0 when the session ended cleanly; 1 when the broker sent an
ERROR or closed the connection, or it could not be reached; 2 when the input
is not a valid frame.`,
		Example: `  printf 'SEND\ndestination:/queue/a\nreceipt:r1\n\nhello\n.\n' | stomp raw
  stomp raw --wait 3s < frames.txt`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if wait <= 0 {
				return exitcode.Usagef("--wait must be positive")
			}
			return oneShot(c, o, stdio, shellShot, func(ctx context.Context, env *commands.Env) error {
				return rawstream.Run(ctx, env, stdio.InUntil(ctx), wait)
			})
		},
	}
	c.Flags().DurationVar(&wait, "wait", time.Second, "after the input ends, stop once no frame came for this long")
	return c
}
