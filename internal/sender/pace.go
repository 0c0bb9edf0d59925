package sender

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// ParseRate reads --rate: messages per second, as 100 or 100/s; "" is no
// limit (0).
func ParseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
	if err != nil || r <= 0 {
		return 0, exitcode.Usagef("bad --rate %q: give messages per second, e.g. 100 or 100/s", s)
	}
	return r, nil
}

// pacer spaces sends out to at most perSecond (0 = as fast as possible).
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(perSecond float64) *pacer {
	if perSecond <= 0 {
		return &pacer{}
	}
	return &pacer{every: time.Duration(float64(time.Second) / perSecond), next: time.Now()}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.every == 0 {
		return ctx.Err()
	}
	if d := time.Until(p.next); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.next = p.next.Add(p.every)
	return nil
}
