package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/internal/testing/faultproxy"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestStatsCountConnections: `stats` counts the connections the session
// opened and lost; a reconnect (the proxy resets the connection) shows as
// one more of each, and the frames sent on the lost connection still count.
func TestStatsCountConnections(t *testing.T) {
	target := testbroker.Embedded(t)
	proxy, err := faultproxy.New(target.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	ctx := context.Background()
	sess, err := session.Open(ctx, session.Config{
		Brokers:        []client.Endpoint{{Host: proxy.Host(), Port: proxy.Port()}},
		ConnectTimeout: 5 * time.Second, ReceiptTimeout: 5 * time.Second,
		Reconnect: &session.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut iostreams.Buffer
	env := NewEnv(NewPrinter(&out, &errOut, render.NewTheme(false)), sess, render.Style{}, "stomp test")
	r := env.Receive(Hooks{Interactive: true})
	t.Cleanup(func() { env.Finish(r) })
	spec, _ := Commands().Lookup("stats")
	stats := func(args ...string) string {
		t.Helper()
		before := len(out.String())
		if err := spec.Run(ctx, &Call{Spec: spec, Env: env, Args: args}); err != nil {
			t.Fatalf("stats %v: %v", args, err)
		}
		return out.String()[before:]
	}

	stats("on")
	if err := sess.Send(ctx, "/queue/stats", []byte("one"), session.SendOptions{Receipt: true}); err != nil {
		t.Fatal(err)
	}
	got := stats()
	if !strings.Contains(got, "Connections: 0\nDisconnects: 0\nMessages sent: 1\n") {
		t.Fatalf("before the reset:\n%s", got)
	}

	proxy.ResetAll()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "reconnected after") {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect; stderr:\n%s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := sess.Send(ctx, "/queue/stats", []byte("two"), session.SendOptions{Receipt: true}); err != nil {
		t.Fatal(err)
	}
	// The message sent on the lost connection still counts.
	got = stats()
	if !strings.Contains(got, "Connections: 1\nDisconnects: 1\nMessages sent: 2\n") {
		t.Fatalf("after the reset:\n%s\nstderr:\n%s", got, errOut.String())
	}
}
