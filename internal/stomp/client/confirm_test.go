package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// A burst of tracked SENDs asks for few receipts, yet the last one always
// asks: every message ends up confirmed, and the broker answers at most a
// receipt per confirmEvery messages or per holdInterval (a burst's end asks
// at most that often; within a burst confirmInterval is longer).
func TestTrackedSendsConfirmedInBatches(t *testing.T) {
	checkLeaks(t)
	var sends, asked atomic.Int64
	var lastAsked atomic.Bool
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		readFrames(br, func(f *frame.Frame) {
			if f.Command != frame.SEND {
				return
			}
			sends.Add(1)
			id := f.Header.Get(frame.Receipt)
			lastAsked.Store(id != "")
			if id != "" {
				asked.Add(1)
				_, _ = io.WriteString(nc, "RECEIPT\nreceipt-id:"+id+"\n\n\x00")
			}
		})
	})
	c := mustConnect(t, h, Options{})
	var confirmed atomic.Uint64
	c.OnConfirm(func(seq uint64) {
		if seq <= confirmed.Load() {
			t.Errorf("confirmation for %d after %d", seq, confirmed.Load())
		}
		confirmed.Store(seq)
	})
	const n = 20000
	ctx := context.Background()
	start := time.Now()
	for seq := uint64(1); seq <= n; seq++ {
		f := frame.New(frame.SEND, frame.Destination, "/queue/a")
		f.Body = []byte(strconv.FormatUint(seq, 10))
		if err := c.SendTracked(ctx, f, seq, false); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for confirmed.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("confirmed up to %d of %d", confirmed.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	if !lastAsked.Load() {
		t.Fatal("the last SEND did not ask for a receipt")
	}
	if limit := int64(n/confirmEvery) + int64(elapsed/holdInterval) + 2; asked.Load() > limit {
		t.Fatalf("%d receipts for %d SENDs in %v: want at most %d", asked.Load(), n, elapsed, limit)
	}
	// Nothing of ours surfaces on Incoming.
	select {
	case f := <-c.Incoming():
		t.Fatalf("got %s on Incoming", f.Command)
	default:
	}
}

// An isolated tracked SEND asks for a receipt at once, and so does one
// sent with force right after another.
func TestTrackedSendAsksAtOnce(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	var receipts []string
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		readFrames(br, func(f *frame.Frame) {
			mu.Lock()
			receipts = append(receipts, f.Header.Get(frame.Receipt))
			mu.Unlock()
		})
	})
	c := mustConnect(t, h, Options{})
	ctx := context.Background()
	for seq, force := range []bool{false, true} {
		if err := c.SendTracked(ctx, frame.New(frame.SEND, frame.Destination, "/queue/a"), uint64(seq+1), force); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := append([]string(nil), receipts...)
		mu.Unlock()
		if len(got) == 2 {
			if got[0] == "" || got[1] == "" {
				t.Fatalf("receipt headers %q: want both set", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker read %d SENDs", len(got))
		}
		time.Sleep(time.Millisecond)
	}
}

// A tracked SEND followed at once by another frame, not a SEND (stomp
// reply answers a request, then acks it), asks for a receipt: nothing else
// would confirm it, and the session's Close waited --receipt-timeout for
// it, then failed with "1 message was sent but not confirmed".
func TestTrackedSendThenAckAsks(t *testing.T) {
	checkLeaks(t)
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, connected)
		readFrames(br, func(f *frame.Frame) {
			if id := f.Header.Get(frame.Receipt); id != "" {
				_, _ = io.WriteString(nc, "RECEIPT\nreceipt-id:"+id+"\n\n\x00")
			}
		})
	})
	c := mustConnect(t, h, Options{})
	confirmed := make(chan uint64, 1)
	c.OnConfirm(func(seq uint64) {
		select {
		case <-confirmed:
		default:
		}
		confirmed <- seq
	})
	ctx := context.Background()
	// Each pair follows the last receipt closely, as a replier's answers
	// do: within confirmInterval, so only the ACK after it can make it ask.
	for seq := uint64(1); seq <= 50; seq++ {
		if err := c.SendTracked(ctx, frame.New(frame.SEND, frame.Destination, "/queue/reply"), seq, false); err != nil {
			t.Fatal(err)
		}
		if err := c.Send(ctx, frame.New(frame.ACK, frame.Id, "m"+strconv.FormatUint(seq, 10))); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-confirmed:
			if got != seq {
				t.Fatalf("confirmed %d, want %d", got, seq)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("SEND %d, followed by an ACK, was never confirmed", seq)
		}
	}
}

// A CONNECTED frame naming a version we never offered is refused.
func TestHostileUnofferedVersion(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		connected string
		offered   []string
	}{
		{"CONNECTED\nversion:9.9\n\n\x00", nil},
		{"CONNECTED\nversion:1.2\n\n\x00", []string{"1.1"}},
		{"CONNECTED\n\n\x00", []string{"1.1", "1.2"}}, // no version: 1.0
	} {
		h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, tc.connected)
			hold(br)
		})
		_, err := dialHostile(t, h, Options{Versions: tc.offered})
		var ve *VersionError
		if !errors.As(err, &ve) {
			t.Fatalf("%q offered %v: want *VersionError, got %T %v", tc.connected, tc.offered, err, err)
		}
		h.close()
	}
	// What was offered is accepted, a missing version header as 1.0.
	h := startHostile(t, func(nc net.Conn, br *bufio.Reader) {
		_, _ = io.WriteString(nc, "CONNECTED\n\n\x00")
		hold(br)
	})
	c, err := dialHostile(t, h, Options{Versions: []string{"1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
