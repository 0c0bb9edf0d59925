package commands

import (
	"sync"
	"sync/atomic"

	"github.com/go-stomp/stomp/v3/frame"
)

// takers are the subscriptions whose messages go to the command that made
// them instead of being shown (Env.Take).
type takers struct {
	mu sync.Mutex // serialises writers; Show reads m without it
	// m is copied on each change, so Show pays one atomic load per
	// message, and nothing at all while no command takes messages.
	m atomic.Pointer[map[string]*taker]
}

type taker struct {
	ch   chan *frame.Frame
	done chan struct{} // closed by release
}

// Take has the messages of subscription subID go to the returned channel
// instead of being shown, until release is called: for a command that
// consumes messages itself (purge). Call it before the SUBSCRIBE goes out
// (SubscribeAnnounced's announce), and keep reading until release: frames
// are received one at a time, so one not read holds up the rest. A
// message that comes after release for this subscription is dropped.
func (e *Env) Take(subID string) (msgs <-chan *frame.Frame, release func()) {
	t := &taker{ch: make(chan *frame.Frame, 16), done: make(chan struct{})}
	e.takers.change(func(m map[string]*taker) { m[subID] = t })
	var once sync.Once
	return t.ch, func() {
		once.Do(func() {
			close(t.done)
			e.takers.change(func(m map[string]*taker) { delete(m, subID) })
		})
	}
}

func (ts *takers) change(edit func(map[string]*taker)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	m := map[string]*taker{}
	if old := ts.m.Load(); old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	edit(m)
	ts.m.Store(&m)
}

// give hands f to the command that takes its subscription's messages, and
// says whether one did.
func (ts *takers) give(f *frame.Frame) bool {
	m := ts.m.Load()
	if m == nil || len(*m) == 0 || f.Command != frame.MESSAGE {
		return false
	}
	t, ok := (*m)[f.Header.Get(frame.Subscription)]
	if !ok {
		return false
	}
	select {
	case t.ch <- f:
	case <-t.done:
	}
	return true
}
