// Package stats keeps the counters behind the shell's `stats` command, in
// stomp.py's report format (reference §7.1).
package stats

import (
	"errors"
	"fmt"
	"sync"
)

// Counts is a snapshot of a session's counters.
type Counts struct {
	Connections        uint64 // connections opened
	Disconnects        uint64 // connections ended
	FramesSent         uint64 // every frame and heart-beat sent (stomp.py calls it "Messages sent")
	MessagesReceived   uint64 // MESSAGE frames
	HeartbeatsReceived uint64
	Errors             uint64 // ERROR frames
}

// Sub returns the counts since base.
func (c Counts) Sub(base Counts) Counts {
	return Counts{
		Connections:        c.Connections - base.Connections,
		Disconnects:        c.Disconnects - base.Disconnects,
		FramesSent:         c.FramesSent - base.FramesSent,
		MessagesReceived:   c.MessagesReceived - base.MessagesReceived,
		HeartbeatsReceived: c.HeartbeatsReceived - base.HeartbeatsReceived,
		Errors:             c.Errors - base.Errors,
	}
}

// Text is the report exactly as stomp.py prints it.
func (c Counts) Text() string {
	return fmt.Sprintf("Connections: %d\nDisconnects: %d\nMessages sent: %d\nMessages received: %d\nHeartbeats received: %d\nErrors: %d\n",
		c.Connections, c.Disconnects, c.FramesSent, c.MessagesReceived, c.HeartbeatsReceived, c.Errors)
}

// ErrOff is returned when a report is asked for while stats are off.
var ErrOff = errors.New("stats are off")

// Recorder counts from the moment it is switched on, like stomp.py's
// StatsListener: `stats on` starts (or restarts) counting, `stats off`
// stops. Counters themselves live in the connection; the recorder keeps
// the baseline.
type Recorder struct {
	mu   sync.Mutex
	on   bool
	base Counts
}

// On starts counting from now (again, if already on).
func (r *Recorder) On(now Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.base = true, now
}

// Off stops counting. Unlike stomp.py it is not an error when already off.
func (r *Recorder) Off() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
}

// Report returns the counts since On, or ErrOff.
func (r *Recorder) Report(now Counts) (Counts, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return Counts{}, ErrOff
	}
	return now.Sub(r.base), nil
}
