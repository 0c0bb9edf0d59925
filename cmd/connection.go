package cmd

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/endpoint"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// connFlags say where the broker is and how to talk to it. They are
// persistent flags of the root, so every mode and subcommand has them
// (`stomp -H x send ...` and `stomp send -H x ...` alike). The single
// letters are stomp.py's. connect.Resolve turns them into the connection,
// with the environment and the --context file.
type connFlags struct {
	connect.Flags
	verbose bool
	trace   bool
	noColor bool

	stdio *iostreams.IOStreams // the run's streams: the password prompt, warnings, the environment
	cfg   connect.Config       // set by resolve
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	f := &c.Flags
	fs.SortFlags = false
	fs.StringArrayVarP(&f.Hosts, "host", "H", []string{"localhost"}, "broker `HOST` name or address, or a broker URL (env STOMP_HOST); several (-H a -H b, -H a,b or failover:(tcp://a:61613,tcp://b:61613)) are tried in order, on connect and on reconnect")
	fs.StringVarP(&f.Port, "port", "P", "61613", "broker STOMP port (env STOMP_PORT)")
	fs.StringVarP(&f.User, "user", "U", "", "login user name (env STOMP_USER)")
	fs.StringVarP(&f.Password, "password", "W", "", "login password (env STOMP_PASSWORD); - asks for it on the terminal; never shown in output")
	fs.StringVarP(&f.Protocol, "protocol", "S", "", "pin the STOMP version: 1.0, 1.1 or 1.2 (default: offer all, use the broker's choice)")
	fs.BoolVar(&c.trace, "trace", false, "print every frame sent and received on standard error in wire form (passcode redacted, binary bodies as hex)")
	fs.BoolVarP(&c.verbose, "verbose", "V", false, "show every frame's command and headers, sent and received")
	fs.StringVar(&f.Heartbeats, "heartbeats", "10000,10000", "heart-beats `cx,cy` in milliseconds: how often we send, how often we want to hear from the broker (0,0: none); a silent broker counts as a lost connection")
	fs.BoolVar(&f.SSL, "ssl", false, "connect with TLS, verifying the broker's certificate and host name")
	fs.StringVar(&f.SSLCAFile, "ssl-ca-file", "", "trust the CA certificates in `FILE` (PEM) in addition to the system's")
	fs.StringVar(&f.SSLCertFile, "ssl-cert-file", "", "present the client certificate in `FILE` (PEM)")
	fs.StringVar(&f.SSLKeyFile, "ssl-key-file", "", "private key `FILE` (PEM) for --ssl-cert-file (default: the cert file)")
	fs.BoolVar(&f.SSLInsecure, "ssl-insecure", false, "do not verify the broker's certificate (insecure; for testing only)")
	fs.BoolVar(&f.WS, "ws", false, "STOMP over WebSocket (default port 15674, path /ws: RabbitMQ web-stomp); with --ssl, wss")
	fs.StringVar(&f.Vhost, "vhost", "/", "virtual host sent as the CONNECT host header (RabbitMQ vhost)")
	fs.StringVar(&f.Context, "context", "", "use the connection `NAME` from ~/.config/stomp/config.toml (env STOMP_CONTEXT)")
	fs.DurationVar(&f.ReceiptTimeout, "receipt-timeout", 10*time.Second, "how long to wait for a broker receipt")
	fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 10*time.Second, "how long to wait for the connection and the CONNECTED frame")
	fs.IntVar(&f.MaxFrameSize, "max-frame-size", client.DefaultMaxFrameSize, "largest frame accepted from the broker, in bytes")
	fs.BoolVar(&f.StompFrame, "stomp-frame", false, "open with a STOMP frame instead of CONNECT (1.1+)")
	fs.BoolVar(&f.Embedded, "embedded", false, "start the embedded broker in-process on a free loopback port and connect to it")
	fs.BoolVar(&c.noColor, "no-color", false, "no colours (also: NO_COLOR in the environment)")
}

// args checks the root command's positional arguments: at most one, a
// broker URL.
func (c *connFlags) args(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if len(args) > 1 && endpoint.LooksLikeURL(args[0]) && isSubcommand(cmd, args[1]) {
		// cobra looks for the subcommand in the first word only, so a
		// URL before it leaves the whole line to the root command.
		return exitcode.Usagef("the broker URL before %q is not read: give it with -H, as in stomp -H %s %s ... (see stomp --help)",
			args[1], endpoint.Redact(args[0]), args[1])
	}
	if len(args) > 1 || !endpoint.LooksLikeURL(args[0]) {
		a := args[len(args)-1]
		if len(args) == 1 {
			a = args[0]
		}
		return exitcode.Usagef("unexpected argument %q: stomp takes flags and at most one broker URL, such as stomp://host:61613 or ws://host:15674/ws (see stomp --help)", endpoint.Redact(a))
	}
	c.URL = args[0]
	return nil
}

// isSubcommand says whether name is one of cmd's subcommands (or an alias).
func isSubcommand(cmd *cobra.Command, name string) bool {
	for _, sub := range cmd.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return true
		}
	}
	return false
}

// resolve settles the connection before any is tried (see connect.Resolve):
// fs says which flags were given.
func (c *connFlags) resolve(fs *pflag.FlagSet) error {
	c.Given = map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { c.Given[f.Name] = true })
	cfg, err := connect.Resolve(c.Flags, c.stdio)
	c.cfg = cfg
	return err
}

// config is the resolved connection with the reconnect policy b (nil:
// none). With printer, -V and --trace show every frame through it.
func (c *connFlags) config(printer *commands.Printer, b *session.Backoff) connect.Config {
	cfg := c.cfg
	if printer != nil {
		cfg.Client.Trace = printer.FrameTracer(c.verbose, c.trace)
	}
	cfg.Reconnect = b
	return cfg
}
