package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/render"
)

// connFlags say where the broker is and how to talk to it. They are
// persistent flags of the root, so every mode and subcommand has them
// (`stomp -H x send ...` and `stomp send -H x ...` alike). The single
// letters are stomp.py's.
type connFlags struct {
	host, port      string
	user, password  string
	protocol        string
	heartbeats      string
	ssl             bool
	sslCA           string
	sslCert, sslKey string
	sslInsecure     bool
	vhost           string
	receiptTimeout  time.Duration
	connectTimeout  time.Duration
	maxFrameSize    int
	stompFrame      bool
	embedded        bool
	verbose         bool
	noColor         bool

	// derived by resolve
	portNum        int
	versions       []string
	hbSend, hbRecv time.Duration
	tlsConfig      *tls.Config
	colorOK        bool
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.SortFlags = false
	fs.StringVarP(&c.host, "host", "H", "localhost", "broker host name or address (env STOMP_HOST)")
	fs.StringVarP(&c.port, "port", "P", "61613", "broker STOMP port (env STOMP_PORT)")
	fs.StringVarP(&c.user, "user", "U", "", "login user name (env STOMP_USER)")
	fs.StringVarP(&c.password, "password", "W", "", "login password (env STOMP_PASSWORD); never shown in output")
	fs.StringVarP(&c.protocol, "protocol", "S", "", "pin the STOMP version: 1.0, 1.1 or 1.2 (default: offer all, use the broker's choice)")
	fs.BoolVarP(&c.verbose, "verbose", "V", false, "show every frame's command and headers, sent and received")
	fs.StringVar(&c.heartbeats, "heartbeats", "0,0", "heart-beats `cx,cy` in milliseconds: how often we send, how often we want to hear from the broker")
	fs.BoolVar(&c.ssl, "ssl", false, "connect with TLS, verifying the broker's certificate and host name")
	fs.StringVar(&c.sslCA, "ssl-ca-file", "", "trust the CA certificates in `FILE` (PEM) in addition to the system's")
	fs.StringVar(&c.sslCert, "ssl-cert-file", "", "present the client certificate in `FILE` (PEM)")
	fs.StringVar(&c.sslKey, "ssl-key-file", "", "private key `FILE` (PEM) for --ssl-cert-file (default: the cert file)")
	fs.BoolVar(&c.sslInsecure, "ssl-insecure", false, "do not verify the broker's certificate (insecure; for testing only)")
	fs.StringVar(&c.vhost, "vhost", "/", "virtual host sent as the CONNECT host header (RabbitMQ vhost)")
	fs.DurationVar(&c.receiptTimeout, "receipt-timeout", 10*time.Second, "how long to wait for a broker receipt")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for the connection and the CONNECTED frame")
	fs.IntVar(&c.maxFrameSize, "max-frame-size", client.DefaultMaxFrameSize, "largest frame accepted from the broker, in bytes")
	fs.BoolVar(&c.stompFrame, "stomp-frame", false, "open with a STOMP frame instead of CONNECT (1.1+)")
	fs.BoolVar(&c.embedded, "embedded", false, "start the embedded broker in-process on a free loopback port and connect to it")
	fs.BoolVar(&c.noColor, "no-color", false, "no colours (also: NO_COLOR in the environment)")
}

// fromEnvironment fills connection flags not given on the command line from
// STOMP_HOST, STOMP_PORT, STOMP_USER and STOMP_PASSWORD (the names the Ruby
// stomp gem's stompcat uses): flags win, then the environment, then defaults.
func (c *connFlags) fromEnvironment(fs *pflag.FlagSet, getenv func(string) string) {
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"host", "STOMP_HOST", &c.host}, {"port", "STOMP_PORT", &c.port},
		{"user", "STOMP_USER", &c.user}, {"password", "STOMP_PASSWORD", &c.password},
	} {
		if v := getenv(e.env); v != "" && !fs.Changed(e.flag) {
			*e.dst = v
		}
	}
}

var heartbeatsRE = regexp.MustCompile(`^([0-9]+),([0-9]+)$`)

