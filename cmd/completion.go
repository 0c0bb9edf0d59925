package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

// CommandTree is stomp's cobra command tree, flags and subcommands as a run
// sees them, for tools that document it (scripts/manpage). Nothing it is
// given can read or write: it must only be inspected, never executed.
func CommandTree() *cobra.Command {
	stdio, _, _ := iostreams.Test()
	stdio.Out, stdio.Err = io.Discard, io.Discard
	return newRoot(&options{}, stdio)
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
// (cobra's) the values of stomp's flags, on every command that has them
// (the root's persistent flags, and a subcommand's own, such as listen's
// --ack). Call it once, after the commands are added.
func registerCompletions(root *cobra.Command) {
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		for _, fc := range flagCompletions {
			if c.Flags().Lookup(fc.flag) == nil && c.PersistentFlags().Lookup(fc.flag) == nil {
				continue // not this command's own flag
			}
			// The only error is "already registered": a second call is harmless.
			_ = c.RegisterFlagCompletionFunc(fc.flag, completionFunc(fc.values, fc.files))
		}
	}
}

// refuseUnknownShells makes `stomp completion SHELL` for a shell cobra has
// no script for (tcsh) a usage error naming those it has: cobra's
// completion command runs nothing itself, so it printed its help and exited
// 0. Cobra would make the command at Execute; made now, it can be changed.
func refuseUnknownShells(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Use = "completion SHELL"
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help() // as before: which shells, and how to use them
			}
			var shells []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					shells = append(shells, sub.Name())
				}
			}
			return exitcode.Usagef("completion: no script for %q: stomp has one for %s (stomp completion SHELL)", args[0], strings.Join(shells, ", "))
		}
	}
}

// completionFunc offers values that start with what is typed, or file
// names (files), or nothing.
func completionFunc(values []string, files bool) cobra.CompletionFunc {
	if files {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		}
	}
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
