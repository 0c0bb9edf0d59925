package connect

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/secret"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Flags is what the command line said about the connection: stomp.py's
// -H -P -U -W -S and the rest, each with the value the flag holds (its
// default when not given), and which of them were given.
type Flags struct {
	URL         string   // the broker URL given as the argument, if any
	Hosts       []string // -H, each as given: hosts, host:port, lists, failover:(...) or a URL
	Port        string   // -P
	User        string   // -U
	Password    string   // -W; "-" asks on the terminal
	Vhost       string   // --vhost
	SSL         bool     // --ssl
	SSLCAFile   string   // --ssl-ca-file
	SSLCertFile string   // --ssl-cert-file
	SSLKeyFile  string   // --ssl-key-file
	SSLInsecure bool     // --ssl-insecure
	WS          bool     // --ws
	Context     string   // --context
	Protocol    string   // -S: "", 1.0, 1.1 or 1.2
	Heartbeats  string   // --heartbeats cx,cy
	// ReceiptTimeout and ConnectTimeout are --receipt-timeout and
	// --connect-timeout.
	ReceiptTimeout, ConnectTimeout time.Duration
	MaxFrameSize                   int  // --max-frame-size
	StompFrame                     bool // --stomp-frame
	Embedded                       bool // --embedded

	// Given holds the long names of the flags given on the command line.
	// Where the broker is and the login come from a flag only when it was
	// given: otherwise the environment and the context have their say.
	Given map[string]bool
}

var heartbeatsRE = regexp.MustCompile(`^([0-9]+),([0-9]+)$`)

// Resolve turns the flags, the environment (STOMP_URL, STOMP_HOST,
// STOMP_PORT, STOMP_USER, STOMP_PASSWORD, STOMP_CONTEXT) and the --context
// file into the connection to make, highest first: the flags; a broker URL
// (the argument, or -H stomp://...); the environment, its single variables
// over STOMP_URL; the context, its fields over its url; the defaults.
//
// Everything is checked before any connection is tried, so a typo costs no
// network round trip and is a usage error. It asks for the password on
// ios's terminal when -W - says so (or a login comes without one on a
// terminal), runs a context's password_command, and warns on ios's
// standard error of what is unsafe (a password in a URL, --ssl-insecure).
// The returned Config has no trace and no reconnect policy: they are the
// caller's.
func Resolve(f Flags, ios *iostreams.IOStreams) (Config, error) {
	r := resolver{Flags: f, ios: ios}
	return r.resolve()
}

// resolver is one Resolve: the flags and the streams it warns and asks on.
type resolver struct {
	Flags
	ios *iostreams.IOStreams
}

// warnf prints a one-line warning on standard error.
func (r *resolver) warnf(format string, args ...any) {
	fmt.Fprintf(r.ios.Err, "stomp: warning: "+format+"\n", args...)
}

func (r *resolver) resolve() (Config, error) {
	if r.Embedded && (r.URL != "" || r.Given["host"] || r.Given["port"] || r.Given["context"] || r.Given["ssl"] || r.Given["ws"]) {
		// Config.Start would connect to its own broker all the same.
		return Config{}, exitcode.Usagef("--embedded connects to its own broker on loopback: drop it, or drop the broker's address (a URL, -H, -P, --context, --ssl, --ws)")
	}
	var host string
	var alternates []string // failover brokers after the first, host or host:port
	if r.Given["host"] {
		all, err := endpoint.FailoverList(r.Hosts)
		if err != nil {
			return Config{}, exitcode.Usagef("%v", err)
		}
		host, alternates = all[0], all[1:]
	}
	primaryPort := ""
	if h, p, err := net.SplitHostPort(host); err == nil && !endpoint.LooksLikeURL(host) {
		host, primaryPort = h, p // -H a:61613,b:61613
	}
	t, err := r.layers(host)
	if err != nil {
		return Config{}, err
	}
	if primaryPort != "" && !r.Given["port"] {
		t.port = primaryPort
	}
	n := portNumber(t.port)
	if n == 0 {
		return Config{}, exitcode.Usagef("invalid port %q for -P: give a number from 1 to 65535", t.port)
	}
	if err := r.password(&t); err != nil {
		return Config{}, err
	}
	if secret.Unsafe(t.password) {
		r.warnf("the password contains ':', '\\' or a line break, which the CONNECT frame cannot carry as is (it is sent escaped): the broker may refuse the login")
	}
	opts, err := r.clientOptions(t)
	if err != nil {
		return Config{}, err
	}
	if r.ReceiptTimeout <= 0 || r.ConnectTimeout <= 0 {
		return Config{}, exitcode.Usagef("timeouts must be positive")
	}
	first := client.Endpoint{Host: t.host, Port: strconv.Itoa(n)}
	if t.ws {
		first.WSPath = t.wsPath
		if first.WSPath == "" {
			first.WSPath = "/"
		}
	}
	if t.sslCA != "" || t.sslCert != "" || t.sslKey != "" || r.SSLInsecure {
		t.ssl = true // asking for TLS material means asking for TLS
	}
	if t.ssl {
		if first.TLS, err = buildTLS(t.sslCA, t.sslCert, t.sslKey, r.SSLInsecure); err != nil {
			return Config{}, err
		}
		if r.SSLInsecure {
			r.warnf("--ssl-insecure: the broker's certificate is not verified, so anyone on the network path can pose as the broker and read the password")
		}
	}
	// Failover: the other brokers, in order, with the same settings.
	brokers := []client.Endpoint{first}
	for _, alt := range alternates {
		e := first
		if h, p, err := net.SplitHostPort(alt); err == nil {
			e.Host, e.Port = h, p
		} else {
			e.Host = alt
		}
		brokers = append(brokers, e)
	}
	return Config{Embedded: r.Embedded, Config: session.Config{
		Brokers: brokers, ConnectTimeout: r.ConnectTimeout, ReceiptTimeout: r.ReceiptTimeout, Client: opts,
	}}, nil
}

// clientOptions checks -S, --heartbeats and --max-frame-size and says how
// to log in to t.
func (r *resolver) clientOptions(t target) (client.Options, error) {
	var versions []string
	switch r.Protocol {
	case "":
	case "1.0", "1.1", "1.2":
		versions = []string{r.Protocol}
	default:
		return client.Options{}, exitcode.Usagef("unknown protocol version %q for -S: use 1.0, 1.1 or 1.2", r.Protocol)
	}
	m := heartbeatsRE.FindStringSubmatch(r.Heartbeats)
	if m == nil {
		return client.Options{}, exitcode.Usagef("invalid --heartbeats %q: expecting cx,cy in milliseconds, e.g. 10000,10000", r.Heartbeats)
	}
	cx, err1 := strconv.ParseInt(m[1], 10, 32)
	cy, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return client.Options{}, exitcode.Usagef("invalid --heartbeats %q: values too large", r.Heartbeats)
	}
	if r.MaxFrameSize < 1024 {
		return client.Options{}, exitcode.Usagef("--max-frame-size %d is too small: give at least 1024 bytes", r.MaxFrameSize)
	}
	vhost := t.vhost
	if len(versions) == 1 && versions[0] == "1.0" && vhost == "/" {
		vhost = "" // a 1.0 CONNECT has no host header unless asked for
	}
	return client.Options{
		Login: t.user, Passcode: t.password, Vhost: vhost, Versions: versions,
		HeartBeatSend: time.Duration(cx) * time.Millisecond, HeartBeatRecv: time.Duration(cy) * time.Millisecond,
		UseStompFrame: r.StompFrame, MaxFrameSize: r.MaxFrameSize,
	}, nil
}
