package bench

import (
	"syscall"
	"time"
)

// preciseSleep blocks its thread in nanosleep(2), which wakes within tens of
// microseconds, where Go's timers may wait for the next millisecond.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