// resolve checks and derives everything before any connection is tried,
// so a typo costs no network round trip and always exits 2.
func (c *connFlags) resolve(fs *pflag.FlagSet, getenv func(string) string) error {
	c.fromEnvironment(fs, getenv)
	n, err := strconv.Atoi(c.port)
	if err != nil || n < 1 || n > 65535 {
		return usageErrorf("invalid port %q for -P: give a number from 1 to 65535", c.port)
	}
	c.portNum = n
	switch c.protocol {
	case "":
	case "1.0", "1.1", "1.2":
		c.versions = []string{c.protocol}
	default:
		return usageErrorf("unknown protocol version %q for -S: use 1.0, 1.1 or 1.2", c.protocol)
	}
	m := heartbeatsRE.FindStringSubmatch(c.heartbeats)
	if m == nil {
		return usageErrorf("invalid --heartbeats %q: expecting cx,cy in milliseconds, e.g. 10000,10000", c.heartbeats)
	}
	cx, err1 := strconv.ParseInt(m[1], 10, 32)
	cy, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return usageErrorf("invalid --heartbeats %q: values too large", c.heartbeats)
	}
	c.hbSend, c.hbRecv = time.Duration(cx)*time.Millisecond, time.Duration(cy)*time.Millisecond
	if c.maxFrameSize < 1024 {
		return usageErrorf("--max-frame-size %d is too small: give at least 1024 bytes", c.maxFrameSize)
	}
	if c.receiptTimeout <= 0 || c.connectTimeout <= 0 {
		return usageErrorf("timeouts must be positive")
	}
	if c.sslCA != "" || c.sslCert != "" || c.sslKey != "" || c.sslInsecure {
		c.ssl = true // asking for TLS material means asking for TLS
	}
	if c.ssl {
		if c.tlsConfig, err = c.buildTLS(); err != nil {
			return err
		}
	}
	c.colorOK = !c.noColor && getenv("NO_COLOR") == ""
	return nil
}

func (c *connFlags) buildTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.sslInsecure}
	if c.sslCA != "" {
		pem, err := os.ReadFile(c.sslCA)
		if err != nil {
			return nil, usageErrorf("cannot read --ssl-ca-file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--ssl-ca-file %s holds no PEM certificate", c.sslCA)
		}
		cfg.RootCAs = pool
	}
	if c.sslKey != "" && c.sslCert == "" {
		return nil, usageErrorf("--ssl-key-file needs --ssl-cert-file")
	}
	if c.sslCert != "" {
		key := c.sslKey
		if key == "" {
			key = c.sslCert // stomp.py: the key may be in the cert file
		}
		cert, err := tls.LoadX509KeyPair(c.sslCert, key)
		if err != nil {
			return nil, usageErrorf("cannot load client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func (c *connFlags) endpoint() client.Endpoint {
	return client.Endpoint{Host: c.host, Port: strconv.Itoa(c.portNum), TLS: c.tlsConfig}
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

func (c *connFlags) describe() string {
	return net.JoinHostPort(c.host, strconv.Itoa(c.portNum))
}

// connect opens the connection the flags describe, starting the embedded
// broker first with --embedded. With -V every frame is shown through
// printer. The returned stop closes the embedded broker, if any.
func (c *connFlags) connect(ctx context.Context, printer *commands.Printer, announce bool) (*client.Conn, func(), error) {
	stop := func() {}
	if c.embedded {
		// Quiet: its log lines would land in the middle of the output.
		b, err := broker.Start(broker.Config{HeartBeat: broker.DefaultHeartBeat})
		if err != nil {
			return nil, stop, fmt.Errorf("cannot start the embedded broker: %w", err)
		}
		stop = func() { b.Close() }
		host, port, _ := net.SplitHostPort(b.Addr())
		c.host, c.port = host, port
		c.portNum, _ = strconv.Atoi(port)
		c.tlsConfig = nil
		if announce {
			printer.Print("Connected to the embedded broker on " + b.Addr() + " (in memory, gone when you quit)\n")
		}
	}
	opts := c.clientOptions()
	if c.verbose {
		opts.Trace = func(d client.Direction, f *frame.Frame) {
			if d == client.In && f.Command == frame.MESSAGE {
				return // shown in full when displayed
			}
			var buf bytes.Buffer
			render.Frame(&buf, f, d == client.Out, printer.Theme)
			_, _ = printer.Write(buf.Bytes())
		}
	}
	conn, err := client.Dial(ctx, c.endpoint(), c.connectTimeout, opts)
	if err != nil {
		stop()
		return nil, func() {}, c.connectError(err)
	}
	return conn, stop, nil
}

// connectError words a failed connection as one line with a hint.
func (c *connFlags) connectError(err error) error {
	var be *client.BrokerError
	if errors.As(err, &be) {
		hint := ""
		if c.user == "" {
			hint = " (no login given: try -U and -W)"
		}
		return fmt.Errorf("broker %s refused the connection: %v%s", c.describe(), be, hint)
	}
	return err
}
