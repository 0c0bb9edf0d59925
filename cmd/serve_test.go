package cmd_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
	"github.com/stomp-cli/stomp/internal/testing/testbin"
)

// serveProc is a `stomp serve` child process.
type serveProc struct {
	urls []string        // what it listens on, from its first log line
	pid  int             // of stomp serve itself
	log  *testbin.Buffer // its standard error
}

// startServe runs `stomp serve` with args until the test ends and returns
// the URLs it listens on.
func startServe(t *testing.T, args ...string) []string {
	t.Helper()
	return startServeShell(t, "stomp", "", args...).urls
}

// startServeShell runs `BIN serve args` through sh after the shell
// commands in prelude (e.g. "ulimit -n 40"), so limits apply to it.
// BIN "stomp" is the test binary on $PATH (built with -race under make
// test); a memory test wants a plain build instead.
func startServeShell(t *testing.T, bin, prelude string, args ...string) *serveProc {
	t.Helper()
	script := "exec " + bin + " serve " + strings.Join(args, " ")
	if prelude != "" {
		script = prelude + "; " + script
	}
	cmd := exec.Command("sh", "-c", script)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	p := &serveProc{pid: cmd.Process.Pid, log: &testbin.Buffer{}}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(io.TeeReader(stderr, p.log))
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on ") {
				line <- sc.Text()
			}
		}
	}()
	select {
	case l := <-line:
		urls := strings.TrimSuffix(l[strings.Index(l, "listening on ")+len("listening on "):], " (Ctrl-C to stop)")
		p.urls = strings.Split(urls, ", ")
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("stomp serve did not start listening: %s", p.log)
		return nil
	}
}

// rss returns the process's resident set size in bytes (VmRSS).
func (p *serveProc) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}

// addr is host:port of the first listener.
func (p *serveProc) addr() string {
	u := p.urls[0]
	return u[strings.Index(u, "://")+3:]
}

// stompConn is a raw STOMP connection for hostile-client tests.
type stompConn struct {
	t  *testing.T
	nc net.Conn
	r  *wire.Reader
}

func dialServe(t *testing.T, addr string) *stompConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &stompConn{t: t, nc: nc, r: wire.NewReader(nc, wire.Options{MaxFrameSize: 64 << 20, Version: wire.V12})}
}

func (c *stompConn) write(s string) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(c.nc, s)
	return err
}

// next returns the next frame (heart-beats skipped) within d.
func (c *stompConn) next(d time.Duration) (*frame.Frame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := c.r.Read()
		if err != nil || f != nil {
			return f, err
		}
	}
}

