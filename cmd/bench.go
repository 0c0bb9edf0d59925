package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/stomp-cli/stomp/internal/bench"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/client"
	"github.com/stomp-cli/stomp/internal/session"
)

// benchOptions are `stomp bench`'s own flags: it does not share the root
// command's, so that its connection flags stay simple.
type benchOptions struct {
	host, port, user, password, vhost, protocol string
	embedded                                    bool
	connectTimeout, idle                        time.Duration
	pub, sub, msgs, size, rate                  int
	ack, destination                            string
	topic, json                                 bool
}

func newBenchCommand(stdio IO) *cobra.Command {
	o := &benchOptions{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure a broker's throughput and latency with publishers and subscribers",
		Long: `bench runs publishers and subscribers, each on its own connection, and reports
the throughput of every client and in total (msg/s, MB/s of bodies) and the
end-to-end latency percentiles of the messages (send to receive, from a
timestamp header), like nats bench.

The publishers share --msgs between them. On a queue the subscribers share the
messages too; on a topic (--topic, or a /topic/ destination) each subscriber
receives every message. Subscribers alone (--pub 0) drain --msgs messages
already in a queue. With --ack client the subscribers ack cumulatively every
100 messages; with client-individual they ack each one.

Progress is shown on standard error while it runs (a bar on a terminal); --json
prints the result as JSON on standard output.`,
		Example: `  stomp bench --embedded
  stomp bench -H 127.0.0.1 -U guest -W guest --pub 2 --sub 2 --msgs 200000
  stomp bench -P 61623 -U admin -W admin --topic --sub 4 --size 1024 --rate 5000
  stomp bench --pub 0 --sub 1 --msgs 100000 --ack client-individual --json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := o.config(c, stdio.Getenv)
			if err != nil {
				return err
			}
			return runBench(c.Context(), o, cfg, stdio)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.StringVarP(&o.host, "host", "H", "localhost", "broker host name or address (or STOMP_HOST)")
	fs.StringVarP(&o.port, "port", "P", "61613", "broker STOMP port (or STOMP_PORT)")
	fs.StringVarP(&o.user, "user", "U", "", "login user name (or STOMP_USER)")
	fs.StringVarP(&o.password, "password", "W", "", "login password (or STOMP_PASSWORD)")
	fs.StringVar(&o.vhost, "vhost", "/", "virtual host sent as the CONNECT host header")
	fs.StringVarP(&o.protocol, "protocol", "S", "", "pin the STOMP version: 1.0, 1.1 or 1.2 (default: the broker's choice)")
	fs.BoolVar(&o.embedded, "embedded", false, "benchmark the embedded broker, started in-process on a free loopback port")
	fs.IntVar(&o.pub, "pub", 1, "number of publishers")
	fs.IntVar(&o.sub, "sub", 1, "number of subscribers")
	fs.IntVar(&o.msgs, "msgs", 100000, "messages to publish in all (split among the publishers)")
	fs.IntVar(&o.size, "size", 128, "message body size in bytes")
	fs.IntVar(&o.rate, "rate", 0, "total publish rate in msg/s (0 = as fast as possible)")
	fs.StringVar(&o.ack, "ack", session.AckAuto, "subscribers' ack mode: auto, client or client-individual")
	fs.StringVar(&o.destination, "destination", "", "destination (default /queue/stomp-bench, or /topic/stomp-bench with --topic)")
	fs.BoolVar(&o.topic, "topic", false, "publish to a topic: every subscriber receives every message")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for each connection and its CONNECTED frame")
	fs.DurationVar(&o.idle, "idle", 10*time.Second, "after publishing, how long subscribers wait for a missing message before giving up")
	return c
}

func (o *benchOptions) config(c *cobra.Command, getenv func(string) string) (bench.Config, error) {
	var cfg bench.Config
	// The root's connection flags that bench does not define itself (TLS,
	// heart-beats, -V, ...) are inherited but unused: say so rather than
	// ignore them.
	var unused error
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if unused == nil && f.Changed && c.LocalFlags().Lookup(f.Name) == nil {
			unused = usageErrorf("--%s does not apply to stomp bench (see stomp bench --help)", f.Name)
		}
	})
	if unused != nil {
		return cfg, unused
	}
	fs := c.Flags()
	if getenv != nil {
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
	if n, err := strconv.Atoi(o.port); err != nil || n < 1 || n > 65535 {
		return cfg, usageErrorf("invalid port %q for -P: give a number from 1 to 65535", o.port)
	}
	var versions []string
	switch o.protocol {
	case "":
	case "1.0", "1.1", "1.2":
		versions = []string{o.protocol}
	default:
		return cfg, usageErrorf("unknown protocol version %q for -S: use 1.0, 1.1 or 1.2", o.protocol)
	}
	if err := checkAckFlag(o.ack); err != nil {
		return cfg, err
	}
	switch {
	case o.pub < 0 || o.sub < 0 || o.msgs < 0 || o.size < 0 || o.rate < 0:
		return cfg, usageErrorf("--pub, --sub, --msgs, --size and --rate must not be negative")
	case o.pub == 0 && o.sub == 0:
		return cfg, usageErrorf("nothing to do: give --pub or --sub")
	case o.msgs == 0:
		return cfg, usageErrorf("nothing to do: --msgs must be at least 1")
	case o.pub > o.msgs:
		return cfg, usageErrorf("--pub %d is more than --msgs %d: every publisher needs a message", o.pub, o.msgs)
	case o.connectTimeout <= 0 || o.idle <= 0:
		return cfg, usageErrorf("--connect-timeout and --idle must be positive")
	}
	if o.topic && o.pub == 0 {
		return cfg, usageErrorf("--topic needs publishers: a topic keeps no messages for --sub alone")
	}
	vhost := o.vhost
	if o.protocol == "1.0" && vhost == "/" {
		vhost = ""
	}
	cfg = bench.Config{
		Endpoint:       client.Endpoint{Host: o.host, Port: o.port},
		Client:         client.Options{Login: o.user, Passcode: o.password, Vhost: vhost, Versions: versions},
		ConnectTimeout: o.connectTimeout,
		Pub:            o.pub, Sub: o.sub, Msgs: o.msgs, Size: o.size, Rate: o.rate,
		Ack: o.ack, Destination: o.destination, Topic: o.topic, Idle: o.idle,
	}
	return cfg, nil
}

func runBench(ctx context.Context, o *benchOptions, cfg bench.Config, stdio IO) error {
	ctx, stop := stopOnSignal(ctx)
	defer stop()
	if o.embedded {
		b, err := broker.Start(broker.Config{})
		if err != nil {
			return fmt.Errorf("cannot start the embedded broker: %w", err)
		}
		defer b.Close()
		host, port, _ := net.SplitHostPort(b.Addr())
		cfg.Endpoint = client.Endpoint{Host: host, Port: port}
	}
	cfg.Progress = &bench.Progress{}
	done := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		showProgress(cfg, stdio.Err, !o.json, done)
	}()
	res, err := bench.Run(ctx, cfg)
	close(done)
	<-progressDone
	if err != nil {
		if stopped := stoppedBy(ctx); stopped != nil && errors.Is(err, context.Canceled) {
			return stopped
		}
		var be *client.BrokerError
		if errors.As(err, &be) {
			return fmt.Errorf("broker %s: %v", cfg.Endpoint.Addr(), be)
		}
		return err
	}
	if o.json {
		return res.WriteJSON(stdio.Out)
	}
	return res.WriteText(stdio.Out)
}

// showProgress updates a progress bar on a terminal, or writes a line every
// few seconds elsewhere (nothing when show is false), until done.
func showProgress(cfg bench.Config, w io.Writer, show bool, done <-chan struct{}) {
	if !show {
		<-done
		return
	}
	sendN, recvN := cfg.Expected()
	p := cfg.Progress
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions64(sendN+recvN,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("bench"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				bar.Describe(fmt.Sprintf("sent %d/%d received %d/%d", p.Sent.Load(), sendN, p.Received.Load(), recvN))
				_ = bar.Set64(p.Sent.Load() + p.Received.Load())
			case <-done:
				_ = bar.Clear()
				return
			}
		}
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			fmt.Fprintf(w, "stomp bench: sent %d/%d, received %d/%d\n", p.Sent.Load(), sendN, p.Received.Load(), recvN)
		case <-done:
			return
		}
	}
}
