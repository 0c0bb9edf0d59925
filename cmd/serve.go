package cmd

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/broker"
)

func newServeCommand(stdio IO) *cobra.Command {
	var cfg broker.Config
	cfg.HeartBeat = broker.DefaultHeartBeat
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the embedded STOMP broker in the foreground",
		Long: `serve runs stomp's embedded broker until Ctrl-C: queues (/queue/...), topics
(/topic/...), every ack mode, transactions, receipts and temp queues, in memory.
It is for development and tests, not production: use RabbitMQ or ActiveMQ there.
It listens on loopback unless told otherwise, and any other address needs
--user and --password.`,
		Example: "  stomp serve\n  stomp serve --listen 127.0.0.1:61700",
		Args:    noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			// The client's connection flags are inherited from the root;
			// a broker has no use for them, so say so rather than ignore them.
			var stray []string
			c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
				if f.Changed {
					stray = append(stray, "--"+f.Name)
				}
			})
			if len(stray) > 0 {
				return usageErrorf("stomp serve does not take %s (those are for connecting to a broker; see stomp serve --help)", strings.Join(stray, ", "))
			}
			if (cfg.Login == "") != (cfg.Passcode == "") {
				return usageErrorf("give both --user and --password, or neither")
			}
			if err := broker.CheckListenAddr(cfg.Addr, cfg.Login); err != nil {
				return usageErrorf("%v", err)
			}
			return serve(c.Context(), cfg, stdio.Err)
		},
	}
	fs := c.Flags()
	fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:61613", "address to listen on")
	fs.StringVarP(&cfg.Login, "user", "U", "", "login clients must give (required off loopback)")
	fs.StringVarP(&cfg.Passcode, "password", "W", "", "password clients must give")
	fs.IntVar(&cfg.MaxFrameSize, "max-frame-size", 8<<20, "largest frame accepted, in bytes")
	fs.DurationVar(&cfg.HeartBeat, "heartbeat", broker.DefaultHeartBeat, "heart-beat interval the broker offers (0 disables)")
	return c
}

func serve(ctx context.Context, cfg broker.Config, logTo io.Writer) error {
	logger := log.New(logTo, "", log.LstdFlags)
	cfg.Logf = logger.Printf
	b, err := broker.Start(cfg)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	}
	logger.Printf("stomp %s embedded broker listening on %s (Ctrl-C to stop)", Version(), b.Addr())
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Printf("stopping")
	return b.Close()
}