// TestServeSurvivesEMFILE: out of file descriptors, accept fails; the
// broker backs off and accepts again once descriptors are free, instead
// of no longer listening while alive.
func TestServeSurvivesEMFILE(t *testing.T) {
	p := startServeShell(t, "stomp", "ulimit -n 40", "--listen", "127.0.0.1:0")
	var conns []*stompConn
	for i := 0; i < 60; i++ { // more than the broker has descriptors for
		c := dialServe(t, p.addr())
		if err := c.write("CONNECT\naccept-version:1.2\n\n\x00"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.log.String(), "too many open files"); {
		if time.Now().After(deadline) {
			t.Fatalf("accept never ran out of descriptors; log:\n%s", p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range conns {
		c.nc.Close()
	}
	c := dialServe(t, p.addr())
	if err := c.write("CONNECT\naccept-version:1.2\n\n\x00"); err != nil {
		t.Fatal(err)
	}
	if f, err := c.next(10 * time.Second); err != nil || f.Command != frame.CONNECTED {
		t.Fatalf("after descriptors were freed: %v %v; log:\n%s", f, err, p.log)
	}
	// The log reaches us through a pipe and a goroutine: the lines may
	// arrive after the CONNECTED frame that followed them.
	logged := func() bool {
		log := p.log.String()
		return strings.Contains(log, "retrying in") && strings.Contains(log, "accepting on")
	}
	for deadline := time.Now().Add(10 * time.Second); !logged(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the back-off is not logged:\n%s", p.log)
		}
	}
}

// TestServeMemoryBounded runs hostile loads against `stomp serve` and
// reads its resident memory (VmRSS) throughout: pre-login CONNECTs of
// megabytes, slowloris connections that never finish their CONNECT,
// subscribers that never read, and a flood into a queue nobody drains.
// Each must leave memory within a bound computed from the limits, not
// grow with the load.
func TestServeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a memory test of several seconds")
	}
	// Not the stomp on $PATH: the race detector's shadow memory would be
	// measured too.
	bin := plainStomp(t)
	const heldLimit = 32 << 20
	p := startServeShell(t, bin, "", "--listen", "127.0.0.1:0", "-U", "alice", "-W", "s3cret",
		"--max-held-bytes", strconv.Itoa(heldLimit), "--heartbeat", "0")
	base := p.rss(t)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r := p.rss(t); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	phase := func(name string, bound int64, run func()) {
		t.Helper()
		peak.Store(0)
		run()
		time.Sleep(50 * time.Millisecond)
		got := peak.Load()
		t.Logf("%s: peak RSS %d MiB (base %d MiB, bound %d MiB)", name, got>>20, base>>20, bound>>20)
		if got > bound {
			t.Errorf("%s: peak RSS %d MiB, over the bound of %d MiB", name, got>>20, bound>>20)
		}
	}
	login := "CONNECT\naccept-version:1.2\nlogin:alice\npasscode:s3cret\n\n\x00"

	// 40 connections each sending a 4 MB CONNECT before logging in (the
	// issue's 500 MB): cut off at 8 KiB each.
	phase("40 pre-login CONNECTs of 4 MB", base+40<<20, func() {
		huge := "CONNECT\naccept-version:1.2\nlogin:alice\npasscode:" + strings.Repeat("x", 4<<20) + "\n\n\x00"
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			c := dialServe(t, p.addr())
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.write(huge)
				c.nc.Close()
			}()
		}
		wg.Wait()
	})

	// 500 slowloris connections, each a few bytes into its CONNECT.
	phase("500 slowloris connections", base+30<<20, func() {
		for i := 0; i < 500; i++ {
			c := dialServe(t, p.addr())
			if err := c.write("CONNECT\naccept-"); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(500 * time.Millisecond)
	})

	// 20 subscribers that never read, on a topic and on a queue, and a
	// producer sending 200 MB at them and into the queue: the queue holds
	// --max-held-bytes, then the producer waits (and we give up).
	phase("slow readers and a 200 MB flood", base+heldLimit+64<<20, func() {
		for i := 0; i < 20; i++ {
			c := dialServe(t, p.addr())
			dest := "/topic/flood"
			if i%2 == 1 {
				dest = "/queue/flood"
			}
			if err := c.write(login + "SUBSCRIBE\nid:1\nack:client\ndestination:" + dest + "\n\n\x00"); err != nil {
				t.Fatal(err)
			}
		}
		prod := dialServe(t, p.addr())
		if err := prod.write(login); err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat("b", 100<<10)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 1000; i++ { // 100 MB to each
				for _, dest := range []string{"/topic/flood", "/queue/flood"} {
					_ = prod.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
					if _, err := io.WriteString(prod.nc, "SEND\ndestination:"+dest+"\ncontent-length:"+strconv.Itoa(len(body))+"\n\n"+body+"\x00"); err != nil {
						return // the broker stopped reading (flow control): our write timed out
					}
				}
			}
		}()
		<-done
	})
	close(stop)
	<-sampled
}

// TestServeLogShowsClientTextVisibly: stomp serve's log quotes what
// clients sent (here the name of a queue whose poison message it
// dead-letters, made of terminal escapes); it reaches the terminal with
// its control characters visible.
func TestServeLogShowsClientTextVisibly(t *testing.T) {
	p := startServeShell(t, "stomp", "", "--listen", "127.0.0.1:0", "--max-redeliveries", "1")
	c := dialServe(t, p.addr())
	const dest = "/queue/e\x1b]0;pwned\x07"
	if err := c.write("CONNECT\naccept-version:1.2\n\n\x00" +
		"SUBSCRIBE\nid:1\ndestination:" + dest + "\nack:client-individual\n\n\x00" +
		"SEND\ndestination:" + dest + "\n\npoison\x00"); err != nil {
		t.Fatal(err)
	}
	for nacks := 0; nacks < 2; {
		f, err := c.next(10 * time.Second)
		if err != nil {
			t.Fatalf("reading: %v\n%s", err, p.log)
		}
		if f.Command == frame.MESSAGE {
			if err := c.write("NACK\nid:" + f.Header.Get(frame.Ack) + "\n\n\x00"); err != nil {
				t.Fatal(err)
			}
			nacks++
		}
	}
	const shown = "moved to /queue/DLQ.e^[]0;pwned^G"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.log.String(), shown) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if log := p.log.String(); !strings.Contains(log, shown) || strings.ContainsAny(log, "\x1b\x07") {
		t.Errorf("the log does not show the queue's name visibly:\n%q", log)
	}
}
