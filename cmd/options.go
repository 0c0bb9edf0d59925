package cmd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/session"
)

// options are the root command's flags. The single letters are stomp.py's.
type options struct {
	host, port      string
	user, password  string
	protocol        string
	listen          string
	verbose         bool
	file            string
	heartbeats      string
	ssl             bool
	sslCA           string
	sslCert, sslKey string
	sslInsecure     bool
	vhost           string
	ack             string
	receiptTimeout  time.Duration
	connectTimeout  time.Duration
	maxFrameSize    int
	noColor         bool
	noHistory       bool
	stompFrame      bool
	embedded        bool
	count           int

	// derived by validate
	portNum        int
	versions       []string
	hbSend, hbRecv time.Duration
	tlsConfig      *tls.Config
	colorOK        bool
}

func (o *options) register(fs *pflag.FlagSet) {
	fs.SortFlags = false
	fs.StringVarP(&o.host, "host", "H", "localhost", "broker host name or address")
	fs.StringVarP(&o.port, "port", "P", "61613", "broker STOMP port")
	fs.StringVarP(&o.user, "user", "U", "", "login user name")
	fs.StringVarP(&o.password, "password", "W", "", "login password (passcode); never shown in output")
	fs.StringVarP(&o.protocol, "protocol", "S", "", "pin the STOMP version: 1.0, 1.1 or 1.2 (default: offer all, use the broker's choice)")
	fs.StringVarP(&o.listen, "listen", "L", "", "listen mode: subscribe to `DEST` and print messages until Ctrl-C")
	fs.BoolVarP(&o.verbose, "verbose", "V", false, "show every frame's command and headers, sent and received")
	fs.StringVarP(&o.file, "file", "F", "", "script mode: run the shell commands in `FILE` (- for standard input), then exit")
	fs.StringVar(&o.heartbeats, "heartbeats", "0,0", "heart-beats `cx,cy` in milliseconds: how often we send, how often we want to hear from the broker")
	fs.BoolVar(&o.ssl, "ssl", false, "connect with TLS, verifying the broker's certificate and host name")
	fs.StringVar(&o.sslCA, "ssl-ca-file", "", "trust the CA certificates in `FILE` (PEM) in addition to the system's")
	fs.StringVar(&o.sslCert, "ssl-cert-file", "", "present the client certificate in `FILE` (PEM)")
	fs.StringVar(&o.sslKey, "ssl-key-file", "", "private key `FILE` (PEM) for --ssl-cert-file (default: the cert file)")
	fs.BoolVar(&o.sslInsecure, "ssl-insecure", false, "do not verify the broker's certificate (insecure; for testing only)")
	fs.StringVar(&o.vhost, "vhost", "/", "virtual host sent as the CONNECT host header (RabbitMQ vhost)")
	fs.StringVar(&o.ack, "ack", session.AckAuto, "ack mode for -L: auto, client or client-individual (acks after each message is written)")
	fs.DurationVar(&o.receiptTimeout, "receipt-timeout", 10*time.Second, "how long to wait for a broker receipt")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for the connection and the CONNECTED frame")
	fs.IntVar(&o.maxFrameSize, "max-frame-size", client.DefaultMaxFrameSize, "largest frame accepted from the broker, in bytes")
	fs.BoolVar(&o.stompFrame, "stomp-frame", false, "open with a STOMP frame instead of CONNECT (1.1+)")
	fs.IntVar(&o.count, "count", 0, "with -L: exit after `N` messages (0 = run until Ctrl-C)")
	fs.BoolVar(&o.embedded, "embedded", false, "start the embedded broker in-process on a free loopback port and connect to it")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours (also: NO_COLOR in the environment)")
	fs.BoolVar(&o.noHistory, "no-history", false, "keep no shell history")
}

// fromEnvironment fills connection flags not given on the command line from
// STOMP_HOST, STOMP_PORT, STOMP_USER and STOMP_PASSWORD (the names the Ruby
// stomp gem's stompcat uses): flags win, then the environment, then defaults.
func (o *options) fromEnvironment(fs *pflag.FlagSet, getenv func(string) string) {
	for _, e := range []struct {
		flag, env string
		dst       *string
	}{
		{"host", "STOMP_HOST", &o.host}, {"port", "STOMP_PORT", &o.port},
		{"user", "STOMP_USER", &o.user}, {"password", "STOMP_PASSWORD", &o.password},
	} {
		if v := getenv(e.env); v != "" && !fs.Changed(e.flag) {
			*e.dst = v
		}
	}
}

