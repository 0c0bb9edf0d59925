package model

import (
	"time"

	"github.com/stomp-cli/stomp/internal/testing/faultproxy"
)

// A fault is what goes wrong during a step. prepare draws its parameters
// (from the seed) and returns the injection, run at a random moment of the
// step.
type fault struct {
	name         string
	weight       int
	breaks       bool // ends connections (the clients must reconnect)
	embeddedOnly bool // kills the broker: never done to a shared real broker
	prepare      func(h *harness) (inject func())
}

var faultTable = []fault{
	{"none", 2, false, false, func(h *harness) func() { return func() {} }},
	{"reset every connection", 3, true, false, func(h *harness) func() { return h.proxy.ResetAll }},
	{"stall both ways", 2, false, false, stall(faultproxy.Both)},
	{"stall towards the broker", 1, false, false, stall(faultproxy.ToBroker)},
	{"stall towards the client", 1, false, false, stall(faultproxy.ToClient)},
	{"swallow what is in flight (stall towards the broker, then reset)", 4, true, false, func(h *harness) func() {
		d := h.duration(50*time.Millisecond, 500*time.Millisecond)
		return func() {
			h.proxy.StallAll(faultproxy.ToBroker, time.Minute)
			time.Sleep(d)
			h.proxy.ResetAll()
			h.proxy.ResumeAll(faultproxy.ToBroker)
		}
	}},
	{"cut the next frame to the broker", 2, true, false, cut(faultproxy.ToBroker)},
	{"cut the next frame to the client", 2, true, false, cut(faultproxy.ToClient)},
	{"broker unreachable (reset, then refuse)", 2, true, false, func(h *harness) func() {
		d := h.duration(500*time.Millisecond, 3*time.Second)
		return func() {
			h.proxy.Refuse(d)
			h.proxy.ResetAll()
			h.model.logf("  refusing connections for %v", d)
		}
	}},
	{"kill the broker and restart it", 1, true, true, func(h *harness) func() {
		d := h.duration(200*time.Millisecond, 2*time.Second)
		return func() {
			h.broker.kill()
			h.model.mu.Lock()
			h.model.kills = append(h.model.kills, time.Now())
			h.model.mu.Unlock()
			time.Sleep(d)
			if err := h.broker.start(); err != nil {
				h.t.Errorf("restarting the broker: %v", err)
			}
			h.model.logf("  broker killed, restarted after %v", d)
		}
	}},
}

// faults are the faults for this broker: the real ones are never killed.
func (h *harness) faults() []fault {
	var fs []fault
	for _, f := range faultTable {
		if !f.embeddedOnly || h.broker.embedded() {
			fs = append(fs, f)
		}
	}
	return fs
}

func stall(dir faultproxy.Direction) func(h *harness) func() {
	return func(h *harness) func() {
		d := h.duration(300*time.Millisecond, 2*time.Second)
		return func() { h.proxy.StallAll(dir, d) }
	}
}

func cut(dir faultproxy.Direction) func(h *harness) func() {
	return func(h *harness) func() { return func() { h.proxy.CutAll(dir) } }
}

// duration draws a duration in [lo, hi).
func (h *harness) duration(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(h.rng.Int63n(int64(hi-lo)))
}
