package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/bench/svgchart"
)

// WriteHTML writes one self-contained page (inline SVG and CSS, no script,
// nothing loaded from the network) comparing runs: a summary table,
// throughput over time, latency over time, and the latency percentile
// distribution on a log axis as HdrHistogram's plotter draws it.
func WriteHTML(w io.Writer, title string, runs []*Result) error {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>%s</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.note{color:#666;font-size:12px}
</style></head><body>
<h1>%s</h1>
`, esc(title), esc(title))
	b.WriteString(`<table><tr><th>run</th><th>broker</th><th>machine</th><th>workload</th><th>pub msg/s</th><th>sub msg/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>lost</th><th>dups</th></tr>` + "\n")
	for _, r := range runs {
		c := r.Config
		workload := fmt.Sprintf("%d pub, %d sub, %s, ack %s", c.Pub, c.Sub, c.sizeText(), c.Ack)
		if c.Rate > 0 {
			workload += fmt.Sprintf(", %s msg/s", commas(int64(c.Rate)))
		}
		if r.Interrupted {
			workload += ", interrupted"
		}
		machine := fmt.Sprintf("%s, %d CPUs", r.Machine.Hostname, r.Machine.CPUs)
		if r.Machines > 1 {
			machine = fmt.Sprintf("%d machines", r.Machines)
		}
		pub, sub := "-", "-"
		if r.Publishers != nil {
			pub = round(r.Publishers.Total.MsgsPerSec)
		}
		if r.Subscribers != nil {
			sub = round(r.Subscribers.Total.MsgsPerSec)
		}
		lat := []string{"-", "-", "-", "-"}
		if l := r.Latency; l != nil {
			lat = []string{us(l.P50), us(l.P99), us(l.P999), us(l.Max)}
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			esc(r.Label), esc(r.Broker+" at "+c.Addr), esc(machine), esc(workload), pub, sub,
			lat[0], lat[1], lat[2], lat[3], commas(r.Lost), commas(r.Dups))
	}
	b.WriteString("</table>\n<div class=\"charts\">\n")

	throughput := svgchart.Chart{Title: "Throughput", XLabel: "seconds", YLabel: "msg/s received (sent without subscribers)"}
	latency := svgchart.Chart{Title: "Latency over time (p99 of each second)", XLabel: "seconds", YLabel: "ms", YUnit: svgchart.Number}
	nines := 2
	dist := svgchart.Chart{Title: "Latency by percentile", XLabel: "percentile", YLabel: "ms", LogX: true}
	for _, r := range runs {
		var t, rate, p99 []float64
		prev := 0.0
		for _, p := range r.Series {
			t = append(t, p.T)
			v := p.Received
			if r.Config.Sub == 0 {
				v = p.Sent
			}
			rate = append(rate, float64(v)/math.Max(p.T-prev, 1e-3)) // the last point may be a part of a second
			prev = p.T
			p99 = append(p99, float64(p.P99)/1000)
		}
		throughput.Series = append(throughput.Series, svgchart.Series{Name: r.Label, X: t, Y: rate})
		latency.Series = append(latency.Series, svgchart.Series{Name: r.Label, X: t, Y: p99})
		if r.hist == nil {
			continue
		}
		var x, y []float64
		for _, br := range r.hist.CumulativeDistributionWithTicks(5) {
			q := br.Quantile / 100
			if q >= 1 {
				break
			}
			x = append(x, 1/(1-q))
			y = append(y, float64(br.ValueAt)/1000)
		}
		if n := r.hist.TotalCount(); n > 0 {
			nines = max(nines, min(int(math.Ceil(math.Log10(float64(n)))), 6))
		}
		dist.Series = append(dist.Series, svgchart.Series{Name: r.Label, X: x, Y: y})
	}
	dist.XTicks = svgchart.PercentileTicks(nines)
	for _, c := range []svgchart.Chart{throughput, latency, dist} {
		b.WriteString(c.SVG())
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, `</div>
<p class="note">Latency is measured from each message's intended send time (open loop, corrected for coordinated omission) to its arrival.
Written by stomp bench on %s.</p>
</body></html>
`, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	_, err := io.WriteString(w, b.String())
	return err
}
