package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stomp-cli/stomp/internal/render"
)

// Result is what one run measured. Its JSON form is `stomp bench --json`,
// which `stomp bench report` reads back (ReadResults) and merges (Merge).
type Result struct {
	Label     string    `json:"label"` // names the run in reports
	Config    Summary   `json:"config"`
	Machine   Machine   `json:"machine"`
	Machines  int       `json:"machines,omitempty"` // results merged into this one (0 or 1: one)
	Broker    string    `json:"broker"`             // the CONNECTED frame's server header
	Version   string    `json:"stomp_version"`      // negotiated STOMP version
	Start     time.Time `json:"start"`              // end of the warm-up: measuring began
	End       time.Time `json:"end"`                // when the last client finished
	Sent      int64     `json:"sent"`               // messages the publishers sent, warm-up included
	Published int64     `json:"published"`          // of those, sent after the warm-up
	Expected  int64     `json:"expected"`           // deliveries due to the subscribers, warm-up included
	Received  int64     `json:"received"`           // measured deliveries (after the warm-up)
	Lost      int64     `json:"lost"`               // deliveries due that never came
	Dups      int64     `json:"duplicates"`         // deliveries of a message already received
	Stale     int64     `json:"stale_received"`     // leftovers of earlier runs found in the queue (acked, not counted)
	// Interrupted says the run was stopped early (Ctrl-C): its figures
	// cover what was measured until then.
	Interrupted bool `json:"interrupted,omitempty"`

	Publishers  *Group   `json:"publishers,omitempty"`
	Subscribers *Group   `json:"subscribers,omitempty"`
	Latency     *Latency `json:"latency_us,omitempty"` // end to end, when subscribers received messages
	Series      []Point  `json:"series"`               // one point per second of measuring

	// Histogram is every measured latency in microseconds, in
	// HdrHistogram's compressed base64 form (V2, as the Java and Go
	// libraries write it): `stomp bench report` adds them up exactly.
	Histogram string `json:"histogram,omitempty"`

	hist *hdrhistogram.Histogram
}

// Point is one second of a run: messages sent and received in it and the
// latency of those received (microseconds). The last point of a run
// usually covers less than a second.
type Point struct {
	T        float64 `json:"t"` // seconds since measuring began, at the end of this second
	Sent     int64   `json:"sent"`
	Received int64   `json:"received"`
	P50      int64   `json:"p50_us"`
	P99      int64   `json:"p99_us"`
	Max      int64   `json:"max_us"`
}

// Summary is the configuration a result was measured with.
type Summary struct {
	Addr        string  `json:"addr"`
	Destination string  `json:"destination"`
	Topic       bool    `json:"topic"`
	Ack         string  `json:"ack"`
	Pub         int     `json:"pub"`
	Sub         int     `json:"sub"`
	Msgs        int     `json:"msgs,omitempty"`
	Duration    float64 `json:"duration_s,omitempty"`
	Warmup      float64 `json:"warmup_s,omitempty"`
	Size        int     `json:"size"`
	SizeMax     int     `json:"size_max,omitempty"`
	Rate        int     `json:"rate"`
	Persistent  bool    `json:"persistent,omitempty"`
	TxSize      int     `json:"tx_size,omitempty"`
}

func summary(c Config) Summary {
	s := Summary{Addr: c.Endpoint.Addr(), Destination: c.Destination, Topic: c.Topic, Ack: c.Ack,
		Pub: c.Pub, Sub: c.Sub, Msgs: c.Msgs, Duration: c.Duration.Seconds(), Warmup: c.Warmup.Seconds(),
		Size: c.Size, Rate: c.Rate, Persistent: c.Persistent, TxSize: c.TxSize}
	if c.Msgs > 0 {
		s.Duration = 0
	}
	if c.SizeMax > c.Size {
		s.SizeMax = c.SizeMax
	}
	return s
}

// Stats is the throughput of one client, or of several together.
type Stats struct {
	Name       string  `json:"name"`
	Msgs       int64   `json:"msgs"`
	Bytes      int64   `json:"bytes"` // bodies only
	Seconds    float64 `json:"seconds"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"` // 10^6 bytes of bodies per second
}

func newStats(name string, msgs, bytes int64, d time.Duration) Stats {
	d = max(d, 0) // a run interrupted in the warm-up measured nothing
	s := Stats{Name: name, Msgs: msgs, Bytes: bytes, Seconds: d.Seconds()}
	if d > 0 {
		s.MsgsPerSec = float64(msgs) / d.Seconds()
		s.MBPerSec = float64(bytes) / 1e6 / d.Seconds()
	}
	return s
}

