package cmd

import (
	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/contexts"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

// newContextCommand manages the named connections of
// ~/.config/stomp/config.toml, as `nats context` does: add, ls, use, show,
// rm and edit all read and write that one file (mode 0600).
func newContextCommand(stdio *iostreams.IOStreams) *cobra.Command {
	c := &cobra.Command{
		Use:   "context",
		Short: "Manage named connections (contexts) in the config file",
		Long: `context manages the named connections kept in ~/.config/stomp/config.toml
($XDG_CONFIG_HOME/stomp/config.toml when set). stomp --context NAME uses one;
after stomp context use NAME, every run that does not say where to connect
(no URL, -H, -P, --embedded, STOMP_URL, STOMP_HOST or STOMP_PORT) uses it.

The file is written with mode 0600. A password can be kept out of it with
--password-command, run by the shell each time the context connects.
Rewriting the file drops any comments in it.`,
		Example: `  stomp context add local -H localhost -U guest -W guest
  stomp context add prod stomp+ssl://orders@broker.example.com --password-command 'pass show broker'
  stomp context use prod
  stomp -L /queue/orders          # connects with prod
  stomp context ls
  stomp context show prod
  stomp context rm local`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(newContextAddCommand(stdio))
	c.AddCommand(contextSubcommands(stdio)...)
	return c
}

// oneName is the NAME argument of context use, show, rm and edit.
func oneName(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return exitcode.Usagef("context %s: expecting one context NAME (see stomp context ls)", c.Name())
	}
	return nil
}

func newContextAddCommand(stdio *iostreams.IOStreams) *cobra.Command {
	var (
		p    contexts.Context
		port string
	)
	c := &cobra.Command{
		Use:   "add NAME [URL]",
		Short: "Add a named connection",
		Long: `add saves a connection under NAME: a broker URL (stomp://, stomp+ssl://,
ws://, wss://) and/or the flags below. It refuses a NAME that exists: rm it
first, or edit it.`,
		Example: `  stomp context add local -H localhost -P 61613 -U guest -W guest
  stomp context add prod stomp+ssl://orders@broker.example.com --ssl-ca-file /etc/stomp/ca.pem --password-command 'pass show broker'`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return exitcode.Usagef("context add: expecting NAME [URL] (see stomp context add --help)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			url := ""
			if len(args) == 2 {
				url = args[1]
			}
			return contexts.Add(stdio.ContextsFile(), args[0], url, p, port, stdio.Out)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.StringVarP(&p.Host, "host", "H", "", "broker `HOST` name or address")
	fs.StringVarP(&port, "port", "P", "", "broker STOMP `PORT`")
	fs.StringVarP(&p.User, "user", "U", "", "login `USER`")
	fs.StringVarP(&p.Password, "password", "W", "", "login `PASSWORD`, stored in the file (mode 0600); - asks for it; see --password-command")
	fs.StringVar(&p.PasswordCommand, "password-command", "", "shell `COMMAND` that prints the password each time the context connects (e.g. 'pass show broker'), so none is stored")
	fs.StringVar(&p.Vhost, "vhost", "", "virtual `HOST` sent in CONNECT (RabbitMQ vhost)")
	fs.BoolVar(&p.SSL, "ssl", false, "connect with TLS")
	fs.StringVar(&p.SSLCAFile, "ssl-ca-file", "", "trust the CA certificates in `FILE` (PEM)")
	fs.StringVar(&p.SSLCertFile, "ssl-cert-file", "", "present the client certificate in `FILE` (PEM)")
	fs.StringVar(&p.SSLKeyFile, "ssl-key-file", "", "private key `FILE` (PEM) for --ssl-cert-file")
	return c
}

// contextSubcommands are context's subcommands with no flags of their own:
// each runs a contexts function on the config file with its arguments.
func contextSubcommands(stdio *iostreams.IOStreams) []*cobra.Command {
	subs := []struct {
		use, short, long string
		aliases          []string
		args             cobra.PositionalArgs
		run              func(file string, args []string) error
	}{
		{
			use: "ls", aliases: []string{"list"}, args: noArgs,
			short: "List the named connections; * marks the default",
			run:   func(file string, _ []string) error { return contexts.List(file, stdio.Out, stdio.Err) },
		},
		{
			use: "use NAME", args: oneName,
			short: "Make a named connection the default",
			long: `use makes NAME the connection of every later run that does not say where to
connect (no URL, -H, -P, --embedded, STOMP_URL, STOMP_HOST or STOMP_PORT).`,
			run: func(file string, args []string) error { return contexts.Use(file, args[0], stdio.Out) },
		},
		{
			use: "show [NAME]", args: func(c *cobra.Command, args []string) error {
				if len(args) > 1 {
					return exitcode.Usagef("context show: expecting at most one context NAME")
				}
				return nil
			},
			short: "Show a named connection (the default without NAME), password masked",
			run: func(file string, args []string) error {
				name := "" // the default
				if len(args) == 1 {
					name = args[0]
				}
				return contexts.Show(file, name, stdio.Out)
			},
		},
		{
			use: "rm NAME", aliases: []string{"remove"}, args: oneName,
			short: "Remove a named connection",
			run:   func(file string, args []string) error { return contexts.Remove(file, args[0], stdio.Out) },
		},
		{
			use: "edit NAME", args: oneName,
			short: "Edit the config file in $VISUAL or $EDITOR (vi), then check it",
			long: `edit opens the config file holding NAME in $VISUAL, else $EDITOR, else vi,
and checks the file once the editor exits: a mistake is reported with its
line, and the file is kept at mode 0600.`,
			run: func(file string, args []string) error {
				editor := stdio.Getenv("VISUAL")
				if editor == "" {
					editor = stdio.Getenv("EDITOR")
				}
				return contexts.Edit(file, args[0], editor, stdio.In, stdio.Out, stdio.Err)
			},
		},
	}
	cmds := make([]*cobra.Command, len(subs))
	for i, s := range subs {
		cmds[i] = &cobra.Command{Use: s.use, Aliases: s.aliases, Short: s.short, Long: s.long, Args: s.args,
			RunE: func(c *cobra.Command, args []string) error { return s.run(stdio.ContextsFile(), args) }}
	}
	return cmds
}
