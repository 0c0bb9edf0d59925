package cmd_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// wsScript exercises send, subscribe, client acks and transactions.
const wsScript = `subscribe $Q client-individual
send $Q one
send $Q two
wait 2
begin
send $Q in-tx
commit
wait 3
begin
send $Q aborted
abort
sendrec $Q receipted
wait 4
echo done
`

func writeScript(t *testing.T, dir, q string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "ws.txt"), []byte(strings.ReplaceAll(wsScript, "$Q", q)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkWSRun(t *testing.T, r secResult) {
	t.Helper()
	wantRun(t, r, 0, "")
	for _, body := range []string{"one", "two", "in-tx", "receipted", "done"} {
		if !strings.Contains(r.stdout, "\n"+body+"\n") {
			t.Errorf("no %q in the output:\n%s", body, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "aborted") {
		t.Errorf("an aborted message arrived:\n%s", r.stdout)
	}
}

// TestWebSocketRabbitMQ runs a script over RabbitMQ web-stomp, given as -H
// URL, as the URL argument, and with --ws; the exit code 0 also proves the
// DISCONNECT was taken as clean (RabbitMQ closes the socket instead of
// sending the receipt).
func TestWebSocketRabbitMQ(t *testing.T) {
	u := testbroker.RequireWebSocket(t, testbroker.NameRabbitMQ)
	tg := testbroker.Require(t, testbroker.NameRabbitMQ)
	hostPort := strings.TrimSuffix(strings.TrimPrefix(u, "ws://"), "/ws")
	host, port, _ := net.SplitHostPort(hostPort)
	dir := t.TempDir()
	env := []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode}
	for _, args := range [][]string{
		{"-H", u},
		{u},
		{"--ws", "-H", host, "-P", port},
		{"-S", "1.1", "ws://" + tg.Login + "@" + hostPort + "/ws", "--heartbeats", "200,200"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			writeScript(t, dir, testbroker.Unique(t, "/queue/"))
			r := runStomp(t, dir, env, "", append(args, "-F", "ws.txt")...)
			checkWSRun(t, r)
		})
	}
	t.Run("wrong path", func(t *testing.T) {
		r := runStomp(t, dir, env, "ver\n", "ws://"+hostPort+"/nope")
		wantRun(t, r, 1, `^stomp: cannot connect to ws://\S+/nope: the server answered HTTP "404 Not Found" instead of upgrading to a WebSocket \(check the path: RabbitMQ web-stomp serves /ws\)\n$`)
	})
}

// wssProxy is a TLS web server that upgrades /ws to a WebSocket and
// relays it to a STOMP broker over TCP, recording the subprotocol and
// every message the client sent.
type wssProxy struct {
	srv      *httptest.Server
	mu       sync.Mutex
	protos   []string
	messages []string
}

func startWSSProxy(t *testing.T, cert tls.Certificate, backend string) *wssProxy {
	p := &wssProxy{}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			http.NotFound(w, r)
			return
		}
		p.mu.Lock()
		p.protos = append(p.protos, r.Header.Get("Sec-WebSocket-Protocol"))
		p.mu.Unlock()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp", "v11.stomp", "v10.stomp"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer b.Close()
		ctx := context.Background()
		go func() {
			buf := make([]byte, 32*1024)
			for {
				n, err := b.Read(buf)
				if n > 0 && c.Write(ctx, websocket.MessageText, buf[:n]) != nil {
					return
				}
				if err != nil {
					c.Close(websocket.StatusNormalClosure, "")
					return
				}
			}
		}()
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			p.mu.Lock()
			p.messages = append(p.messages, string(msg))
			p.mu.Unlock()
			if _, err := b.Write(msg); err != nil {
				return
			}
		}
	}))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are on purpose
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

// TestWebSocketTLS runs the script over wss through a TLS-terminating
// proxy to the embedded broker, and checks verification, subprotocols and
// one STOMP frame per WebSocket message.
func TestWebSocketTLS(t *testing.T) {
	tg := testbroker.Embedded(t)
	ca := newTestCA(t)
	now := time.Now()
	p := startWSSProxy(t, ca.issue(t, "wss", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour), false), tg.Addr())
	addr := strings.TrimPrefix(p.srv.URL, "https://")
	dir := t.TempDir()

	writeScript(t, dir, "/queue/wss")
	r := runStomp(t, dir, nil, "", "wss://"+addr+"/ws", "--ssl-ca-file", ca.pem, "--heartbeats", "100,0", "-F", "ws.txt")
	checkWSRun(t, r)
	p.mu.Lock()
	protos, messages := append([]string(nil), p.protos...), append([]string(nil), p.messages...)
	p.mu.Unlock()
	if len(protos) != 1 || protos[0] != "v12.stomp,v11.stomp,v10.stomp" {
		t.Errorf("subprotocols offered: %q", protos)
	}
	frames := 0
	for _, m := range messages {
		switch {
		case m == "\n":
		case strings.IndexByte(m, 0) == len(m)-1:
			frames++
		default:
			t.Errorf("a message that is not one frame: %q", m)
		}
	}
	if frames < 12 || frames != len(messages)-countHeartBeats(messages) {
		t.Errorf("%d frames in %d messages", frames, len(messages))
	}

	_, port, _ := net.SplitHostPort(addr)
	r = runStomp(t, dir, nil, "ver\n", "--ws", "--ssl", "-H", "localhost", "-P", port)
	wantRun(t, r, 1, `^stomp: TLS to wss://localhost:\d+/ws: certificate signed by unknown authority "throwaway-test-ca" \(give its CA with --ssl-ca-file`)
	r = runStomp(t, dir, nil, "ver\n", "wss://"+addr+"/ws", "--ssl-insecure")
	wantRun(t, r, 0, `^stomp: warning: --ssl-insecure`)
	r = runStomp(t, dir, nil, "ver\n", "ws://"+addr+"/ws", "--connect-timeout", "3s")
	wantRun(t, r, 1, `^stomp: cannot connect to ws://`)
}

