package cmd

import (
	"crypto/tls"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

func newServeCommand(stdio *iostreams.IOStreams) *cobra.Command {
	var cfg broker.Config
	var certFile, keyFile string
	cfg.HeartBeat = broker.DefaultHeartBeat
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the embedded STOMP broker in the foreground",
		Long: `serve runs stomp's embedded broker until Ctrl-C: queues (/queue/...), topics
(/topic/...), every ack mode, transactions, receipts and temp queues, in memory.
It is for development and tests, not production: use RabbitMQ or ActiveMQ there.
It listens on loopback unless told otherwise, and any other address needs
--user and --password.

--listen repeats, and its scheme picks the transport: HOST:PORT or
tcp://HOST:PORT for STOMP over TCP, ws://HOST:PORT/PATH for STOMP over
WebSocket (subprotocols v10.stomp, v11.stomp, v12.stomp, one frame per
message, as RabbitMQ's web-stomp; no PATH means /ws), ssl://HOST:PORT and
wss://HOST:PORT/PATH for the same over TLS with --ssl-cert-file and
--ssl-key-file. Without a login, WebSockets are accepted only from pages
served on localhost (a browser lets any web site try 127.0.0.1).

A message whose delivery failed more than --max-redeliveries times (NACKed,
or its consumer disconnected without ACK) moves to its dead-letter queue,
/queue/DLQ.<name> for /queue/<name>, with original-destination and
dead-letter-reason headers added; read it like any queue.`,
		Example: "  stomp serve\n  stomp serve --listen 127.0.0.1:61700\n  stomp serve --listen 127.0.0.1:61613 --listen ws://127.0.0.1:15674/ws\n  stomp serve --listen ssl://127.0.0.1:61614 --ssl-cert-file server.pem --ssl-key-file server.key",
		Args:    noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if (cfg.Login == "") != (cfg.Passcode == "") {
				return exitcode.Usagef("give both --user and --password, or neither")
			}
			needTLS := false
			for _, spec := range cfg.Listen {
				if err := broker.CheckListen(spec, cfg.Login); err != nil {
					return exitcode.Usagef("%v", err)
				}
				needTLS = needTLS || strings.HasPrefix(spec, "ssl://") || strings.HasPrefix(spec, "wss://")
			}
			switch {
			case (certFile == "") != (keyFile == ""):
				return exitcode.Usagef("give both --ssl-cert-file and --ssl-key-file, or neither")
			case needTLS && certFile == "":
				return exitcode.Usagef("an ssl:// or wss:// listener needs --ssl-cert-file and --ssl-key-file")
			case certFile != "":
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return exitcode.Usagef("cannot load the TLS certificate and key: %v", err)
				}
				cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			if cfg.MaxConnections < 1 {
				return exitcode.Usagef("--max-connections must be at least 1")
			}
			if cfg.MaxRedeliveries == 0 || cfg.MaxRedeliveries < -1 {
				return exitcode.Usagef("--max-redeliveries must be 1 or more, or -1 for no limit")
			}
			if cfg.MaxHeldBytes < 1<<20 {
				return exitcode.Usagef("--max-held-bytes must be at least 1 MiB (1048576)")
			}
			// Ctrl-C or SIGTERM ends the context (see internal/signals).
			return broker.Serve(c.Context(), cfg, stdio.Err, "stomp "+Version())
		},
	}
	fs := c.Flags()
	fs.StringArrayVar(&cfg.Listen, "listen", []string{"127.0.0.1:61613"}, "where to listen: `ADDR` as HOST:PORT, tcp://, ssl://, ws://HOST:PORT/PATH or wss:// (repeatable)")
	fs.StringVar(&certFile, "ssl-cert-file", "", "PEM certificate (chain) for ssl:// and wss:// listeners")
	fs.StringVar(&keyFile, "ssl-key-file", "", "PEM private key of --ssl-cert-file")
	fs.IntVar(&cfg.MaxConnections, "max-connections", broker.DefaultMaxConnections, "most connections open at once; more get an ERROR")
	fs.IntVar(&cfg.MaxRedeliveries, "max-redeliveries", broker.DefaultMaxRedeliveries, "failed deliveries (NACK, consumer gone without ACK) before a message moves to /queue/DLQ.<name>; -1 = no limit")
	fs.Int64Var(&cfg.MaxHeldBytes, "max-held-bytes", broker.DefaultMaxHeldBytes, "bytes of messages held in memory (queued, unacked, in transactions) before publishers must wait")
	fs.StringVarP(&cfg.Login, "user", "U", "", "login clients must give (required off loopback)")
	fs.StringVarP(&cfg.Passcode, "password", "W", "", "password clients must give")
	fs.IntVar(&cfg.MaxFrameSize, "max-frame-size", 8<<20, "largest frame accepted, in bytes")
	fs.DurationVar(&cfg.HeartBeat, "heartbeat", broker.DefaultHeartBeat, "heart-beat interval the broker offers (0 disables)")
	return c
}
