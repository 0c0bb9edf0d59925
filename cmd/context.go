package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/contexts"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/secret"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
)

// newContextCommand manages the named connections of
// ~/.config/stomp/config.toml, as `nats context` does: add, ls, use, show,
// rm and edit all read and write that one file (mode 0600).
func newContextCommand(stdio IO) *cobra.Command {
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
	c.AddCommand(newContextAddCommand(stdio), newContextListCommand(stdio), newContextUseCommand(stdio),
		newContextShowCommand(stdio), newContextRemoveCommand(stdio), newContextEditCommand(stdio))
	return c
}

// loadContexts reads the config file; mustExist refuses a missing one.
func loadContexts(stdio IO, mustExist bool) (*contexts.File, error) {
	path := contexts.Path(stdio.Getenv)
	f, err := contexts.LoadOrEmpty(path)
	if err != nil {
		return nil, usageErrorf("cannot read the contexts: %v", err)
	}
	if mustExist && len(f.Contexts) == 0 {
		return nil, usageErrorf("no contexts in %s yet: add one with stomp context add NAME", path)
	}
	return f, nil
}

// contextNamed returns f's context name, or a usage error naming those
// there are.
func contextNamed(f *contexts.File, name string) (contexts.Context, error) {
	p, ok := f.Get(name)
	if !ok {
		return p, usageErrorf("unknown context %q: %s defines %s", name, f.Path, strings.Join(f.Names(), ", "))
	}
	return p, nil
}

// changeContexts applies change to the file once the context name is
// known to exist, saves it and says done.
func changeContexts(stdio IO, name string, change func(*contexts.File), done string) error {
	f, err := loadContexts(stdio, true)
	if err != nil {
		return err
	}
	if _, err := contextNamed(f, name); err != nil {
		return err
	}
	change(f)
	if err := f.Save(); err != nil {
		return fmt.Errorf("cannot save the contexts: %v", err)
	}
	fmt.Fprintln(stdio.Out, done)
	return nil
}

// oneName is the NAME argument of context use, show, rm and edit.
func oneName(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErrorf("context %s: expecting one context NAME (see stomp context ls)", c.Name())
	}
	return nil
}

func newContextAddCommand(stdio IO) *cobra.Command {
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
				return usageErrorf("context add: expecting NAME [URL] (see stomp context add --help)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if !contexts.ValidName(name) {
				return usageErrorf("bad context name %q: use letters, digits, - and _", name)
			}
			if len(args) == 2 {
				if _, err := endpoint.Parse(args[1]); err != nil {
					return usageErrorf("context add: %v", err)
				}
				p.URL = args[1]
			}
			if p.Password != "" && p.PasswordCommand != "" {
				return usageErrorf("give -W or --password-command, not both")
			}
			if p.Password == "-" {
				pw, err := secret.Prompt("Password for context " + name + ": ")
				if err != nil {
					return usageErrorf("-W -: cannot ask for the password: %v", err)
				}
				p.Password = pw
			}
			if port != "" {
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
					return usageErrorf("invalid port %q for -P: give a number from 1 to 65535", port)
				}
				p.Port = contexts.Port(port)
			}
			if p == (contexts.Context{}) {
				return usageErrorf("context add: say where %s connects: a URL, -H, -P, ... (see stomp context add --help)", name)
			}
			f, err := loadContexts(stdio, false)
			if err != nil {
				return err
			}
			if _, exists := f.Get(name); exists {
				return usageErrorf("context %q exists: remove it first (stomp context rm %s) or change it (stomp context edit %s)", name, name, name)
			}
			f.Contexts[name] = p
			if err := f.Save(); err != nil {
				return fmt.Errorf("cannot save the contexts: %v", err)
			}
			fmt.Fprintf(stdio.Out, "Added context %s to %s\n", name, f.Path)
			return nil
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

func newContextListCommand(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the named connections; * marks the default",
		Args:    noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			f, err := loadContexts(stdio, false)
			if err != nil {
				return err
			}
			if len(f.Contexts) == 0 {
				fmt.Fprintf(stdio.Err, "no contexts in %s yet: add one with stomp context add NAME\n", f.Path)
				return nil
			}
			for _, name := range f.Names() {
				mark := " "
				if name == f.Default {
					mark = "*"
				}
				fmt.Fprintf(stdio.Out, "%s %s\t%s\n", mark, name, describeContext(f.Contexts[name]))
			}
			return nil
		},
	}
}

// describeContext is one line saying where a context connects, without
// its password.
func describeContext(p contexts.Context) string {
	where := endpoint.Redact(p.URL)
	if p.Host != "" || where == "" {
		host, port := p.Host, string(p.Port)
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = "61613"
		}
		where = host + ":" + port
		if p.User != "" {
			where = p.User + "@" + where
		}
	}
	if p.SSL {
		where += " (TLS)"
	}
	return render.VisibleLine(where)
}

