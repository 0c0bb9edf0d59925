package cmd

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/contexts"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/secret"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// connFlags say where the broker is and how to talk to it. They are
// persistent flags of the root, so every mode and subcommand has them
// (`stomp -H x send ...` and `stomp send -H x ...` alike). The single
// letters are stomp.py's.
//
// Where the broker is comes from, highest first: the flags; a broker URL
// (the root's one positional argument, or -H stomp://...); the environment
// (STOMP_HOST, STOMP_PORT, STOMP_USER, STOMP_PASSWORD over STOMP_URL); the
// --context profile (its fields over its url); the defaults.
type connFlags struct {
	hosts           []string // -H as given, possibly several
	host, port      string
	user, password  string
	protocol        string
	heartbeats      string
	ssl             bool
	sslCA           string
	sslCert, sslKey string
	sslInsecure     bool
	ws              bool
	vhost           string
	context         string
	receiptTimeout  time.Duration
	connectTimeout  time.Duration
	maxFrameSize    int
	stompFrame      bool
	embedded        bool
	verbose         bool
	trace           bool
	noColor         bool

	stdio *iostreams.IOStreams // the run's streams: the password prompt, warnings, the environment
	url   string               // the positional broker URL, set by args (the root command) before resolve

	// derived by resolve
	alternates     []string // failover brokers after the first, host or host:port
	portNum        int
	versions       []string
	hbSend, hbRecv time.Duration
	tlsConfig      *tls.Config
	wsPath         string // non-empty: STOMP over WebSocket
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.SortFlags = false
	fs.StringArrayVarP(&c.hosts, "host", "H", []string{"localhost"}, "broker `HOST` name or address, or a broker URL (env STOMP_HOST); several (-H a -H b, -H a,b or failover:(tcp://a:61613,tcp://b:61613)) are tried in order, on connect and on reconnect")
	fs.StringVarP(&c.port, "port", "P", "61613", "broker STOMP port (env STOMP_PORT)")
	fs.StringVarP(&c.user, "user", "U", "", "login user name (env STOMP_USER)")
	fs.StringVarP(&c.password, "password", "W", "", "login password (env STOMP_PASSWORD); - asks for it on the terminal; never shown in output")
	fs.StringVarP(&c.protocol, "protocol", "S", "", "pin the STOMP version: 1.0, 1.1 or 1.2 (default: offer all, use the broker's choice)")
	fs.BoolVar(&c.trace, "trace", false, "print every frame sent and received on standard error in wire form (passcode redacted, binary bodies as hex)")
	fs.BoolVarP(&c.verbose, "verbose", "V", false, "show every frame's command and headers, sent and received")
	fs.StringVar(&c.heartbeats, "heartbeats", "10000,10000", "heart-beats `cx,cy` in milliseconds: how often we send, how often we want to hear from the broker (0,0: none); a silent broker counts as a lost connection")
	fs.BoolVar(&c.ssl, "ssl", false, "connect with TLS, verifying the broker's certificate and host name")
	fs.StringVar(&c.sslCA, "ssl-ca-file", "", "trust the CA certificates in `FILE` (PEM) in addition to the system's")
	fs.StringVar(&c.sslCert, "ssl-cert-file", "", "present the client certificate in `FILE` (PEM)")
	fs.StringVar(&c.sslKey, "ssl-key-file", "", "private key `FILE` (PEM) for --ssl-cert-file (default: the cert file)")
	fs.BoolVar(&c.sslInsecure, "ssl-insecure", false, "do not verify the broker's certificate (insecure; for testing only)")
	fs.BoolVar(&c.ws, "ws", false, "STOMP over WebSocket (default port 15674, path /ws: RabbitMQ web-stomp); with --ssl, wss")
	fs.StringVar(&c.vhost, "vhost", "/", "virtual host sent as the CONNECT host header (RabbitMQ vhost)")
	fs.StringVar(&c.context, "context", "", "use the connection `NAME` from ~/.config/stomp/config.toml (env STOMP_CONTEXT)")
	fs.DurationVar(&c.receiptTimeout, "receipt-timeout", 10*time.Second, "how long to wait for a broker receipt")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for the connection and the CONNECTED frame")
	fs.IntVar(&c.maxFrameSize, "max-frame-size", client.DefaultMaxFrameSize, "largest frame accepted from the broker, in bytes")
	fs.BoolVar(&c.stompFrame, "stomp-frame", false, "open with a STOMP frame instead of CONNECT (1.1+)")
	fs.BoolVar(&c.embedded, "embedded", false, "start the embedded broker in-process on a free loopback port and connect to it")
	fs.BoolVar(&c.noColor, "no-color", false, "no colours (also: NO_COLOR in the environment)")
}

