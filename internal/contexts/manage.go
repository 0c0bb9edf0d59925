package contexts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/secret"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
)

// What `stomp context add|ls|use|show|rm|edit` do, each on the config file
// at path (iostreams.IOStreams.ContextsFile); cmd/context.go registers the commands and their flags.
// Mistakes are usage errors (exit 2) that say what to do.

// load reads the config file; mustExist refuses one with no contexts.
func load(path string, mustExist bool) (*File, error) {
	f, err := loadOrEmpty(path)
	if err != nil {
		return nil, exitcode.Usagef("cannot read the contexts: %v", err)
	}
	if mustExist && len(f.Contexts) == 0 {
		return nil, exitcode.Usagef("no contexts in %s yet: add one with stomp context add NAME", path)
	}
	return f, nil
}

// named returns f's context name, or a usage error naming those there are.
func named(f *File, name string) (Context, error) {
	p, ok := f.Get(name)
	if !ok {
		return p, exitcode.Usagef("unknown context %q: %s defines %s", name, f.Path, strings.Join(f.Names(), ", "))
	}
	return p, nil
}

// change applies fn to the file once the context name is known to exist,
// saves it and prints done.
func change(path, name string, fn func(*File), done string, out io.Writer) error {
	f, err := load(path, true)
	if err != nil {
		return err
	}
	if _, err := named(f, name); err != nil {
		return err
	}
	fn(f)
	if err := f.Save(); err != nil {
		return fmt.Errorf("cannot save the contexts: %v", err)
	}
	fmt.Fprintln(out, done)
	return nil
}

// Add saves p under name (stomp context add NAME [URL]): url is the URL
// argument or "", port the -P flag as given. A password of - is asked for
// on the terminal. It refuses a name that exists.
func Add(path, name, url string, p Context, port string, out io.Writer) error {
	if !validName(name) {
		return exitcode.Usagef("bad context name %q: use letters, digits, - and _", name)
	}
	if url != "" {
		if _, err := endpoint.Parse(url); err != nil {
			return exitcode.Usagef("context add: %v", err)
		}
		p.URL = url
	}
	if p.Password != "" && p.PasswordCommand != "" {
		return exitcode.Usagef("give -W or --password-command, not both")
	}
	if p.Password == "-" {
		pw, err := secret.Prompt("Password for context " + name + ": ")
		if err != nil {
			return exitcode.Usagef("-W -: cannot ask for the password: %v", err)
		}
		p.Password = pw
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return exitcode.Usagef("invalid port %q for -P: give a number from 1 to 65535", port)
		}
		p.Port = Port(port)
	}
	if p == (Context{}) {
		return exitcode.Usagef("context add: say where %s connects: a URL, -H, -P, ... (see stomp context add --help)", name)
	}
	f, err := load(path, false)
	if err != nil {
		return err
	}
	if _, exists := f.Get(name); exists {
		return exitcode.Usagef("context %q exists: remove it first (stomp context rm %s) or change it (stomp context edit %s)", name, name, name)
	}
	f.Contexts[name] = p
	if err := f.Save(); err != nil {
		return fmt.Errorf("cannot save the contexts: %v", err)
	}
	fmt.Fprintf(out, "Added context %s to %s\n", name, f.Path)
	return nil
}

// List prints one line per context, * marking the default (stomp context
// ls); with none it says so on errw.
func List(path string, out, errw io.Writer) error {
	f, err := load(path, false)
	if err != nil {
		return err
	}
	if len(f.Contexts) == 0 {
		fmt.Fprintf(errw, "no contexts in %s yet: add one with stomp context add NAME\n", f.Path)
		return nil
	}
	for _, name := range f.Names() {
		mark := " "
		if name == f.Default {
			mark = "*"
		}
		fmt.Fprintf(out, "%s %s\t%s\n", mark, name, describe(f.Contexts[name]))
	}
	return nil
}

// describe is one line saying where a context connects, without its
// password.
func describe(p Context) string {
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

// Use makes name the default context (stomp context use NAME).
func Use(path, name string, out io.Writer) error {
	return change(path, name, func(f *File) { f.Default = name }, "Using context "+name+" by default", out)
}

// Remove deletes the context name (stomp context rm NAME); the default
// goes with it.
func Remove(path, name string, out io.Writer) error {
	return change(path, name, func(f *File) {
		delete(f.Contexts, name)
		if f.Default == name {
			f.Default = "" // no default is better than one that names nothing
		}
	}, "Removed context "+name, out)
}

// Show prints the context name (the default when name is "") as it stands
// in the file, its password masked (stomp context show [NAME]).
func Show(path, name string, out io.Writer) error {
	f, err := load(path, true)
	if err != nil {
		return err
	}
	if name == "" {
		name = f.Default
	}
	if name == "" {
		return exitcode.Usagef("context show: no default context: give a NAME (see stomp context ls)")
	}
	p, err := named(f, name)
	if err != nil {
		return err
	}
	if p.Password != "" {
		p.Password = secret.Mask
	}
	p.URL = endpoint.Redact(p.URL)
	fmt.Fprintf(out, "[contexts.%s]\n", name)
	for _, kv := range fields(p) {
		fmt.Fprintf(out, "%s = %s\n", kv[0], render.VisibleLine(kv[1]))
	}
	if name == f.Default {
		fmt.Fprintln(out, "# the default context")
	}
	return nil
}

// fields are p's set fields as TOML key and value, in file order.
func fields(p Context) [][2]string {
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

// Edit opens the file holding name in editor ($VISUAL, else $EDITOR, else
// vi, as given) with in, out and errw as its terminal, then checks the file
// and keeps it at mode 0600 (stomp context edit NAME).
func Edit(path, name, editor string, in io.Reader, out, errw io.Writer) error {
	// A file that does not parse is opened all the same: editing is how
	// it gets fixed.
	if f, err := Load(path); err == nil {
		if _, err := named(f, name); err != nil {
			return err
		}
	} else if errors.Is(err, ErrNoFile) {
		return exitcode.Usagef("no contexts in %s yet: add one with stomp context add NAME", path)
	}
	if editor == "" {
		editor = "vi"
	}
	// Through the shell, as git does, so EDITOR="code -w" works.
	ed := exec.Command("/bin/sh", "-c", editor+` "$1"`, "editor", path)
	ed.Stdin, ed.Stdout, ed.Stderr = in, out, errw
	if err := ed.Run(); err != nil {
		return fmt.Errorf("the editor %q failed: %v", editor, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	g, err := Load(path)
	if err != nil {
		return fmt.Errorf("%v: fix it with stomp context edit %s", err, name)
	}
	if g.Default != "" {
		if _, ok := g.Get(g.Default); !ok {
			return fmt.Errorf("%s: the default context %q is not defined: fix it with stomp context edit %s", path, g.Default, name)
		}
	}
	fmt.Fprintf(out, "%s is valid: %d context(s)\n", path, len(g.Contexts))
	return nil
}
