package cmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestBenchConnectsLikeEverythingElse: stomp bench's many connections are
// made with the shared connection flags, so TLS and WebSocket work as they
// do for the other modes: against RabbitMQ and ActiveMQ over TLS, RabbitMQ
// web-stomp, and stomp serve over wss://. (URLs, --context and failover are
// in testdata/script/bench.txtar.)
func TestBenchConnectsLikeEverythingElse(t *testing.T) {
	dir := t.TempDir()
	bench := func(t *testing.T, env []string, args ...string) {
		t.Helper()
		q := testbroker.Unique(t, "/queue/")
		r := runStomp(t, dir, env, "", append([]string{"bench", "--pub", "2", "--sub", "2", "--msgs", "100", "--destination", q}, args...)...)
		wantRun(t, r, 0, "")
		if !strings.Contains(r.stdout, "Received 100 (of 100 sent); lost 0, duplicated 0") {
			t.Errorf("stomp bench %s:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
	for _, name := range []string{testbroker.NameRabbitMQ, testbroker.NameActiveMQ} {
		t.Run(name+"-tls", func(t *testing.T) {
			tg, _ := testbroker.RequireTLS(t, name)
			ca := filepath.Join(testbroker.TLSDir(t), "ca.pem")
			bench(t, []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode},
				"-H", tg.Host, "-P", tg.Port, "--ssl-ca-file", ca)
		})
	}
	t.Run("rabbitmq-ws", func(t *testing.T) {
		u := testbroker.RequireWebSocket(t, testbroker.NameRabbitMQ)
		tg := testbroker.Require(t, testbroker.NameRabbitMQ)
		bench(t, []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode}, u)
	})
	t.Run("serve-wss", func(t *testing.T) {
		ca := newTestCA(t)
		now := time.Now()
		ca.issue(t, "broker", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour), false)
		urls := startServe(t, "--listen", "wss://127.0.0.1:0",
			"--ssl-cert-file", filepath.Join(ca.dir, "broker.pem"), "--ssl-key-file", filepath.Join(ca.dir, "broker.key"))
		bench(t, nil, urls[0], "--ssl-ca-file", ca.pem)
	})
}

// TestBenchInterruptedKeepsWhatItMeasured: Ctrl-C in the middle of a run
// stops publishing, and stomp bench still prints the summary of what it
// measured (saying it was interrupted) and writes --json, then exits 130.
func TestBenchInterruptedKeepsWhatItMeasured(t *testing.T) {
	tg := testbroker.Embedded(t)
	dest := testbroker.Unique(t, "/topic/")
	// A subscriber of our own on the run's topic tells when publishing has
	// begun: the run is measuring from then on.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	watch, err := client.Dial(ctx, client.Endpoint{Host: tg.Host, Port: tg.Port}, 10*time.Second, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	if _, err := watch.Request(ctx, frame.New(frame.SUBSCRIBE, frame.Id, "watch", frame.Destination, dest)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "run.json")
	c := exec.Command("stomp", "-H", tg.Host, "-P", tg.Port, "bench", "--pub", "1", "--sub", "1",
		"--rate", "500", "--duration", "60s", "--destination", dest, "--json", jsonFile)
	c.Env = append(os.Environ(), "HOME="+dir, "NO_COLOR=1")
	var stdout, stderr testbin.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Process.Kill() }()
	select {
	case <-watch.Incoming():
	case <-time.After(30 * time.Second):
		t.Fatalf("stomp bench published nothing:\n%s%s", stdout.String(), stderr.String())
	}
	time.Sleep(1500 * time.Millisecond) // a second or more of measuring
	start := time.Now()
	_ = c.Process.Signal(os.Interrupt)
	err = c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v after Ctrl-C, want 130\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stomp bench took %v to stop after Ctrl-C", d)
	}
	for _, want := range []string{"Interrupted after ", "Publishers:", "Subscribers:", "Received ", "Latency (end to end"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
		}
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatalf("--json: %v", err)
	}
	var res struct {
		Interrupted         bool
		Published, Received int64
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("--json is not valid JSON: %v\n%s", err, data)
	}
	if !res.Interrupted || res.Published == 0 || res.Received == 0 {
		t.Errorf("--json says interrupted %v, published %d, received %d; want an interrupted run that measured messages\n%s",
			res.Interrupted, res.Published, res.Received, data)
	}
}
