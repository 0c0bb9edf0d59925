package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one run measured. Its JSON form is `stomp bench --json`.
type Result struct {
	Config    Summary   `json:"config"`
	Broker    string    `json:"broker"`         // the CONNECTED frame's server header
	Version   string    `json:"stomp_version"`  // negotiated STOMP version
	Start     time.Time `json:"start"`          // when publishing began
	End       time.Time `json:"end"`            // when the last client finished
	Published int64     `json:"published"`      // messages the publishers sent
	Expected  int64     `json:"expected"`       // messages the subscribers should have received
	Received  int64     `json:"received"`       // messages of this run they did receive
	Missing   int64     `json:"missing"`        // Expected - Received (a topic may drop messages)
	Stale     int64     `json:"stale_received"` // leftovers of earlier runs found in the queue (acked, not counted)

	Publishers  *Group   `json:"publishers,omitempty"`
	Subscribers *Group   `json:"subscribers,omitempty"`
	Total       *Stats   `json:"total,omitempty"`      // publishers and subscribers together, when both ran
	Latency     *Latency `json:"latency_us,omitempty"` // end to end, when subscribers received messages

	hist *hdrhistogram.Histogram
}

// Summary is the configuration a result was measured with.
type Summary struct {
	Addr        string `json:"addr"`
	Destination string `json:"destination"`
	Topic       bool   `json:"topic"`
	Ack         string `json:"ack"`
	Pub         int    `json:"pub"`
	Sub         int    `json:"sub"`
	Msgs        int    `json:"msgs"`
	Size        int    `json:"size"`
	Rate        int    `json:"rate"`
}

func summary(c Config) Summary {
	return Summary{Addr: c.Endpoint.Addr(), Destination: c.Destination, Topic: c.Topic, Ack: c.Ack,
		Pub: c.Pub, Sub: c.Sub, Msgs: c.Msgs, Size: c.Size, Rate: c.Rate}
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
	s := Stats{Name: name, Msgs: msgs, Bytes: bytes, Seconds: d.Seconds()}
	if d > 0 {
		s.MsgsPerSec = float64(msgs) / d.Seconds()
		s.MBPerSec = float64(bytes) / 1e6 / d.Seconds()
	}
	return s
}

// Group is the publishers' or the subscribers' throughput: all together
// (messages over the span from the first one's start to the last one's
// end) and each client's, with the spread of the per-client rates.
type Group struct {
	Total   Stats   `json:"total"`
	Clients []Stats `json:"clients"`
	Min     float64 `json:"min_msgs_per_sec"`
	Mean    float64 `json:"mean_msgs_per_sec"`
	Max     float64 `json:"max_msgs_per_sec"`
	StdDev  float64 `json:"stddev_msgs_per_sec"`
}

// Latency summarises end-to-end latencies (send to receive), in microseconds.
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

// Histogram is the run's latency histogram in microseconds (nil without
// subscribers): for percentiles beyond those in Latency.
func (r *Result) Histogram() *hdrhistogram.Histogram { return r.hist }

func newGroup(name string, clients []Stats, from, to time.Time) *Group {
	g := &Group{Clients: clients, Min: math.Inf(1)}
	var msgs, bytes int64
	for _, c := range clients {
		msgs += c.Msgs
		bytes += c.Bytes
		g.Min = min(g.Min, c.MsgsPerSec)
		g.Max = max(g.Max, c.MsgsPerSec)
		g.Mean += c.MsgsPerSec
	}
	g.Mean /= float64(len(clients))
	for _, c := range clients {
		g.StdDev += (c.MsgsPerSec - g.Mean) * (c.MsgsPerSec - g.Mean)
	}
	g.StdDev = math.Sqrt(g.StdDev / float64(len(clients)))
	g.Total = newStats(name, msgs, bytes, to.Sub(from))
	return g
}

func (r *Result) collect(pubs []*publisher, subs []*subscriber) {
	var from, to time.Time
	span := func(a, b time.Time) {
		if a.IsZero() {
			return
		}
		if from.IsZero() || a.Before(from) {
			from = a
		}
		if b.After(to) {
			to = b
		}
	}
	if len(pubs) > 0 {
		stats := make([]Stats, len(pubs))
		var pf, pt time.Time
		for i, p := range pubs {
			stats[i] = p.stats
			span(p.start, p.end)
			if pf.IsZero() || p.start.Before(pf) {
				pf = p.start
			}
			if p.end.After(pt) {
				pt = p.end
			}
		}
		r.Publishers = newGroup("publishers", stats, pf, pt)
	}
	if len(subs) > 0 {
		stats := make([]Stats, len(subs))
		r.hist = hdrhistogram.New(histMin, histMax, histDigits)
		var sf, st time.Time
		for i, s := range subs {
			stats[i] = newStats(s.name, s.msgs, s.bytes, s.last.Sub(s.first))
			r.Received += s.msgs
			r.Stale += s.stale
			r.hist.Merge(s.hist)
			if s.msgs == 0 {
				continue
			}
			span(s.first, s.last)
			if sf.IsZero() || s.first.Before(sf) {
				sf = s.first
			}
			if s.last.After(st) {
				st = s.last
			}
		}
		// Subscribers' aggregate: from the start of publishing (or the
		// first message, when nobody published) to the last message.
		if len(pubs) > 0 && !sf.IsZero() {
			sf = r.Start
		}
		r.Subscribers = newGroup("subscribers", stats, sf, st)
		r.Missing = r.Expected - r.Received
		if r.hist.TotalCount() > 0 {
			h := r.hist
			r.Latency = &Latency{Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(),
				P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
				P999: h.ValueAtQuantile(99.9), Max: h.Max()}
		}
	}
	if len(pubs) > 0 && len(subs) > 0 {
		t := newStats("total", r.Publishers.Total.Msgs+r.Subscribers.Total.Msgs,
			r.Publishers.Total.Bytes+r.Subscribers.Total.Bytes, to.Sub(from))
		r.Total = &t
	}
}

// WriteJSON writes r as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the human report: throughput per client and in total,
// then latency percentiles.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	kind := "queue"
	if c.Topic {
		kind = "topic"
	}
	fmt.Fprintf(&b, "stomp bench: %s, %s, %s messages of %s to %s (%s, ack %s)",
		plural(c.Pub, "publisher"), plural(c.Sub, "subscriber"), commas(int64(c.Msgs)), size(c.Size), c.Destination, kind, c.Ack)
	if c.Rate > 0 {
		fmt.Fprintf(&b, ", rate %s msg/s", commas(int64(c.Rate)))
	}
	b.WriteString("\n")
	broker := r.Broker
	if broker == "" {
		broker = "broker"
	}
	fmt.Fprintf(&b, "%s at %s, STOMP %s, %s\n\n", broker, c.Addr, r.Version, r.End.Sub(r.Start).Round(time.Millisecond))

	if r.Total != nil {
		fmt.Fprintf(&b, "Pub+sub:      %s\n", rate(*r.Total))
	}
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
		fmt.Fprintf(&b, "\nReceived %s of %s expected", commas(r.Received), commas(r.Expected))
		if r.Missing > 0 {
			fmt.Fprintf(&b, " (%s missing)", commas(r.Missing))
		}
		if r.Stale > 0 {
			fmt.Fprintf(&b, "; skipped %s left over from earlier runs", commas(r.Stale))
		}
		b.WriteString("\n")
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(&b, "Latency (end to end, %s messages): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
			commas(l.Count), us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max))
	}
	_, err := io.WriteString(w, b.String())
	return err
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
