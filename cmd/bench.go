package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/internal/bench"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// benchOptions are `stomp bench`'s own flags; the connection flags are the
// root's, shared with every mode.
type benchOptions struct {
	pub, sub, msgs, txSize     int
	duration, warmup, idle     time.Duration
	rate, size, ack, dest      string
	label                      string
	slo                        time.Duration
	topic, persistent          bool
	jsonFile, csvFile, reportF string
}

func newBenchCommand(o *options, stdio IO) *cobra.Command {
	b := &benchOptions{}
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
			if err := rejectForeignFlags(c); err != nil {
				return err
			}
			if err := o.conn.resolve(c.Flags(), stdio.Getenv); err != nil {
				return err
			}
			if err := o.out.resolve(); err != nil {
				return err
			}
			cfg, rates, err := b.config()
			if err != nil {
				return err
			}
			return runBench(c.Context(), o, b, cfg, rates, stdio)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.IntVar(&b.pub, "pub", 1, "number of publishers, each on its own connection")
	fs.IntVar(&b.sub, "sub", 1, "number of subscribers, each on its own connection")
	fs.StringVar(&b.rate, "rate", "0", "total publish rate in msg/s, scheduled by time (0 = as fast as possible); FROM:TO:STEP sweeps it")
	fs.DurationVar(&b.slo, "slo", 10*time.Millisecond, "with a rate sweep: the p99 latency a rate must stay under")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "how long to publish after the warm-up (each step of a sweep)")
	fs.IntVar(&b.msgs, "msgs", 0, "publish this many messages in all instead of for --duration (split among the publishers)")
	fs.DurationVar(&b.warmup, "warmup", 0, "publish this long first without measuring (messages still checked)")
	fs.StringVar(&b.size, "size", "128", "body size in bytes, or MIN:MAX for sizes drawn uniformly from a range")
	fs.BoolVar(&b.persistent, "persistent", false, "send with persistent:true")
	fs.StringVar(&b.ack, "ack", session.AckAuto, "subscribers' ack mode: auto, client (cumulative, every 100) or client-individual")
	fs.IntVar(&b.txSize, "tx-size", 0, "publishers send in transactions of `N` messages (BEGIN ... COMMIT)")
	fs.StringVar(&b.dest, "destination", "", "destination (default /queue/stomp-bench, or /topic/stomp-bench with --topic)")
	fs.BoolVar(&b.topic, "topic", false, "publish to a topic: every subscriber receives every message")
	fs.DurationVar(&b.idle, "idle", 10*time.Second, "after publishing, how long subscribers wait for a missing message before giving up")
	fs.StringVar(&b.label, "label", "", "name of the run in reports (default: the broker's server header)")
	fs.StringVar(&b.jsonFile, "json", "", "write the result as JSON to `FILE` (- for standard output): configuration, machine, per-second series, HdrHistogram")
	fs.StringVar(&b.csvFile, "csv", "", "write the per-second series as CSV to `FILE` (- for standard output)")
	fs.StringVar(&b.reportF, "report", "", "write a self-contained HTML report with charts to `FILE`")
	c.AddCommand(newBenchReportCommand(stdio))
	c.SetHelpFunc(connectionFlagsHelp)
	return c
}

// connectionFlagSet holds the connection flags alone: the root's flags that
// bench uses.
func connectionFlagSet() *pflag.FlagSet {
	conn := pflag.NewFlagSet("conn", pflag.ContinueOnError)
	(&connFlags{}).register(conn)
	return conn
}

// connectionFlagsHelp shows, of the inherited flags, only the connection
// flags in the help.
func connectionFlagsHelp(c *cobra.Command, args []string) {
	conn := connectionFlagSet()
	var hidden []*pflag.Flag
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Name != "help" && conn.Lookup(f.Name) == nil {
			f.Hidden = true
			hidden = append(hidden, f)
		}
	})
	defer func() {
		for _, f := range hidden {
			f.Hidden = false
		}
	}()
	c.Root().HelpFunc()(c, args)
}

// rejectForeignFlags refuses the root's output and reconnect flags, which
// mean nothing to bench: saying so beats ignoring them.
func rejectForeignFlags(c *cobra.Command) error {
	conn := connectionFlagSet()
	var err error
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if err == nil && f.Changed && conn.Lookup(f.Name) == nil {
			err = usageErrorf("--%s does not apply to stomp %s (see stomp %s --help)", f.Name, c.Name(), c.Name())
		}
	})
	return err
}

