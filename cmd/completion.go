package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// CommandTree is stomp's cobra command tree, flags and subcommands as a run
// sees them, for tools that document it (internal/manpage). Nothing it is
// given can read or write: it must only be inspected, never executed.
func CommandTree() *cobra.Command {
	return newRoot(&options{}, IO{
		In:     strings.NewReader(""),
		Out:    io.Discard,
		Err:    io.Discard,
		Getenv: func(string) string { return "" },
	})
}

// flagCompletions are what the shells offer after each flag: the listed
// values, file names (files), or nothing at all (neither).
var flagCompletions = []struct {
	flag   string
	values []string
	files  bool
}{
	{flag: "protocol", values: []string{"1.0", "1.1", "1.2"}},
	{flag: "ack", values: []string{"auto", "client", "client-individual"}},
	{flag: "format", values: []string{"text", "json", "raw", "{{.Body}}", "{{.Headers.destination}} {{.Body}}"}},
	{flag: "save-dir", files: true},
	{flag: "file", files: true},
	{flag: "ssl-ca-file", files: true},
	{flag: "ssl-cert-file", files: true},
	{flag: "ssl-key-file", files: true},
	{flag: "heartbeats"}, // cx,cy: nothing sensible to offer, and no file names
}

// registerCompletions teaches `stomp completion bash|zsh|fish|powershell`
// (cobra's) the values of stomp's flags. Call it once, after the flags are
// registered; flags the root does not have are skipped.
func registerCompletions(root *cobra.Command) {
	for _, fc := range flagCompletions {
		if root.Flag(fc.flag) == nil { // local or persistent
			continue
		}
		var fn cobra.CompletionFunc
		switch {
		case fc.files:
			fn = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return nil, cobra.ShellCompDirectiveDefault
			}
		default:
			values := fc.values
			fn = func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				var out []cobra.Completion
				for _, v := range values {
					if strings.HasPrefix(v, toComplete) {
						out = append(out, v)
					}
				}
				return out, cobra.ShellCompDirectiveNoFileComp
			}
		}
		// The only error is "already registered": a second call is harmless.
		_ = root.RegisterFlagCompletionFunc(fc.flag, fn)
	}
}
