package thirdparty

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

var (
	stompBin    string // the CLI, built once by TestMain
	testdataDir string // absolute path of testdata/

	serveOnce sync.Once
	served    *server // the `stomp serve` the package's tests share, started on first use
	serveErr  error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "stomp-thirdparty-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "thirdparty:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Under `go test -race` the broker is built with the race detector too, so a data race that a
	// client provokes in it fails the run (see server.stop).
	if stompBin, err = testbin.Build(dir, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "thirdparty:", err)
		return 1
	}
	if testdataDir, err = filepath.Abs("testdata"); err != nil {
		fmt.Fprintln(os.Stderr, "thirdparty:", err)
		return 1
	}
	code := m.Run()
	if served != nil {
		if err := served.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "thirdparty: stomp serve:", err)
			code = 1
		}
	}
	return code
}

// server is a running `stomp serve`.
type server struct {
	cmd    *exec.Cmd
	stderr testbin.Buffer
	done   chan struct{}
	err    error

	tcp string // host:port of its TCP listener
	ws  string // URL of its WebSocket listener
}

// broker returns the `stomp serve` shared by the package's tests, with a TCP and a WebSocket
// listener, starting it on first use.
func broker(t *testing.T) *server {
	t.Helper()
	serveOnce.Do(func() {
		served, serveErr = startServe(freeAddr(), freeAddr())
	})
	if serveErr != nil {
		t.Fatalf("start stomp serve: %v", serveErr)
	}
	return served
}

// startServe runs stomp serve with a TCP listener on tcp and a WebSocket one on wsAddr, and waits
// until both accept connections.
func startServe(tcp, wsAddr string) (*server, error) {
	s := &server{tcp: tcp, ws: "ws://" + wsAddr + "/ws", done: make(chan struct{})}
	args := []string{"serve", "--listen", s.tcp, "--listen", s.ws}
	s.cmd = exec.Command(stompBin, args...)
	s.cmd.Env = cleanEnv()
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range []string{tcp, wsAddr} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-s.done:
				return nil, fmt.Errorf("stomp %s exited (%v): %s", strings.Join(args, " "), s.err, strings.TrimSpace(s.stderr.String()))
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				_ = s.stop()
				return nil, fmt.Errorf("stomp %s: %s not listening after 15s: %s", strings.Join(args, " "), addr, s.stderr.String())
			}
		}
	}
	return s, nil
}

// stop ends the broker with SIGTERM (SIGKILL after 5s) and reports a data race it logged.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if strings.Contains(s.stderr.String(), "WARNING: DATA RACE") {
		return errors.New("data race in the broker:\n" + s.stderr.String())
	}
	return nil
}

// freeAddr is a loopback address with a port nothing listens on right now.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cleanEnv is the environment for child processes: no STOMP_* connection settings leaking in, no
// colours, unbuffered Python output.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "STOMP_HOST", "STOMP_PORT", "STOMP_USER", "STOMP_PASSWORD", "STOMP_CONTEXT":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_COLOR=1", "PYTHONUNBUFFERED=1", "GORACE=exitcode=66 atexit_sleep_ms=50")
}

// requireTool skips the test when a third-party client is missing (why says what and how to
// install it), or fails it under CI=true: CI installs every client, so there a missing one is a
// broken install that must not hide behind a skip.
func requireTool(t *testing.T, why string) {
	t.Helper()
	if why == "" {
		return
	}
	testenv.Missing(t, why)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}
