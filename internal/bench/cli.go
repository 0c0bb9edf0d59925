package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// The `stomp bench` and `stomp bench report` front-end: the command's own
// flags checked and turned into a Config, one run or a rate sweep with its
// live line, and the text, JSON, CSV and HTML outputs. cmd/bench.go
// registers the flags and supplies the connection config.

// Flags are stomp bench's own flags, as given.
type Flags struct {
	Pub, Sub, Msgs, TxSize int
	Duration, Warmup, Idle time.Duration
	Rate, Size, Ack        string
	Destination, Label     string
	SLO                    time.Duration
	SLOGiven               bool // --slo was on the command line: only a sweep uses it
	DurationGiven          bool // --duration was on the command line: --msgs replaces it
	Topic, Persistent      bool
	JSON, CSV, Report      string // files to write; - is standard output
}

// parseRange reads N or MIN:MAX (and, when step is allowed, FROM:TO:STEP).
func parseRange(flag, v string, withStep bool) (lo, hi, step int, err error) {
	example := "100:1000"
	if withStep {
		example = "1000:20000:1000"
	}
	bad := exitcode.Usagef("invalid --%s %q: give a number or a range such as %s", flag, v, example)
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
			return 0, 0, 0, exitcode.Usagef("invalid --%s %q: a sweep needs a start and a step above 0", flag, v)
		}
	default:
		return 0, 0, 0, bad
	}
	if hi < lo {
		return 0, 0, 0, exitcode.Usagef("invalid --%s %q: the range ends below its start", flag, v)
	}
	return lo, hi, step, nil
}

// Config checks the flags and returns the run's configuration (without its
// connection) and the rates to run it at: one, or the steps of a sweep.
// Every mistake is a usage error.
func (b *Flags) Config() (Config, []int, error) {
	var cfg Config
	minSize, maxSize, _, err := parseRange("size", b.Size, false)
	if err != nil {
		return cfg, nil, err
	}
	lo, hi, step, err := parseRange("rate", b.Rate, true)
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
	sweep := b.sweep()
	switch {
	case b.Pub < 0 || b.Sub < 0 || b.Msgs < 0 || b.TxSize < 0:
		return cfg, nil, exitcode.Usagef("--pub, --sub, --msgs and --tx-size must not be negative")
	case b.Pub == 0 && b.Sub == 0:
		return cfg, nil, exitcode.Usagef("nothing to do: give --pub or --sub")
	case b.Msgs > 0 && b.Pub > b.Msgs:
		return cfg, nil, exitcode.Usagef("--pub %d is more than --msgs %d: every publisher needs a message", b.Pub, b.Msgs)
	case b.DurationGiven && b.Msgs > 0:
		return cfg, nil, exitcode.Usagef("give --duration or --msgs, not both")
	case b.Duration <= 0 && b.Msgs == 0:
		return cfg, nil, exitcode.Usagef("--duration must be positive (or give --msgs)")
	case b.Idle <= 0 || b.Warmup < 0 || b.SLO <= 0:
		return cfg, nil, exitcode.Usagef("--idle and --slo must be positive, --warmup not negative")
	case b.Topic && b.Pub == 0:
		return cfg, nil, exitcode.Usagef("--topic needs publishers: a topic keeps no messages for --sub alone")
	case b.SLOGiven && !sweep:
		return cfg, nil, exitcode.Usagef("--slo bounds a rate sweep: give --rate FROM:TO:STEP too")
	case sweep && b.Pub == 0:
		return cfg, nil, exitcode.Usagef("a rate sweep needs publishers (--pub)")
	case sweep && b.Sub == 0:
		return cfg, nil, exitcode.Usagef("a rate sweep measures latency: it needs subscribers (--sub)")
	case b.Topic && strings.HasPrefix(b.Destination, "/queue/"):
		return cfg, nil, exitcode.Usagef("--topic with a /queue/ destination: a queue's subscribers share its messages (give a /topic/ destination, or drop --topic)")
	}
	if b.Pub == 0 {
		// What only publishers do would be ignored: say so.
		for _, o := range []struct {
			flag  string
			given bool
		}{{"--rate", lo > 0}, {"--warmup", b.Warmup > 0}, {"--persistent", b.Persistent}, {"--tx-size", b.TxSize > 0}} {
			if o.given {
				return cfg, nil, exitcode.Usagef("%s applies to publishers: add --pub", o.flag)
			}
		}
	}
	var toStdout []string
	for _, o := range [][2]string{{"--json", b.JSON}, {"--csv", b.CSV}, {"--report", b.Report}} {
		if o[1] == "-" {
			toStdout = append(toStdout, o[0]+" -")
		}
	}
	if len(toStdout) > 1 {
		return cfg, nil, exitcode.Usagef("only one of %s can go to standard output: give the others a file", strings.Join(toStdout, " and "))
	}
	for _, o := range [][2]string{{"--json", b.JSON}, {"--csv", b.CSV}, {"--report", b.Report}} {
		if err := checkWritable(o[0], o[1]); err != nil {
			return cfg, nil, err
		}
	}
	cfg = Config{
		Pub: b.Pub, Sub: b.Sub, Msgs: b.Msgs, Duration: b.Duration, Warmup: b.Warmup,
		Rate: rates[0], Size: minSize, SizeMax: maxSize, Persistent: b.Persistent, TxSize: b.TxSize,
		Ack: b.Ack, Destination: b.Destination, Topic: b.Topic, Idle: b.Idle, Label: b.Label,
	}
	if b.Msgs > 0 {
		cfg.Duration = 0
	}
	return cfg, rates, nil
}