// Group is the publishers' or the subscribers' throughput: all together
// (messages over the span from the start of measuring to the last one's
// end) and each client's, with the spread of the per-client rates.
type Group struct {
	Total   Stats   `json:"total"`
	Clients []Stats `json:"clients"`
	Min     float64 `json:"min_msgs_per_sec"`
	Mean    float64 `json:"mean_msgs_per_sec"`
	Max     float64 `json:"max_msgs_per_sec"`
	StdDev  float64 `json:"stddev_msgs_per_sec"`
}

// Latency summarises end-to-end latencies (intended send to receive), in
// microseconds.
type Latency struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p99_9"`
	Max   int64   `json:"max"`
}

func newGroup(name string, clients []Stats, span time.Duration) *Group {
	g := &Group{Clients: clients}
	var msgs, bytes int64
	for _, c := range clients {
		msgs += c.Msgs
		bytes += c.Bytes
	}
	g.Total = newStats(name, msgs, bytes, span)
	g.spread()
	return g
}

// spread computes the min, mean, max and standard deviation of the
// clients' rates.
func (g *Group) spread() {
	g.Min, g.Max, g.Mean, g.StdDev = math.Inf(1), 0, 0, 0
	for _, c := range g.Clients {
		g.Min = min(g.Min, c.MsgsPerSec)
		g.Max = max(g.Max, c.MsgsPerSec)
		g.Mean += c.MsgsPerSec
	}
	if len(g.Clients) == 0 {
		g.Min = 0
		return
	}
	g.Mean /= float64(len(g.Clients))
	for _, c := range g.Clients {
		g.StdDev += (c.MsgsPerSec - g.Mean) * (c.MsgsPerSec - g.Mean)
	}
	g.StdDev = math.Sqrt(g.StdDev / float64(len(g.Clients)))
}

func (r *Result) collect(st *runState, pubs []*publisher, subs []*subscriber) {
	if len(pubs) > 0 {
		stats := make([]Stats, len(pubs))
		var last time.Time
		for i, p := range pubs {
			stats[i] = newStats(p.name, p.measured, p.bytes, p.last.Sub(st.measureFrom))
			r.Sent += p.sent
			r.Published += p.measured
			if p.last.After(last) {
				last = p.last
			}
		}
		r.Publishers = newGroup("publishers", stats, last.Sub(st.measureFrom))
		r.Expected = r.Sent * st.cfg.copies()
	}
	if len(subs) > 0 {
		stats := make([]Stats, len(subs))
		r.hist = newHist()
		var last time.Time
		var distinct int64
		for i, s := range subs {
			from := st.measureFrom
			if len(pubs) == 0 {
				from = s.first // draining: from the first message
			}
			stats[i] = newStats(s.name, s.msgs, s.bytes, s.last.Sub(from))
			r.Received += s.msgs
			r.Dups += s.dups
			r.Stale += s.stale
			distinct += s.msgs + s.warm
			r.hist.Merge(s.hist)
			if s.last.After(last) {
				last = s.last
			}
		}
		from := st.measureFrom
		if len(pubs) == 0 {
			from = last
			for _, s := range subs {
				if s.msgs > 0 && s.first.Before(from) {
					from = s.first
				}
			}
		}
		r.Subscribers = newGroup("subscribers", stats, last.Sub(from))
		if len(pubs) == 0 && st.cfg.Msgs > 0 {
			r.Expected = int64(st.cfg.Msgs)
		}
		r.Lost = max(r.Expected-distinct, 0)
		r.setHistogram(r.hist)
	}
}

// setHistogram makes h the result's histogram, with its summary and its
// encoded form.
func (r *Result) setHistogram(h *hdrhistogram.Histogram) {
	r.hist, r.Latency, r.Histogram = h, nil, ""
	if h == nil || h.TotalCount() == 0 {
		return
	}
	r.Latency = &Latency{Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), Max: h.Max()}
	if enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
		r.Histogram = string(enc)
	}
}

