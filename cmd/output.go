package cmd

import (
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/render"
)

// outputFlags say how received messages are written. They are persistent
// flags: every mode and subcommand that prints messages takes them.
type outputFlags struct {
	formatFlag string
	noNewline  bool
	format     render.Format // derived by resolve
}

func (f *outputFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.formatFlag, "format", "text", "how messages are printed: text (stomp.py's look), json (one object per line), raw (body only), or a Go `template` such as '{{.Headers.destination}} {{.Body}}'")
	fs.BoolVar(&f.noNewline, "no-newline", false, "with --format raw: no newline after each body")
}

func (f *outputFlags) resolve() error {
	var err error
	if f.format, err = render.ParseFormat(f.formatFlag, f.noNewline); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}
