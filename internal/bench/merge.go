package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// WriteJSON writes r as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadResults reads what `stomp bench --json` wrote to path: one result,
// or the steps of a sweep.
func ReadResults(path string) ([]*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	// One wording for whatever is not our JSON (another file, a damaged
	// one): the decoder's own message names Go types.
	notOurs := fmt.Errorf("%s: not a stomp bench result (write one with stomp bench --json FILE)", path)
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil, notOurs
	}
	var probe struct {
		Steps []*Result `json:"steps"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, notOurs
	}
	rs := probe.Steps
	if rs == nil {
		var r Result
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, notOurs
		}
		rs = []*Result{&r}
	}
	if len(rs) == 0 {
		return nil, notOurs
	}
	for _, r := range rs {
		if r == nil || r.Series == nil && r.Config.Destination == "" {
			return nil, notOurs
		}
		if r.Histogram != "" {
			h, err := hdrhistogram.Decode([]byte(r.Histogram))
			if err != nil {
				return nil, fmt.Errorf("%s: its histogram does not decode: %v", path, err)
			}
			r.hist = h
		}
	}
	return rs, nil
}

// Merge adds up results measured at the same time on several machines, as
// one run: message counts and per-second series are summed, histograms
// added (exactly: HdrHistogram buckets add), and the throughput of the
// publishers and subscribers is the sum of the machines'. The label, the
// configuration and the start are the first result's.
func Merge(rs []*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("nothing to merge")
	}
	if len(rs) == 1 {
		return rs[0], nil
	}
	first := rs[0]
	m := &Result{Label: first.Label, Config: first.Config, Machine: first.Machine, Broker: first.Broker,
		Version: first.Version, Start: first.Start, End: first.End}
	h := newHist()
	for _, r := range rs {
		m.Machines += max(r.Machines, 1)
		if r.Start.Before(m.Start) {
			m.Start = r.Start
		}
		if r.End.After(m.End) {
			m.End = r.End
		}
		m.Sent += r.Sent
		m.Published += r.Published
		m.Expected += r.Expected
		m.Received += r.Received
		m.Lost += r.Lost
		m.Dups += r.Dups
		m.Stale += r.Stale
		m.Interrupted = m.Interrupted || r.Interrupted
		m.Publishers = mergeGroup(m.Publishers, r.Publishers)
		m.Subscribers = mergeGroup(m.Subscribers, r.Subscribers)
		for i, p := range r.Series {
			if i == len(m.Series) {
				m.Series = append(m.Series, Point{T: p.T})
			}
			q := &m.Series[i]
			q.Sent += p.Sent
			q.Received += p.Received
			q.P50, q.P99, q.Max = max(q.P50, p.P50), max(q.P99, p.P99), max(q.Max, p.Max) // an upper bound: the seconds' histograms are not kept
		}
		if r.hist != nil {
			if dropped := h.Merge(r.hist); dropped > 0 {
				return nil, fmt.Errorf("%d latencies of %s are out of range", dropped, r.Label)
			}
		}
	}
	m.setHistogram(h)
	return m, nil
}

// mergeGroup adds the clients of b to a: running at the same time, their
// rates add up.
func mergeGroup(a, b *Group) *Group {
	if b == nil {
		return a
	}
	if a == nil {
		c := *b
		c.Clients = append([]Stats(nil), b.Clients...)
		return &c
	}
	a.Clients = append(a.Clients, b.Clients...)
	t := &a.Total
	t.Msgs += b.Total.Msgs
	t.Bytes += b.Total.Bytes
	t.Seconds = max(t.Seconds, b.Total.Seconds)
	t.MsgsPerSec += b.Total.MsgsPerSec
	t.MBPerSec += b.Total.MBPerSec
	a.spread()
	return a
}
