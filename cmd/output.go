package cmd

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
)

// outputFlags say how received messages are written. They are persistent
// flags: every mode and subcommand that prints messages takes them.
type outputFlags struct {
	commands.Output // Format derived by resolve
	formatFlag      string
	noNewline       bool
}

func (f *outputFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.formatFlag, "format", "text", "how messages are printed: text (stomp.py's look), json (one object per line), raw (body only), or a Go `template` such as '{{.Headers.destination}} {{.Body}}'")
	fs.BoolVar(&f.noNewline, "no-newline", false, "with --format raw: no newline after each body")
	fs.StringVar(&f.SaveDir, "save-dir", ".", "save received files (messages with a filename header) in `DIR`, under their base name")
	fs.BoolVarP(&f.Quiet, "quiet", "q", false, "no status lines (Subscribing to ..., receipts, transactions): only messages and errors")
	fs.BoolVar(&f.NoSave, "no-save", false, "show received files as their (base64) body instead of saving them")
}

func (f *outputFlags) resolve() error {
	if fi, err := os.Stat(f.SaveDir); err != nil || !fi.IsDir() {
		return exitcode.Usagef("--save-dir %s is not a directory", f.SaveDir)
	}
	var err error
	if f.Format, err = render.ParseFormat(f.formatFlag, f.noNewline); err != nil {
		return exitcode.Usagef("%v", err)
	}
	return nil
}
