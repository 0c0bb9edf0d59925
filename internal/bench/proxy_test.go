package bench

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
	"slices"
	"sync"
)

// startProxy relays TCP connections to target. Every byte the broker sends
// is held for delay before it goes on (in order, without slowing the
// stream down otherwise); what the clients send passes at once. rewrite, when set, sees each frame the
// broker sends (up to its NUL) and returns what to deliver instead.
func startProxy(t *testing.T, target string, delay time.Duration, rewrite func(frame []byte) [][]byte, holds *holdLog) client.Endpoint {
	t.Helper()
	addr := testbroker.Loopback(t, func(c net.Conn) {
		b, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		go relay(b, c, 0, nil, nil)
		relay(c, b, delay, rewrite, holds)
	})
	host, port, _ := net.SplitHostPort(addr)
	return client.Endpoint{Host: host, Port: port}
}

type chunk struct {
	at   time.Time
	data []byte
}

// holdLog records how long the proxy really held each chunk: on a loaded
// machine the timer fires late, and the frames are held longer than asked.
type holdLog struct {
	mu    sync.Mutex
	holds []time.Duration
}

func (h *holdLog) add(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holds = append(h.holds, d)
}

// median is the median hold so far.
func (h *holdLog) median() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := slices.Clone(h.holds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// relay copies src to dst, each chunk delay after it was read, and logs
// the real holds in holds when it is not nil.
func relay(dst, src net.Conn, delay time.Duration, rewrite func([]byte) [][]byte, holds *holdLog) {
	defer dst.Close()
	defer src.Close()
	q := make(chan chunk, 1<<16)
	go func() {
		defer close(q)
		buf := make([]byte, 64<<10)
		var pending []byte
		for {
			n, err := src.Read(buf)
			if n > 0 {
				data := append([]byte(nil), buf[:n]...)
				if rewrite != nil {
					pending = append(pending, data...)
					data = nil
					for {
						i := bytes.IndexByte(pending, 0)
						if i < 0 {
							break
						}
						f := pending[:i+1]
						pending = pending[i+1:]
						eol := len(f) - len(bytes.TrimLeft(f, "\r\n")) // heart-beats
						data = append(data, f[:eol]...)
						for _, g := range rewrite(f[eol:]) {
							data = append(data, g...)
						}
					}
				}
				q <- chunk{at: time.Now(), data: data}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		_ = sleepUntil(context.Background(), c.at.Add(delay))
		if holds != nil {
			holds.add(time.Since(c.at))
		}
		if _, err := dst.Write(c.data); err != nil {
			go func() { // drain, so the reader is not stuck
				for range q {
				}
			}()
			return
		}
	}
}
