package cmd_test

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// session drives the CLI in-process like a person at a pipe: lines go to
// its standard input, and its standard output is read as it comes.
type session struct {
	t      *testing.T
	in     *io.PipeWriter
	lines  chan string // standard output, drained as it comes so the CLI never blocks on it
	errBuf *iostreams.Buffer
	exit   chan int
	seen   strings.Builder
}

func start(t *testing.T, target testbroker.Target, args ...string) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, in: inW, lines: make(chan string, 100000), exit: make(chan int, 1)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	stdio, _, errBuf := iostreams.Test()
	s.errBuf = errBuf
	stdio.In, stdio.Out = inR, outW
	stdio.SetEnv("STOMP_HOST", target.Host)
	stdio.SetEnv("STOMP_PORT", target.Port)
	stdio.SetEnv("STOMP_USER", target.Login)
	stdio.SetEnv("STOMP_PASSWORD", target.Passcode)
	go func() {
		code := cmd.Run(context.Background(), args, stdio)
		outW.Close()
		s.exit <- code
	}()
	t.Cleanup(func() { inW.Close() })
	return s
}

func (s *session) errText() string { return s.errBuf.String() }

func (s *session) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatalf("writing %q: %v", line, err)
	}
}

// expect reads output until a line matches re and returns its submatches.
func (s *session) expect(re string) []string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("output ended before a line matching %q; output:\n%s\nstderr:\n%s", re, s.seen.String(), s.errBuf)
			}
			s.seen.WriteString(line + "\n")
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline:
			s.t.Fatalf("no line matching %q within 15s; output:\n%s", re, s.seen.String())
		}
	}
}

// finish closes standard input and returns the exit code.
func (s *session) finish() int {
	s.t.Helper()
	s.in.Close()
	select {
	case code := <-s.exit:
		for line := range s.lines {
			s.seen.WriteString(line + "\n")
		}
		return code
	case <-time.After(15 * time.Second):
		s.t.Fatal("the CLI did not exit within 15s of its input ending")
		return -1
	}
}

// TestAckTakesTheDisplayedID checks, in each protocol version and on each
// broker, that `ack` with the message-id the message was shown with really
// acknowledges it (the broker would refuse a wrong ACK, and the message
// would come back), and that an unacked message is redelivered.
func TestAckTakesTheDisplayedID(t *testing.T) {
	for _, target := range testbroker.All(t) {
		for _, version := range []string{"1.0", "1.1", "1.2"} {
			t.Run(target.Name+"/"+version, func(t *testing.T) {
				q := testbroker.Unique(t, "/queue/")
				mode := "client-individual"
				if version == "1.0" {
					mode = "client" // 1.0 has no client-individual
				}
				s := start(t, target, "-S", version)
				s.send("subscribe " + q + " " + mode)
				s.expect("^Subscribing to ")
				s.send("send " + q + " one")
				s.send("send " + q + " two")
				first := s.expect(`^message-id: (\S+)$`)[1]
				s.expect("^one$")
				s.expect(`^message-id: (\S+)$`)
				s.expect("^two$")
				s.send("ack " + first)
				s.send("echo acked")
				s.expect("^acked$")
				if code := s.finish(); code != 0 {
					t.Fatalf("exit %d, stderr: %s", code, s.errBuf)
				}

				// Only the unacked message comes back.
				s = start(t, target, "-S", version)
				s.send("subscribe " + q)
				s.expect(`^message-id: `)
				s.expect(`^two$`)
				if strings.Contains(s.seen.String(), "\none\n") {
					t.Fatalf("acked message redelivered:\n%s", s.seen.String())
				}
				if code := s.finish(); code != 0 {
					t.Fatalf("exit %d, stderr: %s", code, s.errBuf)
				}
			})
		}
	}
}

func TestNackUnder10IsAClearError(t *testing.T) {
	target := testbroker.Embedded(t)
	s := start(t, target, "-S", "1.0")
	s.send("nack 1")
	if code := s.finish(); code != 2 { // a usage error, in a script as on the command line
		t.Fatalf("exit %d, want 2", code)
	}
	want := "nack needs STOMP 1.1 or later: this connection uses 1.0 (connect with -S 1.1 or -S 1.2)"
	if !strings.Contains(s.errBuf.String(), want) {
		t.Fatalf("stderr %q lacks %q", s.errBuf, want)
	}
}

// TestTransactions checks that sends in a transaction arrive only on commit,
// that abort discards them, and that an aborted ack leaves the message unacked.
func TestTransactions(t *testing.T) {
	for _, target := range testbroker.All(t) {
		t.Run(target.Name, func(t *testing.T) {
			q := testbroker.Unique(t, "/queue/")
			s := start(t, target)
			s.send("begin")
			s.expect(`^Transaction id: `)
			s.send("send " + q + " discarded")
			s.send("abort")
			s.expect(`^Aborted transaction: `)
			s.send("begin")
			s.send("send " + q + " committed")
			s.send("subscribe " + q + " client-individual")
			s.expect("^Subscribing to ")
			s.send("commit")
			s.expect(`^Committing `) // said before the COMMIT: the message comes after
			id := s.expect(`^message-id: (\S+)$`)[1]
			s.expect(`^committed$`)
			s.send("begin")
			s.send("ack " + id)
			s.send("rollback")
			s.expect(`^Aborted transaction: `)
			if code := s.finish(); code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, s.errBuf)
			}
			if strings.Contains(s.seen.String(), "discarded") {
				t.Fatalf("aborted send was delivered:\n%s", s.seen.String())
			}
			// The ack was rolled back: the message is still there.
			s = start(t, target)
			s.send("subscribe " + q)
			s.expect(`^committed$`)
			if code := s.finish(); code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, s.errBuf)
			}
		})
	}
}

