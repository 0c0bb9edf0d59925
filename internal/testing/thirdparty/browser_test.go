package thirdparty

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestBrowser opens testdata/browser.html in a real headless Chromium (Debian's chromium). The
// page, served by an httptest server together with @stomp/stompjs's UMD bundle from node_modules
// (nothing comes from the network), connects over ws:// to the broker, subscribes, and sends a
// message that `stomp listen` must receive; then `stomp send` sends one that the page must show.
//
// The page reports each step by POSTing a line to the test's server, so the test follows it in
// real time. (chromium --dump-dom with a virtual time budget fast-forwards the page's clock but not
// the broker's replies, and the DevTools protocol would need a client library: the reports need
// neither and fail with what the page saw.)
func TestBrowser(t *testing.T) {
	requireTool(t, missingNodeModules())
	requireTool(t, missingChromium())
	for _, tg := range targets(t, true) {
		t.Run(tg.name, func(t *testing.T) { runBrowser(t, tg) })
	}
}

func missingChromium() string {
	if _, err := exec.LookPath("chromium"); err != nil {
		return "chromium is not installed (apt-get install chromium)"
	}
	return ""
}

func runBrowser(t *testing.T, tg target) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	toPage, fromPage := testbroker.Unique(t, "/queue/"), testbroker.Unique(t, "/queue/")
	fromText, toText := "hello from chromium "+randomHex(t), "hello from stomp send "+randomHex(t)

	reports := make(chan string, 64)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(testdataDir, "browser.html"))
	})
	mux.HandleFunc("GET /stomp.umd.min.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(testdataDir, "node_modules", "@stomp", "stompjs", "bundles", "stomp.umd.min.js"))
	})
	mux.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		reports <- string(b)
	})
	mux.HandleFunc("/favicon.ico", http.NotFound)
	web := httptest.NewServer(mux)
	defer web.Close()

	q := url.Values{"ws": {tg.url}, "login": {tg.login}, "passcode": {tg.passcode}, "in": {toPage}, "out": {fromPage}, "text": {fromText}}
	var chromeErr testbin.Buffer
	chrome := startChromium(ctx, t, web.URL+"/?"+q.Encode(), &chromeErr)
	defer chrome()

	var seen []string
	expect := func(want string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case line := <-reports:
				seen = append(seen, line)
				if line == want || strings.HasPrefix(line, want+" ") {
					return
				}
				if strings.Contains(line, "ERROR") {
					t.Fatalf("the page reported %q\npage's reports: %q\nchromium:\n%s", line, seen, chromeErr.String())
				}
			case <-timeout:
				t.Fatalf("the page did not report %q in 20s\npage's reports: %q\nchromium:\n%s", want, seen, chromeErr.String())
			}
		}
	}
	expect("CONNECTED")
	if got := seen[len(seen)-1]; got != "CONNECTED 1.2 v12.stomp" {
		t.Errorf("the page connected as %q, want STOMP 1.2 on the v12.stomp subprotocol", got)
	}
	expect("SUBSCRIBED")
	expect("SENT")

	// The page's message, received by `stomp listen`.
	out := runCLI(ctx, t, nil, append(tg.cli, "listen", fromPage, "--count", "1", "--format", "raw", "--timeout", "20s")...)
	if out != fromText+"\n" {
		t.Errorf("stomp listen got %q, want the page's %q", out, fromText)
	}

	// `stomp send`'s message, shown by the page.
	runCLI(ctx, t, nil, append(tg.cli, "send", toPage, toText)...)
	expect("RECEIVED")
	if got := seen[len(seen)-1]; got != "RECEIVED "+toText {
		t.Errorf("the page received %q, want %q", got, "RECEIVED "+toText)
	}
}

// startChromium opens pageURL in headless Chromium, with a throw-away profile; the returned func
// ends it. As root (CI) it needs --no-sandbox: the sandbox refuses to run as root.
func startChromium(ctx context.Context, t *testing.T, pageURL string, stderr io.Writer) func() {
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-background-networking", "--user-data-dir=" + t.TempDir()}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox")
	}
	cmd := exec.CommandContext(ctx, "chromium", append(args, pageURL)...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	// Chromium starts helper processes: its own group lets the test end all of them, and only them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

// runCLI runs our stomp CLI to completion and returns its stdout; a non-zero exit fails the test.
func runCLI(ctx context.Context, t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, stompBin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = stdin
	var stdout, stderr testbin.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("stomp %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
		t.Errorf("the stomp CLI reported a data race:\n%s", stderr.String())
	}
	return stdout.String()
}

func randomHex(t *testing.T) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