func newContextUseCommand(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a named connection the default",
		Long: `use makes NAME the connection of every later run that does not say where to
connect (no URL, -H, -P, --embedded, STOMP_URL, STOMP_HOST or STOMP_PORT).`,
		Args: oneName,
		RunE: func(c *cobra.Command, args []string) error {
			return changeContexts(stdio, args[0], func(f *contexts.File) { f.Default = args[0] },
				"Using context "+args[0]+" by default")
		},
	}
}

func newContextShowCommand(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show a named connection (the default without NAME), password masked",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("context show: expecting at most one context NAME")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			f, err := loadContexts(stdio, true)
			if err != nil {
				return err
			}
			name := f.Default
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return usageErrorf("context show: no default context: give a NAME (see stomp context ls)")
			}
			p, err := contextNamed(f, name)
			if err != nil {
				return err
			}
			if p.Password != "" {
				p.Password = render.Redacted
			}
			p.URL = endpoint.Redact(p.URL)
			fmt.Fprintf(stdio.Out, "[contexts.%s]\n", name)
			for _, kv := range contextFields(p) {
				fmt.Fprintf(stdio.Out, "%s = %s\n", kv[0], render.VisibleLine(kv[1]))
			}
			if name == f.Default {
				fmt.Fprintln(stdio.Out, "# the default context")
			}
			return nil
		},
	}
}

// contextFields are p's set fields as TOML key and value, in file order.
func contextFields(p contexts.Context) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, fmt.Sprintf("%q", v)})
		}
	}
	add("url", p.URL)
	add("host", p.Host)
	if p.Port != "" {
		out = append(out, [2]string{"port", string(p.Port)})
	}
	add("user", p.User)
	add("password", p.Password)
	add("password_command", p.PasswordCommand)
	add("vhost", p.Vhost)
	if p.SSL {
		out = append(out, [2]string{"ssl", "true"})
	}
	add("ssl_ca_file", p.SSLCAFile)
	add("ssl_cert_file", p.SSLCertFile)
	add("ssl_key_file", p.SSLKeyFile)
	return out
}

func newContextRemoveCommand(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove"},
		Short:   "Remove a named connection",
		Args:    oneName,
		RunE: func(c *cobra.Command, args []string) error {
			return changeContexts(stdio, args[0], func(f *contexts.File) {
				delete(f.Contexts, args[0])
				if f.Default == args[0] {
					f.Default = "" // no default is better than one that names nothing
				}
			}, "Removed context "+args[0])
		},
	}
}

func newContextEditCommand(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "edit NAME",
		Short: "Edit the config file in $VISUAL or $EDITOR (vi), then check it",
		Long: `edit opens the config file holding NAME in $VISUAL, else $EDITOR, else vi,
and checks the file once the editor exits: a mistake is reported with its
line, and the file is kept at mode 0600.`,
		Args: oneName,
		RunE: func(c *cobra.Command, args []string) error {
			path := contexts.Path(stdio.Getenv)
			// A file that does not parse is opened all the same: editing
			// is how it gets fixed.
			if f, err := contexts.Load(path); err == nil {
				if _, err := contextNamed(f, args[0]); err != nil {
					return err
				}
			} else if errors.Is(err, contexts.ErrNoFile) {
				return usageErrorf("no contexts in %s yet: add one with stomp context add NAME", path)
			}
			editor := stdio.Getenv("VISUAL")
			if editor == "" {
				editor = stdio.Getenv("EDITOR")
			}
			if editor == "" {
				editor = "vi"
			}
			// Through the shell, as git does, so EDITOR="code -w" works.
			ed := exec.Command("/bin/sh", "-c", editor+` "$1"`, "editor", path)
			ed.Stdin, ed.Stdout, ed.Stderr = stdio.In, stdio.Out, stdio.Err
			if err := ed.Run(); err != nil {
				return fmt.Errorf("the editor %q failed: %v", editor, err)
			}
			if err := os.Chmod(path, 0o600); err != nil {
				return err
			}
			g, err := contexts.Load(path)
			if err != nil {
				return fmt.Errorf("%v: fix it with stomp context edit %s", err, args[0])
			}
			if g.Default != "" {
				if _, ok := g.Get(g.Default); !ok {
					return fmt.Errorf("%s: the default context %q is not defined: fix it with stomp context edit %s", path, g.Default, args[0])
				}
			}
			fmt.Fprintf(stdio.Out, "%s is valid: %d context(s)\n", path, len(g.Contexts))
			return nil
		},
	}
}
