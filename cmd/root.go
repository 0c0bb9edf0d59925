// Package cmd is stomp's command line: the cobra root with stomp.py's flags
// and a front-end per subcommand that maps its flags onto an engine below
// (internal/sender, listen, rpc, shovel, rawstream, bench, doctor, broker),
// and the choice between shell, script (-F) and listen (-L) modes. Run
// starts the one signal handler (internal/signals) and turns the result
// into the exit code (exitcode.Report).
package cmd

import (
	"context"
	"errors"
	"maps"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/signals"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Set at release time with -ldflags "-X github.com/stomp-cli/stomp/cmd.version=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// Version is this build's version, from the linker or from the module
// information `go install` records.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}

func versionLine() string {
	s := "stomp " + Version()
	var extra []string
	if commit != "" {
		extra = append(extra, "commit "+commit)
	}
	if date != "" {
		extra = append(extra, "built "+date)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// Main runs stomp with the process's arguments and returns the exit code.
func Main() int {
	return Run(context.Background(), os.Args[1:], iostreams.System())
}

// Run runs stomp with args and returns the exit code. SIGINT and SIGTERM
// are handled here, once for every command (see internal/signals): a second one
// returns at once, with the signal's exit code.
func Run(ctx context.Context, args []string, stdio *iostreams.IOStreams) int {
	ctx, sig, release := signals.Handle(ctx)
	defer release()
	root := newRoot(&options{signals: sig}, stdio)
	root.SetArgs(expandPrefixes(root, args))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	select {
	case err := <-done:
		if stopped := exitcode.StoppedBy(ctx); err != nil && stopped != nil && !exitcode.Is(err, exitcode.KindOf(stopped)) {
			err = stopped // it failed because it was stopped before it was done
		}
		return exitcode.Report(err, stdio.Err)
	case err := <-sig.Again():
		return exitcode.Report(err, stdio.Err)
	}
}

func newRoot(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	if o.conn == nil {
		o.conn = &connFlags{}
	}
	if o.out == nil {
		o.out = &outputFlags{}
	}
	if o.reconnect == nil {
		o.reconnect = &reconnectFlags{}
	}
	root := &cobra.Command{
		Use:   "stomp",
		Short: "A command-line client for STOMP message brokers",
		Long: `stomp talks to any STOMP 1.0, 1.1 or 1.2 broker (RabbitMQ, ActiveMQ, Artemis, ...).

With no mode flag it opens an interactive shell; -F runs a script of shell
commands and exits; -L listens to a destination and prints what arrives.
Flags and shell commands are those of the stomp.py command-line client.`,
		Example: `  stomp -H broker.example.com -U guest -W guest
  stomp -L /queue/orders
  stomp -F script.txt
  echo "send /queue/a hello" | stomp`,
		Version:       versionLine(),
		Args:          o.conn.args,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.conn.resolve(c.Flags()); err != nil {
				return err
			}
			if c.Flags().Changed("listen") && o.listen == "" { // -L "$UNSET": not the shell nor a script
				return session.ErrEmptyDestination
			}
			if err := o.validate(); err != nil {
				return err
			}
			o.ackGiven = c.Flags().Changed("ack")
			if err := o.out.resolve(); err != nil {
				return err
			}
			if err := o.reconnect.validate(); err != nil {
				return err
			}
			return runMain(c.Context(), o, stdio)
		},
	}
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		stdio.SetColorDisabled(o.conn.noColor)
		return refuseInheritedFlags(c)
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(flagError)
	o.conn.stdio = stdio
	o.conn.register(root.PersistentFlags())
	o.out.register(root.PersistentFlags())
	o.reconnect.register(root.PersistentFlags())
	o.register(root.Flags())
	root.AddCommand(newServeCommand(stdio), newDoctorCommand(o, stdio), newRawCommand(o, stdio), newSendCommand(o, stdio), newListenCommand(o, stdio),
		newRequestCommand(o, stdio), newReplyCommand(o, stdio), newShovelCommand(o, stdio),
		newBenchCommand(o, stdio), newContextCommand(stdio))
	root.AddCommand(tableSubcommands(o, stdio)...)
	// Our own --version: cobra's would add -v, too close to -V (verbose).
	root.Flags().Bool("version", false, "print the version and exit")
	markInapplicable(root)
	registerCompletions(root)
	refuseUnknownShells(root)
	return root
}

// inapplicable lists, for the subcommands that do not use all of the
// root's persistent flags, those that would do nothing there ("*": all of
// them): their help leaves them out and giving one is a usage error.
var inapplicable = map[string][]string{
	"serve":   {"*"}, // a broker, not a client
	"context": {"*"}, // context add has its own -H, -P, ...
	"send":    {"format", "no-newline", "save-dir", "no-save", "quiet"},
	// raw shows every frame in verbose form, says nothing else, and ends
	// when its one connection does.
	"raw":     {"format", "no-newline", "save-dir", "no-save", "quiet", "reconnect", "reconnect-delay", "reconnect-max-delay", "reconnect-attempts"},
	"shovel":  {"format", "no-newline", "save-dir", "no-save"}, // moves messages, shows none
	"request": {"quiet"},                                       // prints the replies and nothing else
	"doctor":  {"format", "no-newline", "save-dir", "no-save", "quiet", "reconnect", "reconnect-delay", "reconnect-max-delay", "reconnect-attempts"},
	// bench: all but the connection flags, listed by markInapplicable.
	"bench report": {"*"}, // reads result files, connects nowhere
}

// inapplicableFlags is the annotation that carries a command's list.
const inapplicableFlags = "stomp:inapplicable-flags"

// Applies says whether the inherited flag f does anything in c (the man
// page lists only those).
func Applies(c *cobra.Command, f *pflag.Flag) bool {
	list, ok := c.Annotations[inapplicableFlags]
	if !ok {
		return true
	}
	for _, name := range strings.Split(list, ",") {
		if name == "*" || name == f.Name {
			return false
		}
	}
	return true
}

// refuseInheritedFlags is a usage error for a root flag given to a
// subcommand that has no use for it: said, not ignored.
func refuseInheritedFlags(c *cobra.Command) error {
	var stray []string
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed && !Applies(c, f) {
			stray = append(stray, "--"+f.Name)
		}
	})
	if len(stray) > 0 {
		return exitcode.Usagef("%s does not take %s (see %s --help)", c.CommandPath(), strings.Join(stray, ", "), c.CommandPath())
	}
	return nil
}

