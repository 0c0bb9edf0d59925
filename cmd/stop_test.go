package cmd_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// stopRig is the stomp binary (built without -race, so the runs are as
// fast as a user's) and an embedded broker of its own, for runs that a
// test stops with a signal while messages flow.
type stopRig struct {
	t    *testing.T
	bin  string
	conn []string // -H and -P of the broker
}

// plainStomp builds the stomp binary without -race for a test that runs
// it as a process of its own, at a user's speed and memory (the stomp on
// $PATH is this test binary, with -race under make test); it skips the
// test under -short.
func plainStomp(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := testbin.Build(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func newStopRig(t *testing.T) *stopRig {
	t.Helper()
	bin := plainStomp(t)
	host, port, _ := strings.Cut(startServeShell(t, bin, "", "--listen", "127.0.0.1:0").addr(), ":")
	return &stopRig{t: t, bin: bin, conn: []string{"-H", host, "-P", port}}
}

// command is stomp with args, connected to the rig's broker.
func (r *stopRig) command(args ...string) *exec.Cmd {
	return exec.Command(r.bin, append(append([]string{}, r.conn...), args...)...)
}

// fill sends the lines 1..n to dest, each with headers.
func (r *stopRig) fill(dest string, n int, headers ...string) {
	r.t.Helper()
	var lines strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&lines, "%d\n", i)
	}
	args := []string{"send", dest, "--lines"}
	for _, h := range headers {
		args = append(args, "--header", h)
	}
	send := r.command(args...)
	send.Stdin = strings.NewReader(lines.String())
	if out, err := send.CombinedOutput(); err != nil {
		r.t.Fatalf("send: %v\n%s", err, out)
	}
}

// purge empties dest and says how many messages it held.
func (r *stopRig) purge(dest string) int {
	r.t.Helper()
	out, err := r.command("purge", dest).CombinedOutput()
	var n int
	if _, serr := fmt.Sscanf(string(out), "purged %d message(s)", &n); err != nil || serr != nil {
		r.t.Fatalf("purge %s: %v %v\n%s", dest, err, serr, out)
	}
	return n
}

// take consumes every message on dest (the queue holds no more once none
// came for a second) and returns their bodies.
func (r *stopRig) take(dest string) []string {
	r.t.Helper()
	out, err := r.command("listen", dest, "--timeout", "1s", "--format", "raw").Output()
	if err != nil {
		r.t.Fatalf("listen %s: %v\n%s", dest, err, out)
	}
	return strings.Fields(string(out))
}

// watch starts cmd with its standard output read line by line: each line
// goes to seen, which is closed when the output ends. Standard error is
// returned.
func watch(t *testing.T, cmd *exec.Cmd) (seen <-chan string, stderr *testbin.Buffer) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = startCollectingErrors(t, cmd)
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return lines, stderr
}

// feed starts cmd with its standard input a pipe the test writes to, and
// returns it and standard error.
func feed(t *testing.T, cmd *exec.Cmd) (stdin io.WriteCloser, stderr *testbin.Buffer) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	return stdin, startCollectingErrors(t, cmd)
}

// startCollectingErrors starts cmd with its standard error going to the
// buffer returned; a process the test did not wait for is killed at its end.
func startCollectingErrors(t *testing.T, cmd *exec.Cmd) *testbin.Buffer {
	t.Helper()
	stderr := &testbin.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return stderr
}

// exitCode waits for cmd and returns its exit code; it fails the test if
// cmd has not ended within a minute (a stop it ignored).
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end within a minute of its stop", strings.Join(cmd.Args[5:], " "))
	}
	return cmd.ProcessState.ExitCode()
}

// duplicates lists the bodies seen more than once.
func duplicates(bodies []string) []string {
	seen, dup := map[string]bool{}, []string{}
	for _, b := range bodies {
		if seen[b] {
			dup = append(dup, b)
		}
		seen[b] = true
	}
	return dup
}

