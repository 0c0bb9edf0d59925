package connect

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/stomp-cli/stomp/internal/contexts"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
)

// target is where to connect, built up layer by layer.
type target struct {
	host, port, user, password, vhost string
	passwordSet                       bool
	passwordCommand                   string // the context's, run when no password is given
	ssl                               bool
	sslCA, sslCert, sslKey            string
	ws                                bool
	wsPath                            string
	defaultPort                       string // the port the last URL's scheme means
}

// applyURL lays a broker URL over t. what names its source in errors.
func (t *target) applyURL(raw, what string) error {
	u, err := endpoint.Parse(raw)
	if err != nil {
		return exitcode.Usagef("%s: %v", what, err)
	}
	t.host = u.Host
	t.port = u.Port // "": the scheme's default
	t.defaultPort = endpoint.DefaultPort(u.Scheme)
	if u.User != "" {
		t.user = u.User
	}
	if u.HasPassword {
		t.password, t.passwordSet = u.Password, true
	}
	if u.HasVhost {
		t.vhost = u.Vhost
	}
	t.ssl = u.TLS()
	t.ws = u.WebSocket()
	t.wsPath = u.Path
	return nil
}

// applyHost lays a -H or STOMP_HOST value over t: a URL or a host name.
func (t *target) applyHost(v, what string) error {
	if endpoint.LooksLikeURL(v) {
		return t.applyURL(v, what)
	}
	t.host = v
	return nil
}

// layers computes the target from the context, the environment, the URL
// and the flags, lowest first. host is the first -H broker, when given.
func (r *resolver) layers(host string) (target, error) {
	t := target{host: "localhost", vhost: "/", defaultPort: "61613"}
	getenv := r.ios.Getenv

	// The --context profile.
	name := r.Context
	if !r.Given["context"] {
		name = getenv("STOMP_CONTEXT")
	}
	if name == "" && !r.namesBroker() {
		name = r.defaultContext()
	}
	if name != "" {
		if err := r.applyContext(&t, name); err != nil {
			return t, err
		}
	}

	// The environment: STOMP_URL, then the single variables over it.
	if v := getenv("STOMP_URL"); v != "" {
		if err := t.applyURL(v, "STOMP_URL"); err != nil {
			return t, err
		}
	}
	if v := getenv("STOMP_HOST"); v != "" {
		if err := t.applyHost(v, "STOMP_HOST"); err != nil {
			return t, err
		}
	}
	if v := getenv("STOMP_PORT"); v != "" {
		t.port = v
	}
	if v := getenv("STOMP_USER"); v != "" {
		t.user = v
	}
	if v := getenv("STOMP_PASSWORD"); v != "" {
		t.password, t.passwordSet = v, true
	}

	// The command line: a URL (the argument or -H), then the flags over it.
	hostURL := r.Given["host"] && endpoint.LooksLikeURL(host)
	if r.URL != "" && hostURL {
		return t, exitcode.Usagef("two broker URLs: give the URL as the argument or with -H, not both")
	}
	cmdURL := r.URL
	if hostURL {
		cmdURL = host
	}
	if cmdURL != "" {
		if err := t.applyURL(cmdURL, "broker URL"); err != nil {
			return t, err
		}
		if u, _ := endpoint.Parse(cmdURL); u.HasPassword {
			r.warnf("a password in the URL is visible to other users of this machine (ps, shell history): use -W - to be asked for it, or STOMP_PASSWORD")
		}
	}
	if r.Given["host"] && !hostURL {
		t.host = host
	}
	for _, f := range []struct {
		flag string
		dst  *string
		v    string
	}{
		{"port", &t.port, r.Port}, {"user", &t.user, r.User}, {"vhost", &t.vhost, r.Vhost},
		{"ssl-ca-file", &t.sslCA, r.SSLCAFile}, {"ssl-cert-file", &t.sslCert, r.SSLCertFile}, {"ssl-key-file", &t.sslKey, r.SSLKeyFile},
	} {
		if r.Given[f.flag] {
			*f.dst = f.v
		}
	}
	if r.Given["password"] {
		t.password, t.passwordSet = r.Password, true
	}
	if r.Given["ssl"] {
		t.ssl = r.SSL
	}
	if r.Given["ws"] {
		t.ws = r.WS
		if t.ws && t.wsPath == "" {
			t.wsPath = "/ws"
			t.defaultPort = "15674"
		}
	}
	if t.port == "" {
		t.port = t.defaultPort
	}
	return t, nil
}

// namesBroker says whether the command line or the environment says where
// to connect. The default context (`stomp context use`) applies only when
// nothing does: its login must not go to a broker named some other way.
func (r *resolver) namesBroker() bool {
	getenv := r.ios.Getenv
	return r.URL != "" || r.Given["host"] || r.Given["port"] || r.Given["embedded"] && r.Embedded ||
		getenv("STOMP_URL") != "" || getenv("STOMP_HOST") != "" || getenv("STOMP_PORT") != ""
}

// defaultContext is the context `stomp context use` chose, if any. A file
// that cannot be read is reported and passed over: it was not asked for.
func (r *resolver) defaultContext() string {
	f, err := contexts.Load(r.ios.ContextsFile())
	if err != nil {
		if !errors.Is(err, contexts.ErrNoFile) {
			r.warnf("no default context: cannot read the contexts: %v", err)
		}
		return ""
	}
	return f.Default
}

// applyContext lays the context called name over t.
func (r *resolver) applyContext(t *target, name string) error {
	path := r.ios.ContextsFile()
	f, err := contexts.Load(path)
	if errors.Is(err, contexts.ErrNoFile) {
		return exitcode.Usagef("unknown context %q: there is no %s (see stomp --help)", name, path)
	}
	if err != nil {
		return exitcode.Usagef("cannot read the contexts: %v", err)
	}
	p, ok := f.Get(name)
	if !ok {
		known := "none"
		if names := f.Names(); len(names) > 0 {
			known = strings.Join(names, ", ")
		}
		return exitcode.Usagef("unknown context %q: %s defines %s", name, path, known)
	}
	if f.Exposed {
		r.warnf("%s holds a password and other users can read it: chmod 600 %s", path, path)
	}
	if p.URL != "" {
		if err := t.applyURL(p.URL, "context "+name+" url"); err != nil {
			return err
		}
	}
	if p.Host != "" {
		if err := t.applyHost(p.Host, "context "+name+" host"); err != nil {
			return err
		}
	}
	if p.Port != "" {
		t.port = string(p.Port)
	}
	if p.User != "" {
		t.user = p.User
	}
	if p.Password != "" {
		t.password, t.passwordSet = p.Password, true
	} else if p.PasswordCommand != "" {
		t.passwordCommand = p.PasswordCommand
	}
	if p.Vhost != "" {
		t.vhost = p.Vhost
	}
	if p.SSL {
		t.ssl = true
	}
	home := r.ios.Getenv("HOME")
	for _, f := range []struct {
		dst *string
		v   string
	}{{&t.sslCA, p.SSLCAFile}, {&t.sslCert, p.SSLCertFile}, {&t.sslKey, p.SSLKeyFile}} {
		if f.v != "" {
			*f.dst = expandHome(f.v, home)
		}
	}
	return nil
}

func expandHome(p, home string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	return p
}