// markInapplicable annotates the subcommands of inapplicable (and theirs,
// unless they have their own entry) and gives them a help that leaves
// those flags out.
func markInapplicable(root *cobra.Command) {
	lists := maps.Clone(inapplicable)
	lists["bench"] = notConnectionFlags(root)
	for _, name := range tableSubcommandNames() {
		lists[name] = tableInapplicable
	}
	defaultHelp := root.HelpFunc()
	var mark func(c *cobra.Command, list string)
	mark = func(c *cobra.Command, list string) {
		for _, sub := range c.Commands() {
			mark(sub, list)
		}
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[inapplicableFlags] = list
		c.SetHelpFunc(func(c *cobra.Command, args []string) {
			// Hide them for this one help text: the flags are shared
			// with the root and every other subcommand.
			var hidden []*pflag.Flag
			c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && f.Name != "help" && !Applies(c, f) {
					f.Hidden = true
					hidden = append(hidden, f)
				}
			})
			defer func() {
				for _, f := range hidden {
					f.Hidden = false
				}
			}()
			defaultHelp(c, args)
		})
	}
	// Parents first, so that a subcommand's own entry wins.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if list, ok := lists[strings.TrimPrefix(sub.CommandPath(), root.Name()+" ")]; ok {
				mark(sub, strings.Join(list, ","))
			}
			walk(sub)
		}
	}
	walk(root)
}

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return exitcode.Usagef("unexpected argument %q: %s takes only flags here (see %s --help)", args[0], c.CommandPath(), c.CommandPath())
	}
	return nil
}

// expandPrefixes accepts unambiguous prefixes of long flags (--prot 1.2,
// --verb), as stomp.py's docopt parser does, so its users' command lines
// keep working. Exact names and anything after "--" are left alone.
func expandPrefixes(root *cobra.Command, args []string) []string {
	names := []string{"help"} // cobra adds --help at Execute
	seen := map[string]bool{"help": true}
	sets := []*pflag.FlagSet{root.PersistentFlags(), root.Flags()}
	if sub, _, err := root.Find(args); err == nil && sub != root {
		// The subcommand's own flags count too: serve's --heartbeat is
		// not an abbreviation of the root's --heartbeats.
		sets = append(sets, sub.LocalFlags())
	}
	for _, fs := range sets {
		fs.VisitAll(func(f *pflag.Flag) {
			if !seen[f.Name] {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
		})
	}
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "--") || len(a) < 4 {
			out = append(out, a)
			continue
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		var matches []string
		exact := false
		for _, n := range names {
			if n == name {
				exact = true
			}
			if strings.HasPrefix(n, name) {
				matches = append(matches, n)
			}
		}
		if exact || len(matches) != 1 {
			out = append(out, a)
			continue
		}
		expanded := "--" + matches[0]
		if hasValue {
			expanded += "=" + value
		}
		out = append(out, expanded)
	}
	return out
}

// flagError words a flag the command line got wrong as one line that says
// what to give (pflag's own would end in a strconv error chain).
func flagError(c *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) {
		return exitcode.InvalidFlagValue(bad.GetValue(), bad.GetFlag().Name, bad.GetFlag().Value.Type(), c.CommandPath())
	}
	return exitcode.Usagef("%v (see %s --help)", err, c.CommandPath())
}
