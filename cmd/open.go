package cmd

import (
	"context"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// newPrinter decides colour and output format once, for the whole run.
func newPrinter(c *connFlags, out *outputFlags, stdio *iostreams.IOStreams) *commands.Printer {
	theme := render.NewTheme(stdio.ColorEnabled())
	if !stdio.IsStdoutTTY() {
		// Bytes from the network are made visible only where they could
		// drive a screen; a file or a pipe gets them as stomp.py writes them.
		theme.KeepBytes()
	}
	p := commands.NewPrinter(stdio.Out, stdio.Err, theme)
	if !out.format.Text() {
		p.StatusToStderr() // standard output carries only messages
	}
	if out.quiet {
		p.Quiet()
	}
	return p
}

// openEnv connects and builds the environment commands run in. separator
// is stomp.py's blank line between headers and body (not in listen mode);
// announce (the shell) says when it is the embedded broker. stop closes
// the embedded broker, if any, once the session is closed.
func openEnv(ctx context.Context, c *connFlags, out *outputFlags, rf *reconnectFlags, printer *commands.Printer, separator, announce bool) (env *commands.Env, stop func(), err error) {
	// Listeners (no separator) and the shell (announce) stay up: they
	// retry until stopped; one-shot sends and scripts give up.
	cc := c.config(printer, rf.backoff(!separator || announce))
	cfg, stop, err := cc.Start()
	if err != nil {
		return nil, stop, err
	}
	if cc.Embedded && announce {
		printer.Info("Connected to the embedded broker on " + cfg.Describe() + " (in memory, gone when you quit)\n")
	}
	sess, err := session.Open(ctx, cfg)
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	return newEnv(sess, c, out, printer, separator), stop, nil
}

// newEnv ties an open session to the output the flags ask for.
func newEnv(sess *session.Session, c *connFlags, out *outputFlags, printer *commands.Printer, separator bool) *commands.Env {
	env := commands.NewEnv(printer, sess, render.Style{Verbose: c.verbose, Separator: separator}, "stomp "+Version())
	env.Format = out.format
	env.SaveDir, env.NoSave = out.saveDir, out.noSave
	return env
}
