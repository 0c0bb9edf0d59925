package ptytest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// An escape-laden message: it retitles the terminal (OSC 0), clears it
// (CSI 2J), rings the bell and writes the clipboard (OSC 52).
const (
	evilBody   = "hi\x1b]0;pwned\x07there\x1b[2J\x07"
	evilHeader = "a\x1b]52;c;cHduZWQ=\x07b"
	shownBody  = "hi^[]0;pwned^Gthere^[[2J^G"
	shownHdr   = "x-evil: a^[]52;c;cHduZWQ=^Gb"
)

// runStomp runs a second stomp client with args and returns its standard
// output: a pipe, not a terminal.
func runStomp(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, stompBin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "NO_COLOR=1", "PATH=" + os.Getenv("PATH")}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stomp %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out
}

// startBroker starts an embedded broker for this test and returns the
// flags that connect to it.
func startBroker(t *testing.T) []string {
	t.Helper()
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	host, port, _ := strings.Cut(b.Addr(), ":")
	return []string{"-H", host, "-P", port}
}

// title is the pane's title: an OSC 0 that reached the terminal sets it.
func (tm *Term) title() string {
	return strings.TrimSpace(tm.tmux("display-message", "-p", "#{pane_title}"))
}

// TestEscapesShownNotObeyed: a body and a header full of terminal escapes
// show as visible escapes in the shell (-V shows the header) and in -L on a
// terminal, and the terminal's title is untouched; --format raw into a pipe
// gives the bytes back exactly.
func TestEscapesShownNotObeyed(t *testing.T) {
	sh := startShell(t, NewEnv(t), target{name: testbroker.NameEmbedded}, "-V")
	sh.subscribe(t, "/queue/evil")
	runStomp(t, append(append([]string{}, sh.conn...), "send", "/queue/evil", evilBody, "--header", "x-evil="+evilHeader)...)
	sh.WaitScrollback(shownBody)
	sh.WaitScrollback(shownHdr)
	if strings.Contains(sh.title(), "pwned") {
		t.Errorf("the message retitled the terminal: %q", sh.title())
	}

	conn := startBroker(t)
	tm := Start(t, NewEnv(t), append(append([]string{}, conn...), "-L", "/queue/evil-l", "-q", "-V")...)
	// -q: nothing to wait for but a quiet screen; send until it shows.
	time.Sleep(300 * time.Millisecond)
	runStomp(t, append(append([]string{}, conn...), "send", "/queue/evil-l", evilBody, "--header", "x-evil="+evilHeader)...)
	tm.WaitScrollback(shownBody)
	tm.WaitScrollback(shownHdr)
	if strings.Contains(tm.title(), "pwned") {
		t.Errorf("the message retitled the terminal: %q", tm.title())
	}

	runStomp(t, append(append([]string{}, conn...), "send", "/queue/evil-raw", evilBody, "--header", "x-evil="+evilHeader)...)
	got := runStomp(t, append(append([]string{}, conn...), "listen", "/queue/evil-raw", "--count", "1", "--format", "raw")...)
	if want := []byte(evilBody + "\n"); !bytes.Equal(got, want) {
		t.Errorf("--format raw into a pipe: got %q, want %q", got, want)
	}
	runStomp(t, append(append([]string{}, conn...), "send", "/queue/evil-raw", evilBody, "--header", "x-evil="+evilHeader)...)
	got = runStomp(t, append(append([]string{}, conn...), "listen", "/queue/evil-raw", "--count", "1", "--format", "{{index .Headers \"x-evil\"}}")...)
	if want := []byte(evilHeader + "\n"); !bytes.Equal(got, want) {
		t.Errorf("a template into a pipe: got %q, want %q", got, want)
	}
}

// TestSendSaysWhatItWaitsFor: `stomp send DEST` on a terminal says it
// reads the body (on standard error), then sends what was typed.
func TestSendSaysWhatItWaitsFor(t *testing.T) {
	conn := startBroker(t)
	tm := Start(t, NewEnv(t), append(append([]string{}, conn...), "send", "/queue/typed")...)
	tm.WaitContains("stomp: type the message body, then Ctrl-D on a new line to send it")
	tm.Line("typed by hand")
	tm.Keys("C-d")
	if code := tm.Exited(); code != 0 {
		t.Fatalf("stomp send exited %d:\n%s", code, tm.Dump())
	}
	got := runStomp(t, append(append([]string{}, conn...), "listen", "/queue/typed", "--count", "1", "--format", "raw")...)
	if want := "typed by hand\n\n"; string(got) != want {
		t.Errorf("sent %q, want %q", got, want)
	}

	// With --delimiter it names the byte that ends each message.
	tm = Start(t, NewEnv(t), append(append([]string{}, conn...), "send", "/queue/typed", "-D", ",")...)
	tm.WaitContains("stomp: type messages, each ended by ',', then Ctrl-D to end")
	tm.Type("one,two")
	tm.Keys("C-d")
	tm.Keys("C-d") // the first ends the line without a newline; the second ends the input
	if code := tm.Exited(); code != 0 {
		t.Fatalf("stomp send -D , exited %d:\n%s", code, tm.Dump())
	}
	got = runStomp(t, append(append([]string{}, conn...), "listen", "/queue/typed", "--count", "2", "--format", "raw")...)
	if want := "one\ntwo\n"; string(got) != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// TestHintsWhileTyping: after a command's name the shell shows its
// arguments (dimmed), and each disappears as its word is typed; the
// cursor stays at the end of what was typed.
func TestHintsWhileTyping(t *testing.T) {
	sh := inProcessShell(t, NewEnv(t), target{name: testbroker.NameEmbedded})
	steps := []struct{ typed, shown string }{
		{"send", "send"}, // sendfile, sendrec, ... begin with it too
		{" ", "send <destination> <message>"},
		{"/queue/hint", "send /queue/hint <message>"},
		{" ", "send /queue/hint <message>"},
		{"hello", "send /queue/hint hello"},
	}
	typed := ""
	for _, st := range steps {
		sh.Type(st.typed)
		typed += st.typed
		want := prompt + st.shown
		sh.Wait(fmt.Sprintf("the line %q with the cursor after %q", want, typed), func(s []string) bool {
			x, y := sh.Cursor()
			return lastNonBlank(s) == want && y == lastNonBlankRow(s) && x == len(prompt+typed)
		})
	}
	// Enter: the line is kept as typed, without a hint.
	sh.Keys("C-u")
	sh.Type("wait")
	sh.WaitContains(prompt + "wait <count> [timeout]")
	sh.Keys("Enter")
	sh.WaitScrollback(prompt + "wait")
	sh.WaitPrompt("")
}

// TestJSONPrettyInTheShell: a JSON body is indented in the interactive
// shell (scripts and pipes get it as sent: see habits_output.txtar).
func TestJSONPrettyInTheShell(t *testing.T) {
	sh := inProcessShell(t, NewEnv(t), target{name: testbroker.NameEmbedded})
	sh.subscribe(t, "/queue/json")
	runStomp(t, append(append([]string{}, sh.conn...), "send", "/queue/json", `{"order":17,"items":["tea"]}`)...)
	sh.WaitScrollback(`  "order": 17,`)
	sh.WaitScrollback(`    "tea"`)
}