// Command runs stomp bench: it starts the embedded broker if conn asks for
// it, connects cfg (from Config) to conn's first broker, runs it and words
// what went wrong as every command does (a signal's stop, the broker's
// ERROR with its address, no password shown). A run interrupted by a
// signal still writes what it measured, then fails with the signal's code.
func Command(ctx context.Context, conn connect.Config, cfg Config, rates []int, b *Flags, stdio *iostreams.IOStreams) error {
	cc, stopBroker, err := conn.Start()
	if err != nil {
		return err
	}
	defer stopBroker()
	cfg.Endpoint = cc.Brokers[0]
	cfg.ConnectTimeout = cc.ConnectTimeout
	cfg.Dial = func(ctx context.Context) (*client.Conn, error) { return session.Dial(ctx, cc) }
	var live io.Writer
	if stdio.IsStderrTTY() {
		live = stdio.Err
	}
	err = runAndWrite(ctx, cfg, rates, b, stdio.Out, live)
	stopped := exitcode.StoppedBy(ctx)
	if err == nil || stopped != nil && errors.Is(err, context.Canceled) {
		// Interrupted: what was measured is written all the same (Run),
		// and the exit code still says the run was stopped.
		return stopped
	}
	var be *client.BrokerError
	if errors.As(err, &be) {
		err = fmt.Errorf("broker %s: %v", cc.Describe(), be)
	}
	return cc.Redact(err)
}

// sweep says whether --rate asks for a sweep (FROM:TO:STEP), even one of
// a single step.
func (b *Flags) sweep() bool { return strings.Count(b.Rate, ":") == 2 }

// toStdout says whether an output (--json, --csv or --report) goes to
// standard output, which the summary then leaves to it.
func (b *Flags) toStdout() bool { return b.JSON == "-" || b.CSV == "-" || b.Report == "-" }

