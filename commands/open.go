package commands

import (
	"context"

	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Output is how a run writes what it receives and what it says: the
// output flags (--format, --quiet, --save-dir, --no-save), resolved.
type Output struct {
	Format  render.Format
	Quiet   bool   // no status lines: only messages and errors
	SaveDir string // where received files (a filename header) are saved
	NoSave  bool   // show received files as their body instead
}

// Printer decides colour and output format once, for the whole run.
func (o Output) Printer(stdio *iostreams.IOStreams) *Printer {
	theme := render.NewTheme(stdio.ColorEnabled())
	if !stdio.IsStdoutTTY() {
		// Bytes from the network are made visible only where they could
		// drive a screen; a file or a pipe gets them as stomp.py writes them.
		theme.KeepBytes()
	}
	p := NewPrinter(stdio.Out, stdio.Err, theme)
	if !o.Format.Text() {
		p.StatusToStderr() // standard output carries only messages
	}
	if o.Quiet {
		p.Quiet()
	}
	return p
}

// Env ties an open session to the output o asks for.
func (o Output) Env(sess *session.Session, printer *Printer, style render.Style, version string) *Env {
	env := NewEnv(printer, sess, style, version)
	env.Format = o.Format
	env.SaveDir, env.NoSave = o.SaveDir, o.NoSave
	return env
}

// Open connects as cc says (starting the embedded broker if it asks for
// it) and builds the environment commands run in. announce (the shell)
// says when it is the embedded broker. stop closes the embedded broker, if
// any, once the session is closed.
func Open(ctx context.Context, cc connect.Config, o Output, printer *Printer, style render.Style, announce bool, version string) (env *Env, stop func(), err error) {
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
	return o.Env(sess, printer, style, version), stop, nil
}
