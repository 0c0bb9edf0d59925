package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/stomp-cli/stomp/internal/doctor"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

func newDoctorCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	var do doctor.CommandOptions
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

With a list of brokers (-H a,b or a failover: URL) each is probed in turn and
gets a report of its own (--json: one object each), so every broker a
connection may fail over to is checked.

Every probe uses its own connections and uniquely named destinations and
consumes what it sent. With -V every probe frame is shown on standard error.
Exit status: 0 when every broker could be reached (whatever it supports), else
that of a failed connection: 75 when unreachable, 77 when the login was
refused (the other brokers are probed all the same).`,
		Example: `  stomp doctor
  stomp doctor -H rabbit.example.com -U guest -W guest
  stomp doctor -H rabbit1:61613,rabbit2:61613
  stomp doctor --json | jq -r '.results[] | "\(.id)\t\(.result)"'`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.conn.resolve(c.Flags()); err != nil {
				return err
			}
			if do.FrameLimit < 0 {
				return exitcode.Usagef("--frame-limit cannot be negative")
			}
			if do.FrameBudget <= 0 {
				return exitcode.Usagef("--frame-budget must be positive, e.g. 5s")
			}
			do.Verbose = o.conn.verbose
			return doctor.Command(c.Context(), o.conn.config(nil, nil), do, stdio)
		},
	}
	c.Flags().BoolVar(&do.JSON, "json", false, "print the report as JSON")
	c.Flags().IntVar(&do.FrameLimit, "frame-limit", 64<<20, "the largest SEND body, in `bytes`, the frame size search tries (0 skips it)")
	c.Flags().DurationVar(&do.FrameBudget, "frame-budget", 5*time.Second, "how long the frame size search may take (a slow link or broker needs more)")
	return c
}