// parseRange reads N or MIN:MAX (and, when step is allowed, FROM:TO:STEP).
func parseRange(flag, v string, withStep bool) (lo, hi, step int, err error) {
	example := "100:1000"
	if withStep {
		example = "1000:20000:1000"
	}
	bad := usageErrorf("invalid --%s %q: give a number or a range such as %s", flag, v, example)
	parts := strings.Split(v, ":")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, e := strconv.Atoi(strings.TrimSpace(p))
		if e != nil || n < 0 {
			return 0, 0, 0, bad
		}
		nums[i] = n
	}
	switch {
	case len(nums) == 1:
		return nums[0], nums[0], 0, nil
	case len(nums) == 2 && !withStep:
		lo, hi = nums[0], nums[1]
	case len(nums) == 3 && withStep:
		lo, hi, step = nums[0], nums[1], nums[2]
		if step <= 0 || lo <= 0 {
			return 0, 0, 0, usageErrorf("invalid --%s %q: a sweep needs a start and a step above 0", flag, v)
		}
	default:
		return 0, 0, 0, bad
	}
	if hi < lo {
		return 0, 0, 0, usageErrorf("invalid --%s %q: the range ends below its start", flag, v)
	}
	return lo, hi, step, nil
}

func (b *benchOptions) config() (bench.Config, []int, error) {
	var cfg bench.Config
	if err := checkAckFlag(b.ack); err != nil {
		return cfg, nil, err
	}
	minSize, maxSize, _, err := parseRange("size", b.size, false)
	if err != nil {
		return cfg, nil, err
	}
	lo, hi, step, err := parseRange("rate", b.rate, true)
	if err != nil {
		return cfg, nil, err
	}
	rates := []int{lo}
	if step > 0 {
		rates = rates[:0]
		for r := lo; r <= hi; r += step {
			rates = append(rates, r)
		}
	}
	switch {
	case b.pub < 0 || b.sub < 0 || b.msgs < 0 || b.txSize < 0:
		return cfg, nil, usageErrorf("--pub, --sub, --msgs and --tx-size must not be negative")
	case b.pub == 0 && b.sub == 0:
		return cfg, nil, usageErrorf("nothing to do: give --pub or --sub")
	case b.msgs > 0 && b.pub > b.msgs:
		return cfg, nil, usageErrorf("--pub %d is more than --msgs %d: every publisher needs a message", b.pub, b.msgs)
	case b.duration <= 0 && b.msgs == 0:
		return cfg, nil, usageErrorf("--duration must be positive (or give --msgs)")
	case b.idle <= 0 || b.warmup < 0 || b.slo <= 0:
		return cfg, nil, usageErrorf("--idle and --slo must be positive, --warmup not negative")
	case b.topic && b.pub == 0:
		return cfg, nil, usageErrorf("--topic needs publishers: a topic keeps no messages for --sub alone")
	case len(rates) > 1 && b.pub == 0:
		return cfg, nil, usageErrorf("a rate sweep needs publishers (--pub)")
	case len(rates) > 1 && b.sub == 0:
		return cfg, nil, usageErrorf("a rate sweep measures latency: it needs subscribers (--sub)")
	case b.txSize > 0 && b.pub == 0:
		return cfg, nil, usageErrorf("--tx-size applies to publishers: add --pub")
	}
	if b.jsonFile == "-" && b.csvFile == "-" {
		return cfg, nil, usageErrorf("--json - and --csv - both want standard output: give one of them a file")
	}
	cfg = bench.Config{
		Pub: b.pub, Sub: b.sub, Msgs: b.msgs, Duration: b.duration, Warmup: b.warmup,
		Rate: rates[0], Size: minSize, SizeMax: maxSize, Persistent: b.persistent, TxSize: b.txSize,
		Ack: b.ack, Destination: b.dest, Topic: b.topic, Idle: b.idle, Label: b.label,
	}
	if b.msgs > 0 {
		cfg.Duration = 0
	}
	return cfg, rates, nil
}

