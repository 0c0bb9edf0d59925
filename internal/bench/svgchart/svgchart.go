// Package svgchart draws line charts as inline SVG: a few hundred lines of
// our own rather than a plotting library, because the charts are simple
// (lines on a linear or logarithmic x axis) and every byte of the binary
// counts against the listener's RSS target (see BENCHMARKS.md).
package svgchart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Series is one line: points (X[i], Y[i]).
type Series struct {
	Name string
	X, Y []float64
}

// Tick is a labelled mark on an axis.
type Tick struct {
	At    float64
	Label string
}

// Chart is a line chart. Zero Width and Height mean 640x320.
type Chart struct {
	Title          string
	XLabel, YLabel string
	Width, Height  int
	Series         []Series
	// LogX draws x on a log10 scale (x must be positive); XTicks, when
	// set, replace the automatic x ticks.
	LogX   bool
	XTicks []Tick
	// YUnit formats the y tick labels; default: the number.
	YUnit func(float64) string
}

// Palette colours the series in order (Okabe-Ito, readable by the colour-blind).
var Palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"}

const (
	padLeft, padRight, padTop, padBottom = 64, 16, 28, 56
)

// SVG returns the chart as an <svg> element.
func (c Chart) SVG() string {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 320
	}
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range c.Series {
		for i := range s.X {
			x := c.xv(s.X[i])
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymax = math.Max(ymax, s.Y[i])
		}
	}
	if math.IsInf(xmin, 1) {
		xmin, xmax = 0, 1
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	yticks := niceTicks(0, ymax)
	ytop := yticks[len(yticks)-1]
	pw, ph := float64(w-padLeft-padRight), float64(h-padTop-padBottom)
	px := func(x float64) float64 { return padLeft + (c.xv(x)-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return padTop + ph - y/ytop*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`, w, h, w, h)
	fmt.Fprintf(&b, `<text x="%d" y="16" font-size="13" font-weight="bold">%s</text>`, padLeft, esc(c.Title))
	// Grid and y ticks.
	yfmt := c.YUnit
	if yfmt == nil {
		yfmt = Number
	}
	for _, t := range yticks {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padLeft, padLeft+pw, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, padLeft-6, y, esc(yfmt(t)))
	}
	// x ticks.
	xticks := c.XTicks
	if xticks == nil {
		for _, t := range niceTicks(xmin, xmax) {
			if t >= xmin && t <= xmax {
				xticks = append(xticks, Tick{At: t, Label: Number(t)})
			}
		}
	}
	for _, t := range xticks {
		if v := c.xv(t.At); v < xmin-1e-9 || v > xmax+1e-9 {
			continue
		}
		x := px(t.At)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#eee"/>`, x, x, padTop, padTop+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, padTop+ph+16, esc(t.Label))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#888"/>`, padLeft, padTop, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, padLeft+pw/2, h-8, esc(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, padTop+ph/2, esc(c.YLabel))
	// Lines.
	for i, s := range c.Series {
		color := Palette[i%len(Palette)]
		var pts []string
		for j := range s.X {
			if v := c.xv(s.X[j]); math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
		}
		if len(pts) == 1 {
			pts = append(pts, pts[0]) // a single point still shows
		}
		fmt.Fprintf(&b, `<polyline class="series" fill="none" stroke="%s" stroke-width="1.8" points="%s"><title>%s</title></polyline>`,
			color, strings.Join(pts, " "), esc(s.Name))
	}
	// Legend.
	for i, s := range c.Series {
		x := padLeft + 8
		y := padTop + 12 + 14*i
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`,
			x, y-3, Palette[i%len(Palette)], x+18, y+1, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (c Chart) xv(x float64) float64 {
	if c.LogX {
		return math.Log10(x)
	}
	return x
}

// niceTicks returns about five round tick values covering [lo, hi].
func niceTicks(lo, hi float64) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for t := math.Floor(lo/step) * step; ; t += step {
		out = append(out, t)
		if t >= hi-1e-9*step {
			break
		}
	}
	return out
}

// Number formats a tick value briefly: 1.5, 20, 12k, 3M.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func esc(s string) string { return html.EscapeString(s) }

// PercentileTicks label a log axis of 1/(1-q) as HdrHistogram's plotter
// does: 0%, 90%, 99%, 99.9%, ... up to the given number of nines.
func PercentileTicks(nines int) []Tick {
	ticks := []Tick{{At: 1, Label: "0%"}}
	for n := 1; n <= nines; n++ {
		p := 100 - 100/math.Pow(10, float64(n))
		ticks = append(ticks, Tick{At: math.Pow(10, float64(n)), Label: strconv.FormatFloat(p, 'f', max(n-2, 0), 64) + "%"})
	}
	return ticks
}