// TestListenReconnects: a listener survives its broker going away and
// coming back on the same address, resubscribes, and says so on stderr.
func TestListenReconnects(t *testing.T) {
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	host, port, _ := strings.Cut(addr, ":")
	target := testbroker.Target{Name: "embedded", Host: host, Port: port}
	s := start(t, target, "listen", "/queue/r", "--reconnect-delay", "50ms", "--reconnect-max-delay", "200ms")
	s.expect("^Subscribing to ")
	send := start(t, target, "send", "/queue/r", "before")
	if code := send.finish(); code != 0 {
		t.Fatalf("send exit %d: %s", code, send.errBuf)
	}
	s.expect("^before$")
	b.Close()
	time.Sleep(300 * time.Millisecond) // let a few attempts fail
	b2, err := broker.Start(broker.Config{Listen: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	// The listener resubscribes; a message sent now reaches it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.errText(), "reconnected after") {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect; stderr:\n%s", s.errText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	send = start(t, target, "send", "/queue/r", "after")
	if code := send.finish(); code != 0 {
		t.Fatalf("send exit %d: %s", code, send.errBuf)
	}
	s.expect("^after$")
	errs := s.errText()
	for _, want := range []string{"connection lost: the broker closed the connection; reconnecting", "reconnect attempt 1 failed", "resubscribed to 1 destination(s)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestNoReconnectExits: with --reconnect=false a lost listener exits 1.
func TestNoReconnectExits(t *testing.T) {
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(b.Addr(), ":")
	s := start(t, testbroker.Target{Host: host, Port: port}, "listen", "/queue/r", "--reconnect=false")
	s.expect("^Subscribing to ")
	b.Close()
	if code := s.finish(); code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, s.errText())
	}
	if !strings.Contains(s.errText(), "stomp: connection lost") {
		t.Fatalf("stderr: %s", s.errText())
	}
}

// TestAckByNumberLastAll: `ack 2`, `nack last` and `ack all` pick the right
// messages by their local numbers, in each protocol version.
func TestAckByNumberLastAll(t *testing.T) {
	for _, target := range testbroker.All(t) {
		for _, version := range []string{"1.1", "1.2"} {
			t.Run(target.Name+"/"+version, func(t *testing.T) {
				q := testbroker.Unique(t, "/queue/")
				s := start(t, target, "-S", version)
				s.send("subscribe " + q + " client-individual")
				s.expect("^Subscribing to ")
				for _, body := range []string{"one", "two", "three", "four"} {
					s.send("send " + q + " " + body)
				}
				s.send("wait 4")
				s.send("ack 2")    // the second message, by its local number
				s.send("ack #1")   // the first
				s.send("ack last") // four
				s.send("echo done")
				s.expect("^done$")
				if code := s.finish(); code != 0 {
					t.Fatalf("exit %d: %s", code, s.errText())
				}
				// Only "three" was left unacked.
				s = start(t, target, "-S", version)
				s.send("subscribe " + q + " client-individual")
				s.expect("^three$")
				s.send("ack all")
				s.send("echo acked")
				s.expect("^acked$")
				if code := s.finish(); code != 0 {
					t.Fatalf("exit %d: %s", code, s.errText())
				}
				if strings.Contains(s.seen.String(), "\none\n") || strings.Contains(s.seen.String(), "\nfour\n") {
					t.Fatalf("an acked message came back:\n%s", s.seen.String())
				}
				s = start(t, target, "-S", version)
				s.send("subscribe " + q)
				s.send("sendrec " + q + " sentinel")
				s.expect("^sentinel$")
				if strings.Contains(s.seen.String(), "three") {
					t.Fatalf("ack all left a message:\n%s", s.seen.String())
				}
				s.finish()
			})
		}
	}
}

// TestSendLinesStreams checks that `send --lines` sends each line as soon
// as it is read, while its standard input is still open: it streams rather
// than reading everything first (which would also cost memory in
// proportion to the input). A listener sees every line before the next is
// written.
func TestSendLinesStreams(t *testing.T) {
	target := testbroker.Embedded(t)
	q := testbroker.Unique(t, "/queue/")
	listener := start(t, target, "listen", q)
	listener.expect("^Subscribing to ")
	sender := start(t, target, "send", q, "--lines")
	for _, line := range []string{"first line", "second line", "third line"} {
		sender.send(line)
		listener.expect("^" + line + "$")
	}
	if code := sender.finish(); code != 0 {
		t.Fatalf("send --lines exit %d, stderr: %s", code, sender.errText())
	}
}
