package cmd

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
)

// shot is what kind of one-shot command runs: how it shows messages and
// how long it keeps reconnecting.
type shot struct {
	// separator: stomp.py's shell layout, a blank line between a message's
	// headers and its body; without it, its -L layout, which listen keeps.
	separator bool
	// staysUp: reconnect until stopped; otherwise give up after
	// --reconnect-attempts (3 unless given).
	staysUp bool
}

var (
	// shellShot: send, raw and the shell's commands run once, showing
	// messages as stomp.py's shell does.
	shellShot = shot{separator: true}
	// listenerShot: listen, reply and shovel run until stopped.
	listenerShot = shot{staysUp: true}
	// requestShot: request shows its replies as listen shows messages, but
	// is done once they came, so it gives up as a send does.
	requestShot = shot{}
)

// oneShot runs a subcommand's work on a fresh connection: resolve the
// shared flags, connect, run, disconnect.
func oneShot(c *cobra.Command, o *options, stdio *iostreams.IOStreams, kind shot, run func(ctx context.Context, env *commands.Env) error) error {
	if err := o.conn.resolve(c.Flags()); err != nil {
		return err
	}
	if err := o.out.resolve(); err != nil {
		return err
	}
	if err := o.reconnect.validate(); err != nil {
		return err
	}
	printer := o.out.Printer(stdio)
	cc := o.conn.config(printer, o.reconnect.backoff(kind.staysUp))
	style := render.Style{Verbose: o.conn.verbose, Separator: kind.separator}
	env, stop, err := commands.Open(c.Context(), cc, o.out.Output, printer, style, false, "stomp "+Version())
	if err != nil {
		return err
	}
	defer stop()
	return run(c.Context(), env)
}

// parseHeaders turns repeated key=value flags into headers.
func parseHeaders(kvs []string) ([][2]string, error) {
	var out [][2]string
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, exitcode.Usagef("bad --header %q: write it as key=value", kv)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// rangeArgs is cobra.RangeArgs with our usage error (exit 2).
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return exitcode.Usagef("%s: expecting %s (see stomp %s --help)", c.Name(), c.Use, c.Name())
		}
		return nil
	}
}