var heartbeatsRE = regexp.MustCompile(`^([0-9]+),([0-9]+)$`)

// validate checks and derives everything before any connection is tried,
// so a typo costs no network round trip and always exits 2.
func (o *options) validate(fs *pflag.FlagSet, getenv func(string) string) error {
	o.fromEnvironment(fs, getenv)
	n, err := strconv.Atoi(o.port)
	if err != nil || n < 1 || n > 65535 {
		return usageErrorf("invalid port %q for -P: give a number from 1 to 65535", o.port)
	}
	o.portNum = n
	switch o.protocol {
	case "":
	case "1.0", "1.1", "1.2":
		o.versions = []string{o.protocol}
	default:
		return usageErrorf("unknown protocol version %q for -S: use 1.0, 1.1 or 1.2", o.protocol)
	}
	m := heartbeatsRE.FindStringSubmatch(o.heartbeats)
	if m == nil {
		return usageErrorf("invalid --heartbeats %q: expecting cx,cy in milliseconds, e.g. 10000,10000", o.heartbeats)
	}
	cx, err1 := strconv.ParseInt(m[1], 10, 32)
	cy, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return usageErrorf("invalid --heartbeats %q: values too large", o.heartbeats)
	}
	o.hbSend, o.hbRecv = time.Duration(cx)*time.Millisecond, time.Duration(cy)*time.Millisecond
	switch o.ack {
	case session.AckAuto, session.AckClient, session.AckClientIndividual:
	default:
		return usageErrorf("unknown --ack mode %q: use auto, client or client-individual", o.ack)
	}
	if o.count < 0 {
		return usageErrorf("--count must be 0 or more")
	}
	if o.count > 0 && o.listen == "" {
		return usageErrorf("--count only applies to -L (listen mode)")
	}
	if o.listen != "" && o.file != "" {
		return usageErrorf("-L and -F cannot be used together: listen or run a script")
	}
	if o.maxFrameSize < 1024 {
		return usageErrorf("--max-frame-size %d is too small: give at least 1024 bytes", o.maxFrameSize)
	}
	if o.receiptTimeout <= 0 || o.connectTimeout <= 0 {
		return usageErrorf("timeouts must be positive")
	}
	if o.sslCA != "" || o.sslCert != "" || o.sslKey != "" || o.sslInsecure {
		o.ssl = true // asking for TLS material means asking for TLS
	}
	if o.ssl {
		if o.tlsConfig, err = o.buildTLS(); err != nil {
			return err
		}
	}
	o.colorOK = !o.noColor && getenv("NO_COLOR") == ""
	return nil
}

func (o *options) buildTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.sslInsecure}
	if o.sslCA != "" {
		pem, err := os.ReadFile(o.sslCA)
		if err != nil {
			return nil, usageErrorf("cannot read --ssl-ca-file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--ssl-ca-file %s holds no PEM certificate", o.sslCA)
		}
		cfg.RootCAs = pool
	}
	if o.sslKey != "" && o.sslCert == "" {
		return nil, usageErrorf("--ssl-key-file needs --ssl-cert-file")
	}
	if o.sslCert != "" {
		key := o.sslKey
		if key == "" {
			key = o.sslCert // stomp.py: the key may be in the cert file
		}
		cert, err := tls.LoadX509KeyPair(o.sslCert, key)
		if err != nil {
			return nil, usageErrorf("cannot load client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func (o *options) endpoint() client.Endpoint {
	return client.Endpoint{Host: o.host, Port: strconv.Itoa(o.portNum), TLS: o.tlsConfig}
}

func (o *options) clientOptions() client.Options {
	vhost := o.vhost
	if len(o.versions) == 1 && o.versions[0] == "1.0" && vhost == "/" {
		vhost = "" // a 1.0 CONNECT has no host header unless asked for
	}
	return client.Options{
		Login: o.user, Passcode: o.password, Vhost: vhost, Versions: o.versions,
		HeartBeatSend: o.hbSend, HeartBeatRecv: o.hbRecv,
		UseStompFrame: o.stompFrame, MaxFrameSize: o.maxFrameSize,
	}
}

func (o *options) describe() string {
	return fmt.Sprintf("%s:%d", o.host, o.portNum)
}