// runAndWrite runs cfg (with its connection) once, or once at each of
// rates when --rate asks for a sweep, and writes what the flags ask for. The
// summary goes to stdout unless an output took it. live, when set (a
// terminal), shows the live line.
func runAndWrite(ctx context.Context, cfg Config, rates []int, b *Flags, stdout, live io.Writer) error {
	var results []*Result
	if !b.sweep() {
		res, err := runOnce(ctx, cfg, live)
		if err != nil {
			return err
		}
		results = append(results, res)
		if !b.toStdout() {
			if err := res.WriteText(stdout); err != nil {
				return err
			}
		}
		if err := writeOutput(b.JSON, stdout, res.WriteJSON); err != nil {
			return err
		}
		if err := writeOutput(b.CSV, stdout, res.WriteCSV); err != nil {
			return err
		}
	} else {
		text := stdout
		if b.toStdout() {
			text = io.Discard
		}
		sw, err := Sweep(ctx, cfg, rates, b.SLO, func(cfg Config) (*Result, error) {
			return runOnce(ctx, cfg, live)
		}, text)
		if err != nil {
			return err
		}
		results = sw.Steps
		if err := writeOutput(b.JSON, stdout, sw.WriteJSON); err != nil {
			return err
		}
		if err := writeOutput(b.CSV, stdout, sw.WriteCSV); err != nil {
			return err
		}
	}
	if b.Report != "" && len(results) > 0 { // none: a sweep interrupted at its start
		return writeOutput(b.Report, stdout, func(w io.Writer) error {
			return WriteHTML(w, "stomp bench: "+results[0].Label, results)
		})
	}
	return nil
}

// runOnce runs one benchmark, with the live line on live when it is set.
func runOnce(ctx context.Context, cfg Config, live io.Writer) (*Result, error) {
	done := make(chan struct{})
	liveDone := make(chan struct{})
	if live != nil {
		cfg.Live = &Live{}
		go func() { defer close(liveDone); showLive(live, cfg.Live, done) }()
	} else {
		close(liveDone)
	}
	res, err := Run(ctx, cfg)
	close(done)
	<-liveDone
	return res, err
}

// showLive rewrites the live line on w every second with the last second's
// rates and p99, and erases it when done is closed.
func showLive(w io.Writer, l *Live, done <-chan struct{}) {
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

// liveLine is the live line's text.
func liveLine(l *Live, elapsed time.Duration) string {
	s := fmt.Sprintf("stomp bench %s: %d sent, %d received", elapsed.Round(time.Second), l.Sent.Load(), l.Received.Load())
	if p := l.Last.Load(); p != nil {
		s += fmt.Sprintf("; last second %d msg/s out, %d msg/s in, p99 %s", p.Sent, p.Received, (time.Duration(p.P99) * time.Microsecond).String())
	} else {
		s += " (warming up)"
	}
	return s
}

// ReportCommand runs stomp bench report: it reads the JSON results at
// paths, adds up those with the same label (one run measured on several
// machines), prints each run's summary unless the HTML goes to standard
// output, and writes the HTML page to out (- for standard output, "" none).
func ReportCommand(paths []string, out, title string, stdout io.Writer) error {
	if err := checkWritable("-o", out); err != nil {
		return err
	}
	var order []string
	byLabel := map[string][]*Result{}
	for _, path := range paths {
		rs, err := ReadResults(path)
		if err != nil {
			return exitcode.Usagef("%v", err)
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
	var runs []*Result
	for _, label := range order {
		m, err := Merge(byLabel[label])
		if err != nil {
			return err
		}
		runs = append(runs, m)
		if out != "-" {
			if err := m.WriteText(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
	}
	if title == "" {
		title = "stomp bench: " + strings.Join(order, " vs ")
	}
	return writeOutput(out, stdout, func(w io.Writer) error { return WriteHTML(w, title, runs) })
}

// checkWritable says at once, before a run that may take minutes, that
// the file an output flag names cannot be written (no such directory, no
// permission): a usage error naming the flag. It leaves the file as it
// found it: an existing one untouched, a new one not created.
func checkWritable(flag, path string) error {
	if path == "" || path == "-" {
		return nil
	}
	fi, statErr := os.Stat(path)
	if statErr == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil // a pipe or a device: opening it now would be noticed
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return exitcode.Usagef("cannot write %s %s: %v", flag, path, err)
	}
	f.Close()
	if statErr != nil {
		os.Remove(path)
	}
	return nil
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
