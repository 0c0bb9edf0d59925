package cmd

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/bench"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func newBenchCommand(o *options, stdio *iostreams.IOStreams) *cobra.Command {
	b := &bench.Flags{}
	c := &cobra.Command{
		Use:   "bench [URL]",
		Short: "Measure a broker's throughput and latency with publishers and subscribers",
		Long: `bench runs publishers and subscribers, each on its own connection, and reports
the throughput of every client and in total (msg/s, MB/s of bodies), the
messages lost or duplicated, and the end-to-end latency percentiles.

With --rate the publishers send on a fixed schedule (open loop, as wrk2 does)
and latency is measured from each message's intended send time, so a broker
that makes the publishers wait shows it in the latency (coordinated omission
corrected). Without --rate they send as fast as they can, and latency is
mostly time spent queued. Every message carries a timestamp and a sequence
number; every arrival is checked.

The run lasts --duration (after --warmup, whose messages are checked but not
measured), or until --msgs messages are published. On a queue the subscribers
share the messages; on a topic (--topic, or a /topic/ destination) each
subscriber receives every message. Subscribers alone (--pub 0) drain a queue.

Ctrl-C stops a run early: publishing stops, and what was measured until then
is printed and written (--json, --csv, --report) all the same, marked as
interrupted; the exit code is still 130. A second Ctrl-C ends at once.

--rate FROM:TO:STEP sweeps the rate and reports the highest at which p99
latency stays under --slo. While it runs, a line on standard error (on a
terminal) shows the current rates and p99. --json FILE keeps everything (the
configuration, the machine, per-second series and the full HdrHistogram),
--csv FILE the per-second series, --report FILE.html draws the run; "stomp
bench report" draws several JSON results side by side, and adds up those of
several machines.

The connection flags are stomp's own: URLs, --context, TLS, WebSocket,
failover and --embedded.`,
		Example: `  stomp bench --embedded
  stomp bench stomp://guest:guest@127.0.0.1 --pub 2 --sub 2 --rate 5000 --duration 30s --warmup 5s
  stomp bench -P 61623 -U admin -W admin --topic --sub 4 --size 100:1000 --report run.html
  stomp bench --context prod --rate 1000:20000:1000 --slo 10ms --json sweep.json
  stomp bench --pub 0 --sub 1 --msgs 100000 --ack client-individual`,
		Args: o.conn.args,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.conn.resolve(c.Flags()); err != nil {
				return err
			}
			if err := o.out.resolve(); err != nil {
				return err
			}
			if err := checkAckFlag(b.Ack); err != nil {
				return err
			}
			b.SLOGiven = c.Flags().Changed("slo")
			b.DurationGiven = c.Flags().Changed("duration")
			cfg, rates, err := b.Config()
			if err != nil {
				return err
			}
			printer := o.out.Printer(stdio) // for -V's frames
			return bench.Command(c.Context(), o.conn.config(printer, nil), cfg, rates, b, stdio)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.IntVar(&b.Pub, "pub", 1, "number of publishers, each on its own connection")
	fs.IntVar(&b.Sub, "sub", 1, "number of subscribers, each on its own connection")
	fs.StringVar(&b.Rate, "rate", "0", "total publish rate in msg/s, scheduled by time (0 = as fast as possible); FROM:TO:STEP sweeps it")
	fs.DurationVar(&b.SLO, "slo", 10*time.Millisecond, "with a rate sweep: the p99 latency a rate must stay under")
	fs.DurationVar(&b.Duration, "duration", 10*time.Second, "how long to publish after the warm-up (each step of a sweep)")
	fs.IntVar(&b.Msgs, "msgs", 0, "publish this many messages in all instead of for --duration (split among the publishers)")
	fs.DurationVar(&b.Warmup, "warmup", 0, "publish this long first without measuring (messages still checked)")
	fs.StringVar(&b.Size, "size", "128", "body size in bytes, or MIN:MAX for sizes drawn uniformly from a range")
	fs.BoolVar(&b.Persistent, "persistent", false, "send with persistent:true")
	fs.StringVar(&b.Ack, "ack", session.AckAuto, "subscribers' ack mode: auto, client (cumulative, every 100) or client-individual")
	fs.IntVar(&b.TxSize, "tx-size", 0, "publishers send in transactions of `N` messages (BEGIN ... COMMIT)")
	fs.StringVar(&b.Destination, "destination", "", "destination (default /queue/stomp-bench, or /topic/stomp-bench with --topic)")
	fs.BoolVar(&b.Topic, "topic", false, "publish to a topic: every subscriber receives every message")
	fs.DurationVar(&b.Idle, "idle", 10*time.Second, "after publishing, how long subscribers wait for a missing message before giving up")
	fs.StringVar(&b.Label, "label", "", "name of the run in reports (default: the broker's server header)")
	fs.StringVar(&b.JSON, "json", "", "write the result as JSON to `FILE` (- for standard output): configuration, machine, per-second series, HdrHistogram")
	fs.StringVar(&b.CSV, "csv", "", "write the per-second series as CSV to `FILE` (- for standard output)")
	fs.StringVar(&b.Report, "report", "", "write a self-contained HTML report with charts to `FILE` (- for standard output)")
	c.AddCommand(newBenchReportCommand(stdio))
	return c
}

// connectionFlagSet holds the connection flags alone: the root's flags that
// bench uses.
func connectionFlagSet() *pflag.FlagSet {
	conn := pflag.NewFlagSet("conn", pflag.ContinueOnError)
	(&connFlags{}).register(conn)
	return conn
}

// notConnectionFlags are the root's persistent flags that are not
// connection flags: bench makes its own connections and has no use for them.
func notConnectionFlags(root *cobra.Command) []string {
	conn := connectionFlagSet()
	var names []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if conn.Lookup(f.Name) == nil {
			names = append(names, f.Name)
		}
	})
	return names
}

func newBenchReportCommand(stdio *iostreams.IOStreams) *cobra.Command {
	var out, title string
	c := &cobra.Command{
		Use:   "report RESULT.json...",
		Short: "Draw stomp bench results side by side in one HTML page; add up those of several machines",
		Long: `report reads results written by stomp bench --json and writes one
self-contained HTML page (-o) with throughput and latency over time and the
latency percentile distribution of each run, side by side, and prints each
run's summary.

Results with the same label (stomp bench --label) are one run measured on
several machines at once: report adds them up, message counts and per-second
series summed and HdrHistograms added, so the percentiles are exact. Give
each machine its own destinations (--destination /queue/bench-$(hostname)):
a machine checks the sequence numbers of its own publishers only, and
skips messages from another machine's run as left over.`,
		Example: `  stomp bench report rabbitmq.json activemq.json -o cmp.html
  stomp bench report host1.json host2.json host3.json -o total.html`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.Usagef("give the JSON results to draw (written by stomp bench --json FILE)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return bench.ReportCommand(args, out, title, stdio.Out)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the HTML report to `FILE` (- for standard output)")
	c.Flags().StringVar(&title, "title", "", "the report's title (default: the runs' labels)")
	return c
}