// WriteText writes the summary table: throughput per client and in total,
// what was lost or duplicated, then latency percentiles.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	kind := "queue"
	if c.Topic {
		kind = "topic"
	}
	amount := "for " + secs(c.Duration)
	if c.Msgs > 0 {
		amount = commas(int64(c.Msgs)) + " messages"
	}
	fmt.Fprintf(&b, "stomp bench: %s, %s, %s of %s to %s (%s, ack %s",
		plural(c.Pub, "publisher"), plural(c.Sub, "subscriber"), amount, c.sizeText(), c.Destination, kind, c.Ack)
	if c.Persistent {
		b.WriteString(", persistent")
	}
	if c.TxSize > 0 {
		fmt.Fprintf(&b, ", transactions of %d", c.TxSize)
	}
	b.WriteString(")")
	if c.Rate > 0 {
		fmt.Fprintf(&b, ", rate %s msg/s", commas(int64(c.Rate)))
	}
	if c.Warmup > 0 {
		fmt.Fprintf(&b, ", warm-up %s", secs(c.Warmup))
	}
	b.WriteString("\n")
	broker := r.Broker
	if broker == "" {
		broker = "broker"
	}
	fmt.Fprintf(&b, "%s at %s, STOMP %s, measured %s", broker, c.Addr, r.Version, r.measured())
	if r.Machines > 1 {
		fmt.Fprintf(&b, ", %d machines merged", r.Machines)
	}
	b.WriteString("\n")
	switch {
	case r.Interrupted && r.End.Before(r.Start):
		b.WriteString("Interrupted in the warm-up, before measuring began\n")
	case r.Interrupted:
		fmt.Fprintf(&b, "Interrupted after %s of measuring: these figures cover only that", r.measured())
		if r.Lost > 0 {
			b.WriteString(" (messages still in flight count as lost)")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")

	group := func(title string, g *Group) {
		if g == nil {
			return
		}
		fmt.Fprintf(&b, "%-13s %s\n", title+":", rate(g.Total))
		for i, s := range g.Clients {
			fmt.Fprintf(&b, "%-14s%s   %s msgs in %s\n", fmt.Sprintf("  [%d]", i+1), rate(s), commas(s.Msgs), secs(s.Seconds))
		}
		if len(g.Clients) > 1 {
			fmt.Fprintf(&b, "  min %s | avg %s | max %s | stddev %s msg/s\n",
				round(g.Min), round(g.Mean), round(g.Max), round(g.StdDev))
		}
	}
	group("Publishers", r.Publishers)
	group("Subscribers", r.Subscribers)
	if r.Subscribers != nil {
		fmt.Fprintf(&b, "\nReceived %s", commas(r.Received))
		if r.Publishers != nil {
			fmt.Fprintf(&b, " (of %s sent", commas(r.Published))
			if warm := r.Sent - r.Published; warm > 0 {
				fmt.Fprintf(&b, ", after %s in the warm-up", commas(warm))
			}
			b.WriteString(")")
		}
		fmt.Fprintf(&b, "; lost %s, duplicated %s", commas(r.Lost), commas(r.Dups))
		if r.Stale > 0 {
			fmt.Fprintf(&b, "; skipped %s left over from earlier runs", commas(r.Stale))
		}
		b.WriteString("\n")
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(&b, "Latency (end to end, %s messages): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
			commas(l.Count), us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max))
	}
	// The broker's server header came from the network, and a result read
	// by stomp bench report from anywhere: neither may drive the terminal.
	_, err := io.WriteString(w, render.Visible(b.String()))
	return err
}

// measured is how long the run measured: none when it was interrupted in
// the warm-up.
func (r *Result) measured() time.Duration {
	return max(r.End.Sub(r.Start), 0).Round(time.Millisecond)
}

func (c Summary) sizeText() string {
	if c.SizeMax > c.Size {
		return size(c.Size) + " to " + size(c.SizeMax)
	}
	return size(c.Size)
}

// WriteCSV writes the per-second series: one line a second.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"second", "sent", "received", "p50_us", "p99_us", "max_us"})
	for _, p := range r.Series {
		_ = cw.Write([]string{strconv.FormatFloat(p.T, 'f', -1, 64), strconv.FormatInt(p.Sent, 10),
			strconv.FormatInt(p.Received, 10), strconv.FormatInt(p.P50, 10), strconv.FormatInt(p.P99, 10), strconv.FormatInt(p.Max, 10)})
	}
	cw.Flush()
	return cw.Error()
}

func rate(s Stats) string {
	return fmt.Sprintf("%11s msg/s %9.2f MB/s", round(s.MsgsPerSec), s.MBPerSec)
}

func round(x float64) string { return commas(int64(math.Round(x))) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

func secs(s float64) string {
	if s == math.Trunc(s) {
		return strconv.Itoa(int(s)) + "s"
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

// us formats microseconds with a unit a reader takes in at a glance.
func us(v int64) string {
	switch {
	case v < 1000:
		return strconv.FormatInt(v, 10) + "µs"
	case v < 1_000_000:
		return strconv.FormatFloat(float64(v)/1e3, 'f', precision(float64(v)/1e3), 64) + "ms"
	default:
		return strconv.FormatFloat(float64(v)/1e6, 'f', precision(float64(v)/1e6), 64) + "s"
	}
}

func precision(x float64) int {
	switch {
	case x < 10:
		return 2
	case x < 100:
		return 1
	}
	return 0
}

// commas writes n with thousands separators: 1,234,567.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
