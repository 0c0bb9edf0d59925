package bench

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// SweepResult is a rate sweep: every step run, and the highest rate that
// met the latency bound. Its JSON form is `stomp bench --rate A:B:C --json`.
type SweepResult struct {
	SLO      time.Duration `json:"-"`
	SLOMicro int64         `json:"slo_p99_us"`
	Best     int           `json:"best_rate"` // 0: no rate met it
	Steps    []*Result     `json:"steps"`
}

// Verdict says whether a run met a p99 bound at its rate: nothing lost and
// p99 under the bound. A publisher that cannot keep up with the rate needs
// no rule of its own: its late messages carry the time they were due, so
// the lag is in their latency.
func (r *Result) Verdict(slo time.Duration) (ok bool, why string) {
	switch {
	case r.Latency == nil:
		return false, "no message received"
	case r.Lost > 0:
		return false, fmt.Sprintf("%s lost", commas(r.Lost))
	case time.Duration(r.Latency.P99)*time.Microsecond > slo:
		return false, fmt.Sprintf("p99 %s over %s", us(r.Latency.P99), slo)
	}
	return true, "ok"
}

// Sweep runs cfg at each rate in turn, through run, writing a line per
// step to w, and stops at the first rate that misses the bound: the
// answer is the step before it. Interrupted (ctx ends), it stops and keeps
// the steps done, the interrupted one included.
func Sweep(ctx context.Context, cfg Config, rates []int, slo time.Duration,
	run func(Config) (*Result, error), w io.Writer) (*SweepResult, error) {
	sw := &SweepResult{SLO: slo, SLOMicro: slo.Microseconds()}
	label := cfg.Label
	interrupted := false
	for _, rate := range rates {
		if interrupted = ctx.Err() != nil; interrupted {
			break // between steps: the steps done stand
		}
		c := cfg
		c.Rate = rate
		c.Label = fmt.Sprintf("%s msg/s", commas(int64(rate)))
		if label != "" {
			c.Label = label + " " + c.Label
		}
		r, err := run(c)
		if interrupted = err != nil && ctx.Err() != nil && len(sw.Steps) > 0; interrupted {
			break // while connecting a step: the steps done stand
		}
		if err != nil {
			return nil, err
		}
		sw.Steps = append(sw.Steps, r)
		ok, why := r.Verdict(slo)
		if interrupted = r.Interrupted; interrupted {
			ok, why = false, "interrupted"
		}
		p99 := "-"
		if r.Latency != nil {
			p99 = us(r.Latency.P99)
		}
		fmt.Fprintf(w, "rate %9s msg/s: published %9s msg/s, received %9s msg/s, p99 %8s, lost %s: %s\n",
			commas(int64(rate)), round(r.Publishers.Total.MsgsPerSec), round(r.Subscribers.Total.MsgsPerSec), p99, commas(r.Lost), why)
		if !ok {
			break
		}
		sw.Best = rate
	}
	switch {
	case interrupted && sw.Best > 0:
		fmt.Fprintf(w, "Interrupted; highest rate with p99 under %s until then: %s msg/s\n", slo, commas(int64(sw.Best)))
	case interrupted:
		fmt.Fprintf(w, "Interrupted before any rate was shown to keep p99 under %s\n", slo)
	case sw.Best > 0:
		fmt.Fprintf(w, "Highest rate with p99 under %s: %s msg/s\n", slo, commas(int64(sw.Best)))
	default:
		fmt.Fprintf(w, "No rate tried kept p99 under %s\n", slo)
	}
	return sw, nil
}

// WriteJSON writes the sweep as one indented JSON object.
func (sw *SweepResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sw)
}

// WriteCSV writes one line per step.
func (sw *SweepResult) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"rate", "published_per_s", "received_per_s", "p50_us", "p99_us", "max_us", "lost", "ok"})
	for _, r := range sw.Steps {
		var p50, p99, mx int64
		if l := r.Latency; l != nil {
			p50, p99, mx = l.P50, l.P99, l.Max
		}
		ok, _ := r.Verdict(sw.SLO)
		_ = cw.Write([]string{strconv.Itoa(r.Config.Rate), strconv.FormatFloat(r.Publishers.Total.MsgsPerSec, 'f', 1, 64),
			strconv.FormatFloat(r.Subscribers.Total.MsgsPerSec, 'f', 1, 64), strconv.FormatInt(p50, 10),
			strconv.FormatInt(p99, 10), strconv.FormatInt(mx, 10), strconv.FormatInt(r.Lost, 10), strconv.FormatBool(ok)})
	}
	cw.Flush()
	return cw.Error()
}
