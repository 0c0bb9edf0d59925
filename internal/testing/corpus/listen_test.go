package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
)

// listenQueued is how many messages wait on the queue when a listener starts (issue 18 saw 101
// printed above the "Subscribing to" line), and listenRedelivered how many of them the broker
// gives back marked redelivered.
const (
	listenQueued      = 101
	listenRedelivered = 3
)

// TestListenMatchesStompPy: `stomp -L` prints what stomp.py's `-L` prints, byte for byte (but the
// ids), on a queue that already holds messages when it subscribes, the first of them
// redelivered: the "Subscribing to" line first, never below messages the broker pushed at once,
// then each message in stomp.py's layout (a blank line, message-id, subscription, the body) with
// no line added for a redelivery, which a program reading that layout would take for the body.
// stomp.py's blank line for the CONNECTED frame is left out (improvement blank-frames).
func TestListenMatchesStompPy(t *testing.T) {
	for _, c := range combos(realTargets(t)) {
		t.Run(c.String(), func(t *testing.T) {
			py, pyQ := listenOnce(t, c, true)
			st, stQ := listenOnce(t, c, false)
			if !strings.HasPrefix(st, "Subscribing to ") {
				t.Errorf("stomp -L printed something before its Subscribing line:\n%s", st)
			}
			py = withoutConnectedLine(t, py)
			if !strings.HasPrefix(py, "Subscribing to ") {
				t.Errorf("stomp.py -L printed something else before its Subscribing line:\n%s", py)
			}
			if got, want := listenView(st, stQ), listenView(py, pyQ); got != want {
				t.Errorf("stomp -L differs from stomp.py -L %s\n--- stomp.py:\n%s\n--- stomp:\n%s", firstDifference(want, got), want, got)
			}
		})
	}
}

// withoutConnectedLine takes out the blank line stomp.py prints for the CONNECTED frame
// (improvement blank-frames). Its receiver thread prints it, so it comes before the Subscribing
// line or, when connect(wait=True) returned first, after it; always before the first message.
func withoutConnectedLine(t *testing.T, py string) string {
	t.Helper()
	head, rest := py, ""
	if i := strings.Index(py, "\nmessage-id: "); i >= 0 {
		head, rest = py[:i], py[i:]
	}
	switch {
	case strings.HasPrefix(head, "\n"):
		head = head[1:]
	case strings.HasSuffix(head, "\n\n"):
		head = head[:len(head)-1]
	default:
		t.Errorf("stomp.py -L printed no blank line for the CONNECTED frame:\n%s", py)
	}
	return head + rest
}

var (
	listenIDRE = regexp.MustCompile(`(?m)^message-id: .*$`)
	// listenedRE is one message shown whole in -L's layout, its body line included: stomp.py
	// writes the body apart from the headers, so a count of headers alone may stop it too soon.
	listenedRE = regexp.MustCompile(`(?m)^message-id: .*\nsubscription: .*\n.*\n`)
)

// listenView is a listener's output up to the end of its last expected message, the queue's
// name and the message ids made the same for both tools.
func listenView(out, queue string) string {
	if ms := listenedRE.FindAllStringIndex(out, -1); len(ms) >= listenQueued {
		out = out[:ms[listenQueued-1][1]]
	}
	out = strings.ReplaceAll(out, queue, "/queue/c-listen")
	return listenIDRE.ReplaceAllString(out, "message-id: <id>")
}

// listenOnce fills a fresh queue (testdata/fill.py) and runs one tool's -L on it, as a stomp.py
// user does (no --count, which makes stomp ack by hand), until it has printed every message, then
// stops it with SIGTERM (stomp.py's -L never stops by itself), and returns what it printed and
// the queue's name. The queue must be empty afterwards.
func listenOnce(t *testing.T, c combo, stomppy bool) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	queue := "/queue/c-listen" + newSuffix()
	fill := exec.CommandContext(ctx, python, filepath.Join(testdataDir(t), "fill.py"), c.tg.Host, c.tg.Port, c.tg.Login, c.tg.Passcode,
		c.tg.Vhost, queue, fmt.Sprint(listenQueued), fmt.Sprint(listenRedelivered))
	out, err := fill.Output()
	if err != nil {
		t.Fatalf("fill.py: %v\n%s", err, stderrOf(err))
	}
	var filled struct{ Redelivered int }
	if err := json.Unmarshal(out, &filled); err != nil {
		t.Fatalf("fill.py printed %q: %v", out, err)
	}
	if filled.Redelivered != listenRedelivered {
		t.Fatalf("%s marked %d of the %d messages it gave back redelivered, want all: the listener would see no redelivery", c.tg.Name, filled.Redelivered, listenRedelivered)
	}

	var cmd *exec.Cmd
	if stomppy {
		cmd = exec.CommandContext(ctx, python, filepath.Join(testdataDir(t), "stomppy_cli.py"), c.tg.Vhost, "-H", c.tg.Host, "-P", c.tg.Port, "-U", c.tg.Login, "-W", c.tg.Passcode, "-S", c.version, "-L", queue)
	} else {
		cmd = exec.CommandContext(ctx, stompBin, append(c.stompArgs(), "-L", queue)...)
	}
	cmd.Env = toolEnv()
	var stdout, stderr testbin.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(listenedRE.FindAllStringIndex(stdout.String(), -1)) < listenQueued && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	werr := cmd.Wait()
	if !stomppy && (werr != nil || stderr.String() != "") {
		t.Errorf("stomp -L stopped by SIGTERM: %v, want exit 0\n%s", werr, stderr.String())
	}
	if n := len(listenedRE.FindAllStringIndex(stdout.String(), -1)); n != listenQueued {
		t.Errorf("%s -L printed %d messages, want %d:\n%s\n%s", cmd.Path, n, listenQueued, stdout.String(), stderr.String())
	}
	if left := drain(ctx, t, c, []string{queue})[queue]; len(left) > 0 {
		t.Errorf("%s -L left %d messages on %s", cmd.Path, len(left), queue)
	}
	return stdout.String(), queue
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// firstDifference says where two outputs part, line by line.
func firstDifference(a, b string) string {
	al, bl := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("at line %d: %q against %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("after line %d: one has %d lines, the other %d", min(len(al), len(bl)), len(al), len(bl))
}