func runBench(ctx context.Context, o *options, b *benchOptions, cfg bench.Config, rates []int, stdio IO) error {
	ctx, stop := stopOnSignal(ctx)
	defer stop()
	stopBroker, err := o.conn.startEmbedded()
	if err != nil {
		return err
	}
	defer stopBroker()
	printer := newPrinter(o.conn, o.out, stdio)
	cfg.Endpoint = o.conn.endpoint()
	cfg.ConnectTimeout = o.conn.connectTimeout
	cfg.Dial = func(ctx context.Context) (*client.Conn, error) {
		conn, _, err := o.conn.connect(ctx, printer, false)
		return conn, err
	}
	live := liveWriter(stdio.Err)
	var results []*bench.Result
	if len(rates) == 1 {
		res, err := runOnce(ctx, cfg, live)
		if err != nil {
			return benchError(ctx, o.conn, err)
		}
		results = append(results, res)
		if b.jsonFile != "-" && b.csvFile != "-" {
			if err := res.WriteText(stdio.Out); err != nil {
				return err
			}
		}
		if err := writeOutput(b.jsonFile, stdio.Out, res.WriteJSON); err != nil {
			return err
		}
		if err := writeOutput(b.csvFile, stdio.Out, res.WriteCSV); err != nil {
			return err
		}
	} else {
		var text io.Writer = stdio.Out
		if b.jsonFile == "-" || b.csvFile == "-" {
			text = io.Discard
		}
		sw, err := bench.Sweep(ctx, cfg, rates, b.slo, func(cfg bench.Config) (*bench.Result, error) {
			return runOnce(ctx, cfg, live)
		}, text)
		if err != nil {
			return benchError(ctx, o.conn, err)
		}
		results = sw.Steps
		if err := writeOutput(b.jsonFile, stdio.Out, sw.WriteJSON); err != nil {
			return err
		}
		if err := writeOutput(b.csvFile, stdio.Out, sw.WriteCSV); err != nil {
			return err
		}
	}
	if b.reportF != "" {
		return writeOutput(b.reportF, stdio.Out, func(w io.Writer) error {
			return bench.WriteHTML(w, "stomp bench: "+results[0].Label, results)
		})
	}
	return nil
}

// runOnce runs one benchmark, with the live line when live is set.
func runOnce(ctx context.Context, cfg bench.Config, live func(*bench.Live, <-chan struct{})) (*bench.Result, error) {
	done := make(chan struct{})
	liveDone := make(chan struct{})
	if live != nil {
		cfg.Live = &bench.Live{}
		go func() { defer close(liveDone); live(cfg.Live, done) }()
	} else {
		close(liveDone)
	}
	res, err := bench.Run(ctx, cfg)
	close(done)
	<-liveDone
	return res, err
}

func benchError(ctx context.Context, conn *connFlags, err error) error {
	if stopped := stoppedBy(ctx); stopped != nil && errors.Is(err, context.Canceled) {
		return stopped
	}
	var be *client.BrokerError
	if errors.As(err, &be) {
		return fmt.Errorf("broker %s: %v", conn.describe(), be)
	}
	return conn.connectError(err)
}

// writeOutput writes through write to path: - is stdout, "" nothing.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	switch path {
	case "":
		return nil
	case "-":
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// liveWriter returns what shows the live line on w, or nil when w is not a
// terminal: a line rewritten every second with the last second's rates and
// p99, erased at the end.
func liveWriter(w io.Writer) func(*bench.Live, <-chan struct{}) {
	if !isTerminal(w) {
		return nil
	}
	return func(l *bench.Live, done <-chan struct{}) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(w, "\r\033[K%s", liveLine(l, time.Since(start)))
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			}
		}
	}
}

// liveLine is the live line's text.
func liveLine(l *bench.Live, elapsed time.Duration) string {
	s := fmt.Sprintf("stomp bench %s: %d sent, %d received", elapsed.Round(time.Second), l.Sent.Load(), l.Received.Load())
	if p := l.Last.Load(); p != nil {
		s += fmt.Sprintf("; last second %d msg/s out, %d msg/s in, p99 %s", p.Sent, p.Received, (time.Duration(p.P99) * time.Microsecond).String())
	} else {
		s += " (warming up)"
	}
	return s
}

func newBenchReportCommand(stdio IO) *cobra.Command {
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
				return usageErrorf("give the JSON results to draw (written by stomp bench --json FILE)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := rejectForeignFlags(c); err != nil {
				return err
			}
			var order []string
			byLabel := map[string][]*bench.Result{}
			for _, path := range args {
				rs, err := bench.ReadResults(path)
				if err != nil {
					return usageErrorf("%v", err)
				}
				for _, r := range rs {
					if r.Label == "" {
						r.Label = path
					}
					if byLabel[r.Label] == nil {
						order = append(order, r.Label)
					}
					byLabel[r.Label] = append(byLabel[r.Label], r)
				}
			}
			var runs []*bench.Result
			for _, label := range order {
				m, err := bench.Merge(byLabel[label])
				if err != nil {
					return err
				}
				runs = append(runs, m)
				if out != "-" {
					if err := m.WriteText(stdio.Out); err != nil {
						return err
					}
					fmt.Fprintln(stdio.Out)
				}
			}
			if title == "" {
				title = "stomp bench: " + strings.Join(order, " vs ")
			}
			return writeOutput(out, stdio.Out, func(w io.Writer) error { return bench.WriteHTML(w, title, runs) })
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the HTML report to `FILE` (- for standard output)")
	c.Flags().StringVar(&title, "title", "", "the report's title (default: the runs' labels)")
	return c
}