// args checks the root command's positional arguments: at most one, a
// broker URL.
func (c *connFlags) args(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if len(args) > 1 || !endpoint.LooksLikeURL(args[0]) {
		a := args[len(args)-1]
		if len(args) == 1 {
			a = args[0]
		}
		return exitcode.Usagef("unexpected argument %q: stomp takes flags and at most one broker URL, such as stomp://host:61613 or ws://host:15674/ws (see stomp --help)", endpoint.Redact(a))
	}
	c.url = args[0]
	return nil
}

// warnf prints a one-line warning on standard error.
func (c *connFlags) warnf(format string, args ...any) {
	fmt.Fprintf(c.stdio.Err, "stomp: warning: "+format+"\n", args...)
}

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
	if u.Port != "" {
		t.port = u.Port
	} else {
		t.port = ""
	}
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

// layers computes the target from the profile, the environment, the URL
// and the flags, lowest first.
func (c *connFlags) layers(fs *pflag.FlagSet, getenv func(string) string) (target, error) {
	t := target{host: "localhost", vhost: "/", defaultPort: "61613"}

	// The --context profile.
	name := c.context
	if !fs.Changed("context") {
		name = getenv("STOMP_CONTEXT")
	}
	if name == "" && !c.namesBroker(fs, getenv) {
		name = c.defaultContext(getenv)
	}
	if name != "" {
		if err := c.applyContext(&t, name, getenv); err != nil {
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

	// The command line: a URL (positional or -H), then the flags over it.
	hostURL := fs.Changed("host") && endpoint.LooksLikeURL(c.host)
	if c.url != "" && hostURL {
		return t, exitcode.Usagef("two broker URLs: give the URL as the argument or with -H, not both")
	}
	cmdURL := c.url
	if hostURL {
		cmdURL = c.host
	}
	if cmdURL != "" {
		if err := t.applyURL(cmdURL, "broker URL"); err != nil {
			return t, err
		}
		if u, _ := endpoint.Parse(cmdURL); u.HasPassword {
			c.warnf("a password in the URL is visible to other users of this machine (ps, shell history): use -W - to be asked for it, or STOMP_PASSWORD")
		}
	}
	if fs.Changed("host") && !hostURL {
		t.host = c.host
	}
	if fs.Changed("port") {
		t.port = c.port
	}
	if fs.Changed("user") {
		t.user = c.user
	}
	if fs.Changed("password") {
		t.password, t.passwordSet = c.password, true
	}
	if fs.Changed("vhost") {
		t.vhost = c.vhost
	}
	if fs.Changed("ssl") {
		t.ssl = c.ssl
	}
	if fs.Changed("ws") {
		t.ws = c.ws
		if t.ws && t.wsPath == "" {
			t.wsPath = "/ws"
			t.defaultPort = "15674"
		}
	}
	for _, f := range []struct {
		flag string
		dst  *string
		v    string
	}{{"ssl-ca-file", &t.sslCA, c.sslCA}, {"ssl-cert-file", &t.sslCert, c.sslCert}, {"ssl-key-file", &t.sslKey, c.sslKey}} {
		if fs.Changed(f.flag) {
			*f.dst = f.v
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
func (c *connFlags) namesBroker(fs *pflag.FlagSet, getenv func(string) string) bool {
	return c.url != "" || fs.Changed("host") || fs.Changed("port") || fs.Changed("embedded") && c.embedded ||
		getenv("STOMP_URL") != "" || getenv("STOMP_HOST") != "" || getenv("STOMP_PORT") != ""
}

// defaultContext is the context `stomp context use` chose, if any. A file
// that cannot be read is reported and passed over: it was not asked for.
func (c *connFlags) defaultContext(getenv func(string) string) string {
	f, err := contexts.Load(c.stdio.ContextsFile())
	if err != nil {
		if !errors.Is(err, contexts.ErrNoFile) {
			c.warnf("no default context: cannot read the contexts: %v", err)
		}
		return ""
	}
	return f.Default
}

// runPasswordCommand runs a context's password_command with the shell and
// returns its output's first line. Its standard error and input are the
// user's, so a tool such as pass can ask for its own passphrase.
func (c *connFlags) runPasswordCommand(command string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdin, cmd.Stderr = c.stdio.In, c.stdio.Err
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("the context's password_command %q failed: %v", command, err)
	}
	pw, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSuffix(pw, "\r"), nil
}

// applyContext lays the profile called name over t.
func (c *connFlags) applyContext(t *target, name string, getenv func(string) string) error {
	path := c.stdio.ContextsFile()
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
		c.warnf("%s holds a password and other users can read it: chmod 600 %s", path, path)
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
	home := getenv("HOME")
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

var heartbeatsRE = regexp.MustCompile(`^([0-9]+),([0-9]+)$`)

// resolve checks and derives everything before any connection is tried,
// so a typo costs no network round trip and always exits 2.
func (c *connFlags) resolve(fs *pflag.FlagSet, getenv func(string) string) error {
	if fs.Changed("host") {
		all, err := endpoint.FailoverList(c.hosts)
		if err != nil {
			return exitcode.Usagef("%v", err)
		}
		c.host, c.alternates = all[0], all[1:]
	} else {
		c.host = c.hosts[0]
	}
	primaryPort := ""
	if h, p, err := net.SplitHostPort(c.host); err == nil && !endpoint.LooksLikeURL(c.host) {
		c.host, primaryPort = h, p // -H a:61613,b:61613
	}
	t, err := c.layers(fs, getenv)
	if err != nil {
		return err
	}
	if primaryPort != "" && !fs.Changed("port") {
		t.port = primaryPort
	}
	c.host, c.port, c.user, c.password, c.vhost = t.host, t.port, t.user, t.password, t.vhost
	c.ssl, c.sslCA, c.sslCert, c.sslKey = t.ssl, t.sslCA, t.sslCert, t.sslKey
	c.wsPath = ""
	if t.ws {
		c.wsPath = t.wsPath
		if c.wsPath == "" {
			c.wsPath = "/"
		}
	}
	n, err := strconv.Atoi(c.port)
	if err != nil || n < 1 || n > 65535 {
		return exitcode.Usagef("invalid port %q for -P: give a number from 1 to 65535", c.port)
	}
	c.portNum = n
	if !t.passwordSet && t.passwordCommand != "" {
		if c.password, err = c.runPasswordCommand(t.passwordCommand); err != nil {
			return err
		}
		t.passwordSet = true
	}
	if err := c.askPassword(t.passwordSet); err != nil {
		return err
	}
	if secret.Unsafe(c.password) {
		c.warnf("the password contains ':', '\\' or a line break, which the CONNECT frame cannot carry as is (it is sent escaped): the broker may refuse the login")
	}
	switch c.protocol {
	case "":
	case "1.0", "1.1", "1.2":
		c.versions = []string{c.protocol}
	default:
		return exitcode.Usagef("unknown protocol version %q for -S: use 1.0, 1.1 or 1.2", c.protocol)
	}
	m := heartbeatsRE.FindStringSubmatch(c.heartbeats)
	if m == nil {
		return exitcode.Usagef("invalid --heartbeats %q: expecting cx,cy in milliseconds, e.g. 10000,10000", c.heartbeats)
	}
	cx, err1 := strconv.ParseInt(m[1], 10, 32)
	cy, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return exitcode.Usagef("invalid --heartbeats %q: values too large", c.heartbeats)
	}
	c.hbSend, c.hbRecv = time.Duration(cx)*time.Millisecond, time.Duration(cy)*time.Millisecond
	if c.maxFrameSize < 1024 {
		return exitcode.Usagef("--max-frame-size %d is too small: give at least 1024 bytes", c.maxFrameSize)
	}
	if c.receiptTimeout <= 0 || c.connectTimeout <= 0 {
		return exitcode.Usagef("timeouts must be positive")
	}
	if c.sslCA != "" || c.sslCert != "" || c.sslKey != "" || c.sslInsecure {
		c.ssl = true // asking for TLS material means asking for TLS
	}
	if c.ssl {
		if c.tlsConfig, err = c.buildTLS(); err != nil {
			return err
		}
		if c.sslInsecure {
			c.warnf("--ssl-insecure: the broker's certificate is not verified, so anyone on the network path can pose as the broker and read the password")
		}
	}
	return nil
}

func (c *connFlags) buildTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.sslInsecure}
	if c.sslCA != "" {
		pem, err := os.ReadFile(c.sslCA)
		if err != nil {
			return nil, exitcode.Usagef("cannot read --ssl-ca-file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, exitcode.Usagef("--ssl-ca-file %s holds no PEM certificate", c.sslCA)
		}
		cfg.RootCAs = pool
	}
	if c.sslKey != "" && c.sslCert == "" {
		return nil, exitcode.Usagef("--ssl-key-file needs --ssl-cert-file")
	}
	if c.sslCert != "" {
		key := c.sslKey
		if key == "" {
			key = c.sslCert // stomp.py: the key may be in the cert file
		}
		cert, err := tls.LoadX509KeyPair(c.sslCert, key)
		if err != nil {
			return nil, exitcode.Usagef("cannot load client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// askPassword prompts on the terminal, without echo, for -W - and for a
// login given without a password while standard input is a terminal.
func (c *connFlags) askPassword(given bool) error {
	asked := given && c.password == "-"
	if !asked && (given || c.user == "" || !c.stdio.IsStdinTTY()) {
		return nil
	}
	prompt := "Password: "
	if c.user != "" {
		prompt = fmt.Sprintf("Password for %s: ", c.user)
	}
	pw, err := c.stdio.AskPassword(prompt)
	if err != nil {
		if asked {
			return exitcode.Usagef("-W -: cannot ask for the password: %v (set STOMP_PASSWORD instead)", err)
		}
		return nil // no terminal after all: connect without a password
	}
	c.password = pw
	return nil
}

func (c *connFlags) endpoint() client.Endpoint {
	return client.Endpoint{Host: c.host, Port: strconv.Itoa(c.portNum), TLS: c.tlsConfig, WSPath: c.wsPath}
}

func (c *connFlags) clientOptions() client.Options {
	vhost := c.vhost
	if len(c.versions) == 1 && c.versions[0] == "1.0" && vhost == "/" {
		vhost = "" // a 1.0 CONNECT has no host header unless asked for
	}
	return client.Options{
		Login: c.user, Passcode: c.password, Vhost: vhost, Versions: c.versions,
		HeartBeatSend: c.hbSend, HeartBeatRecv: c.hbRecv,
		UseStompFrame: c.stompFrame, MaxFrameSize: c.maxFrameSize,
	}
}

// config is the connection the resolved flags describe, with the
// reconnect policy b (nil: none). With printer, -V and --trace show every
// frame through it.
func (c *connFlags) config(printer *commands.Printer, b *session.Backoff) connect.Config {
	opts := c.clientOptions()
	if printer != nil {
		opts.Trace = c.tracer(printer)
	}
	// Failover: the other brokers, in order, with the same settings.
	brokers := []client.Endpoint{c.endpoint()}
	for _, alt := range c.alternates {
		e := c.endpoint()
		if h, p, err := net.SplitHostPort(alt); err == nil {
			e.Host, e.Port = h, p
		} else {
			e.Host = alt
		}
		brokers = append(brokers, e)
	}
	return connect.Config{Embedded: c.embedded, Config: session.Config{
		Brokers: brokers, ConnectTimeout: c.connectTimeout, ReceiptTimeout: c.receiptTimeout,
		Client: opts, Reconnect: b,
	}}
}

// tracer shows frames for -V (on standard output, stomp.py's place) and
// --trace (wire form, on standard error); nil when neither is asked for.
func (c *connFlags) tracer(printer *commands.Printer) func(client.Direction, *frame.Frame) {
	if !c.verbose && !c.trace {
		return nil
	}
	return func(d client.Direction, f *frame.Frame) {
		var buf bytes.Buffer
		if c.trace {
			render.Wire(&buf, f, d == client.Out)
			printer.Trace(buf.Bytes())
			buf.Reset()
		}
		if c.verbose && (d == client.Out || f.Command != frame.MESSAGE) { // a MESSAGE is shown in full anyway
			render.Frame(&buf, f, d == client.Out, printer.Theme)
			_, _ = printer.Write(buf.Bytes())
		}
	}
}