// Every kind of run stopped by a signal while messages flow keeps the
// delivery promises: what it says the broker confirmed is on the queue,
// exactly; a message it handled is acked, and one it did not is given
// back; its exit code is the table's (a sender stopped before its input
// ended: 130 or 143; a consumer, which is meant to end that way: 0); and
// no Go error text shows.
func TestStoppedRunsKeepTheirPromises(t *testing.T) {
	r := newStopRig(t)

	// send --lines stopped mid-stream says how many messages the broker
	// confirmed, and exactly those, the first lines of its input, are on
	// the queue. Before, it said only "stomp: interrupted".
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run("send --lines "+sig.String(), func(t *testing.T) {
			dest := testbroker.Unique(t, "")
			send := r.command("send", dest, "--lines")
			stdin, stderr := feed(t, send)
			// Lines without end: once 20,000 went into the pipe, the
			// sender has read most of them (a pipe holds 64 KiB).
			for i := 1; ; i++ {
				if _, err := fmt.Fprintf(stdin, "%d\n", i); err != nil {
					break // it stopped reading
				}
				if i == 20000 {
					_ = send.Process.Signal(sig)
				}
			}
			code := exitCode(t, send)
			m := regexp.MustCompile(`^stomp: (interrupted|terminated): (\d+) message\(s\) sent, all confirmed by the broker; the rest were not sent\n$`).FindStringSubmatch(stderr.String())
			if want := map[os.Signal]int{os.Interrupt: 130, syscall.SIGTERM: 143}[sig]; code != want || m == nil {
				t.Fatalf("stopped with %v: exit %d, want %d, and a line saying how many were confirmed:\n%s", sig, code, want, stderr)
			}
			confirmed, _ := strconv.Atoi(m[2])
			got := r.take(dest)
			if len(got) != confirmed {
				t.Fatalf("it said %d message(s) were confirmed; the queue had %d", confirmed, len(got))
			}
			for i, body := range got {
				if body != strconv.Itoa(i+1) {
					t.Fatalf("message %d on the queue is %q, want line %d of the input", i+1, body, i+1)
				}
			}
		})
	}

	// A run reading a pipe that has gone quiet (tail -f | stomp send
	// --lines, a script piped in) stops at SIGTERM, and what it sent is
	// confirmed. Before, it waited for the pipe's writer, here for ever.
	for _, c := range []struct {
		name string
		args func(dest string) []string
		line func(dest string, n int) string
		want string
	}{
		{"send --lines", func(dest string) []string { return []string{"send", dest, "--lines"} },
			func(_ string, n int) string { return strconv.Itoa(n) },
			`^stomp: terminated: 3 message\(s\) sent, all confirmed by the broker; the rest were not sent\n$`},
		{"script", func(string) []string { return []string{"-F", "-"} },
			func(dest string, n int) string { return fmt.Sprintf("send %s %d", dest, n) },
			`^stomp: terminated: 3 message\(s\) sent, all confirmed by the broker; the rest of the script was not run\n$`},
	} {
		t.Run("quiet input "+c.name, func(t *testing.T) {
			dest := testbroker.Unique(t, "")
			run := r.command(c.args(dest)...)
			stdin, stderr := feed(t, run)
			defer stdin.Close() // only once the run ended
			for i := 1; i <= 3; i++ {
				fmt.Fprintln(stdin, c.line(dest, i))
			}
			// Once a consumer got the three, the run waits for a fourth.
			if out, err := r.command("listen", dest, "--count", "3", "--format", "raw").Output(); err != nil || string(out) != "1\n2\n3\n" {
				t.Fatalf("listen: %v\n%s", err, out)
			}
			_ = run.Process.Signal(syscall.SIGTERM)
			code := exitCode(t, run)
			if code != 143 || !regexp.MustCompile(c.want).MatchString(stderr.String()) {
				t.Fatalf("exit %d, want 143 and %s:\n%s", code, c.want, stderr)
			}
			if got := r.purge(dest); got != 0 {
				t.Errorf("%d message(s) more on the queue, want none", got)
			}
		})
	}

	// shovel stopped mid-flow exits 0 ("Moved N message(s)"), and each
	// message is at the source or the destination, once. Before, the copy
	// in flight was confirmed after the stop but the wait for its receipt
	// had given up: exit 130 and that message in both places.
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run("shovel "+sig.String(), func(t *testing.T) {
			const total = 20000
			src, dst := testbroker.Unique(t, "/queue/src-"), testbroker.Unique(t, "/queue/dst-")
			r.fill(src, total)
			// A listener on the destination says when messages flow.
			listener := r.command("listen", dst, "--format", "raw")
			arrived, _ := watch(t, listener)
			shovel := r.command("shovel", src, dst)
			out := &testbin.Buffer{}
			shovel.Stdout, shovel.Stderr = out, out
			if err := shovel.Start(); err != nil {
				t.Fatal(err)
			}
			var shown []string
			for body := range arrived {
				shown = append(shown, body)
				if len(shown) == 2000 {
					break
				}
			}
			_ = shovel.Process.Signal(sig)
			code := exitCode(t, shovel)
			m := regexp.MustCompile(`Moved (\d+) message\(s\)\n$`).FindStringSubmatch(out.String())
			if code != 0 || m == nil || strings.Contains(out.String(), "stomp:") {
				t.Fatalf("shovel stopped with %v: exit %d, want 0 and 'Moved N message(s)' alone:\n%s", sig, code, out)
			}
			_ = listener.Process.Signal(syscall.SIGTERM) // it acks what it showed
			for body := range arrived {
				shown = append(shown, body)
			}
			if code := exitCode(t, listener); code != 0 {
				t.Fatalf("listener: exit %d", code)
			}
			moved, _ := strconv.Atoi(m[1])
			atDst := shown
			atDst = append(atDst, r.take(dst)...)
			left := r.purge(src)
			if dup := duplicates(atDst); len(dup) > 0 || len(atDst) != moved || left+moved != total {
				t.Errorf("moved %d, the destination got %d (%d twice: %.10v), the source kept %d: want each of %d messages in one place",
					moved, len(atDst), len(dup), dup, left, total)
			}
		})
	}

	// purge stopped mid-queue says how many messages it removed, and that
	// is how many left the queue. Before, its last ack waited for a
	// receipt that came behind the messages still flowing, which nobody
	// read: after --receipt-timeout it failed, saying only "interrupted".
	// (-V traces each ACK: the stop comes once a thousand went out.)
	t.Run("purge", func(t *testing.T) {
		const total = 100000
		dest := testbroker.Unique(t, "")
		r.fill(dest, total)
		purge := r.command("-V", "--receipt-timeout", "3s", "purge", dest)
		trace, stderr := watch(t, purge)
		acks, purged := 0, -1
		for line := range trace {
			if line == "Sending ACK" {
				if acks++; acks == 1000 {
					_ = purge.Process.Signal(os.Interrupt)
				}
			}
			_, _ = fmt.Sscanf(line, "purged %d message(s)", &purged)
		}
		if code := exitCode(t, purge); code != 130 || purged < 0 || stderr.String() != "stomp: interrupted\n" {
			t.Fatalf("purge stopped after %d acks: exit %d, want 130, 'purged N message(s)' and 'interrupted' (%d):\n%s", acks, code, purged, stderr)
		}
		if left := r.purge(dest); purged+left != total {
			t.Errorf("purged %d + %d left = %d, want %d", purged, left, purged+left, total)
		}
	})

	// reply stopped while requests flow exits 0; a request is answered
	// and acked, or given back unanswered: never answered twice. Before,
	// an answer sent after the stop could have its ack dropped ('context
	// canceled'): the request came back and was answered again. The
	// requests are shown as they come: a pipe we read slowly paces the
	// echo, and a command per request paces --command, so the stop comes
	// mid-flow.
	for _, c := range []struct {
		name string
		args []string
	}{
		{"reply", nil},
		{"reply --command", []string{"--command", "cat"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const total = 2000
			requests, replies := testbroker.Unique(t, "/queue/requests-"), testbroker.Unique(t, "/queue/replies-")
			r.fill(requests, total, "reply-to="+replies)
			reply := r.command(append([]string{"reply", requests}, c.args...)...)
			shown, stderr := watch(t, reply)
			n := 0
			for line := range shown {
				if _, err := strconv.Atoi(line); err != nil {
					continue // a header, a blank line
				}
				if n++; n == 300 {
					_ = reply.Process.Signal(syscall.SIGTERM)
				}
			}
			if code := exitCode(t, reply); code != 0 || n < 300 || strings.Contains(stderr.String(), "stomp:") {
				t.Fatalf("reply stopped after %d requests: exit %d, want 0 and no error:\n%s", n, code, stderr)
			}
			answers := r.take(replies)
			left := r.purge(requests)
			if dup := duplicates(answers); len(dup) > 0 || left+len(answers) != total {
				t.Errorf("%d answers (%d twice: %.10v) + %d requests left = %d, want %d",
					len(answers), len(dup), dup, left, left+len(answers), total)
			}
		})
	}
}
