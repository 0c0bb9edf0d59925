package cmd

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/doctor"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

func newDoctorCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var (
		asJSON      bool
		frameLimit  int
		frameBudget time.Duration
	)
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Probe the broker and show what it supports",
		Long: `doctor connects and probes the broker, then prints a table of what it does:
the STOMP versions it accepts (each offered alone), the heart-beats it answers
to an offer of 10000,10000, receipts, what NACK does (requeue, dead-letter or
drop), whether ABORT undoes an ACK, browsing (browser:true), selectors, replies
through /temp-queue/ (with or without SUBSCRIBE), which destination prefixes
work and whether they behave as queues or topics, which CONNECT host headers it
accepts, and the largest SEND body it takes (searched up to --frame-limit, for
a few seconds, on a topic nobody listens to).

Every probe uses its own connections and uniquely named destinations and
consumes what it sent. With -V every probe frame is shown on standard error.
Exit status: 0 when the broker could be reached (whatever it supports), 1 when
not.`,
		Example: `  stomp doctor
  stomp doctor -H rabbit.example.com -U guest -W guest
  stomp doctor --json | jq -r '.results[] | "\(.id)\t\(.result)"'`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.conn.resolve(c.Flags()); err != nil {
				return err
			}
			if frameLimit < 0 {
				return exitcode.Usagef("--frame-limit cannot be negative")
			}
			if frameBudget <= 0 {
				return exitcode.Usagef("--frame-budget must be positive, e.g. 5s")
			}
			return runDoctor(c.Context(), o.conn, stdio, asJSON, frameLimit, frameBudget)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.Flags().IntVar(&frameLimit, "frame-limit", 64<<20, "the largest SEND body, in `bytes`, the frame size search tries (0 skips it)")
	c.Flags().DurationVar(&frameBudget, "frame-budget", 5*time.Second, "how long the frame size search may take (a slow link or broker needs more)")
	return c
}

func runDoctor(ctx context.Context, cf *connFlags, stdio *iostreams.IOStreams, asJSON bool, frameLimit int, frameBudget time.Duration) error {
	cc, stop, err := cf.config(nil, nil).Start()
	if err != nil {
		return err
	}
	defer stop()
	cfg := doctor.Config{
		Dial: func(ctx context.Context, opts client.Options) (*client.Conn, error) {
			return client.Dial(ctx, cc.Brokers[0], cc.ConnectTimeout, opts)
		},
		Options:     cc.Client,
		Address:     cc.Describe(),
		Host:        cc.Brokers[0].Host,
		MaxFrame:    frameLimit,
		FrameBudget: frameBudget,
	}
	if frameLimit == 0 {
		cfg.Skip = []string{"max-frame"}
	}
	if cf.verbose {
		theme := render.NewTheme(stdio.ErrColorEnabled())
		var mu sync.Mutex
		cfg.Trace = func(d client.Direction, f *frame.Frame) {
			var buf bytes.Buffer
			render.Frame(&buf, f, d == client.Out, theme)
			mu.Lock()
			defer mu.Unlock()
			_, _ = stdio.Err.Write(buf.Bytes())
		}
	}
	rep, err := doctor.Run(ctx, cfg)
	if err != nil {
		var ce *doctor.ConnectError
		if errors.As(err, &ce) {
			return cc.DialError(ce.Err)
		}
		return err
	}
	if asJSON {
		return rep.WriteJSON(stdio.Out)
	}
	return rep.WriteTable(stdio.Out)
}
