package cmd_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

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