func countHeartBeats(messages []string) int {
	n := 0
	for _, m := range messages {
		if m == "\n" {
			n++
		}
	}
	return n
}

// TestWebSocketAck acks and nacks over RabbitMQ web-stomp, by the ids the
// messages were shown with, inside a transaction too.
func TestWebSocketAck(t *testing.T) {
	u := testbroker.RequireWebSocket(t, testbroker.NameRabbitMQ)
	tg := testbroker.Require(t, testbroker.NameRabbitMQ)
	q := testbroker.Unique(t, "/queue/")
	s := start(t, tg, "-H", u)
	s.send("subscribe " + q + " client-individual")
	s.send("send " + q + " first")
	id := s.expect(`^message-id: (\S+)`)[1]
	s.expect(`^first$`)
	s.send("nack " + id) // RabbitMQ requeues it
	id2 := s.expect(`^message-id: (\S+)`)[1]
	s.expect(`^first$`)
	s.send("begin")
	s.send("ack " + id2)
	s.send("commit")
	s.send("echo acked")
	s.expect(`^acked$`)
	if code := s.finish(); code != 0 {
		t.Fatalf("exit %d: %s", code, s.errBuf)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "check.txt"), []byte("subscribe "+q+"\nsendrec "+q+" marker\nwait 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runStomp(t, dir, []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode}, "", u, "-F", "check.txt")
	wantRun(t, r, 0, "")
	if strings.Contains(r.stdout, "first") || !strings.Contains(r.stdout, "marker") {
		t.Errorf("the acked message is still there:\n%s", r.stdout)
	}
}

// TestServeListeners runs our client through `stomp serve` over each
// transport: WebSocket (a path of our choosing), TLS and WebSocket over
// TLS with a certificate made here.
func TestServeListeners(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	ca.issue(t, "broker", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour), false)
	urls := startServe(t, "--listen", "127.0.0.1:0", "--listen", "ws://127.0.0.1:0/stomp",
		"--listen", "ssl://127.0.0.1:0", "--listen", "wss://127.0.0.1:0",
		"--ssl-cert-file", filepath.Join(ca.dir, "broker.pem"), "--ssl-key-file", filepath.Join(ca.dir, "broker.key"))
	if len(urls) != 4 || !strings.HasPrefix(urls[0], "tcp://127.0.0.1:") || !strings.HasSuffix(urls[1], "/stomp") ||
		!strings.HasPrefix(urls[2], "ssl://") || !strings.HasSuffix(urls[3], "/ws") {
		t.Fatalf("listening on %q", urls)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{urls[1]},
		{"--ssl", "--ssl-ca-file", ca.pem, "-H", "127.0.0.1", "-P", urls[2][strings.LastIndex(urls[2], ":")+1:]},
		{urls[3], "--ssl-ca-file", ca.pem},
	} {
		t.Run(args[0], func(t *testing.T) {
			writeScript(t, dir, "/queue/serve-"+strings.Split(args[0], ":")[0])
			checkWSRun(t, runStomp(t, dir, nil, "", append(args, "-F", "ws.txt")...))
		})
	}
}

// TestServeListenerErrors: bad --listen and TLS flags get one usage line.
func TestServeListenerErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "ssl://127.0.0.1:0"}, `an ssl:// or wss:// listener needs --ssl-cert-file and --ssl-key-file`},
		{[]string{"--listen", "ws://0.0.0.0:0/ws"}, `refusing to listen on ws://0.0.0.0:0/ws without --user/--password`},
		{[]string{"--listen", "http://127.0.0.1:0"}, `unknown scheme "http"`},
		{[]string{"--ssl-cert-file", "x.pem"}, `give both --ssl-cert-file and --ssl-key-file`},
		{[]string{"--listen", "ssl://127.0.0.1:0", "--ssl-cert-file", "no.pem", "--ssl-key-file", "no.key"}, `cannot load the TLS certificate and key: open no.pem`},
		{[]string{"--max-connections", "0"}, `--max-connections must be at least 1`},
	} {
		r := runStomp(t, dir, nil, "", append([]string{"serve"}, tc.args...)...)
		wantRun(t, r, 2, regexp.QuoteMeta(tc.want))
	}
}
