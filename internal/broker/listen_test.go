package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wsstream"
	"github.com/stomp-cli/stomp/internal/testing/testpki"
)

// listenerURL returns the URL of b's listener with this scheme.
func listenerURL(t *testing.T, b *Broker, scheme string) string {
	t.Helper()
	for _, u := range b.URLs() {
		if strings.HasPrefix(u, scheme+"://") {
			return u
		}
	}
	t.Fatalf("no %s listener in %v", scheme, b.URLs())
	return ""
}

// dialWS opens a WebSocket to u offering protos, with an Origin header
// when origin is set, and returns a raw client on it with the response.
func dialWS(t *testing.T, u string, tlsCfg *tls.Config, origin string, protos ...string) (*raw, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	opts := &websocket.DialOptions{Subprotocols: protos, HTTPHeader: h}
	if tlsCfg != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(-1)
	nc := wsstream.New(ws, nil, nil)
	t.Cleanup(func() { nc.CloseNow() })
	return &raw{t: t, nc: nc, r: frame.NewReader(nc), w: frame.NewWriter(nc)}, resp, nil
}

// TestWebSocketListener: STOMP over WebSocket next to TCP, the
// subprotocols RabbitMQ web-stomp offers, one frame per message from the
// broker, the path, and who may connect from a browser.
func TestWebSocketListener(t *testing.T) {
	b := startBroker(t, Config{Listen: []string{"127.0.0.1:0", "ws://127.0.0.1:0/stomp"}})
	u := listenerURL(t, b, "ws")
	if !strings.HasSuffix(u, "/stomp") {
		t.Fatalf("ws URL %q", u)
	}
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"v12.stomp", "v11.stomp", "v10.stomp"}, "v12.stomp"},
		{[]string{"v10.stomp", "v11.stomp"}, "v11.stomp"},
		{[]string{"v10.stomp"}, "v10.stomp"},
		{nil, ""},
	} {
		c, resp, err := dialWS(t, u, nil, "", tc.offer...)
		if err != nil {
			t.Fatalf("offer %v: %v", tc.offer, err)
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.want {
			t.Errorf("offer %v: subprotocol %q, want %q", tc.offer, got, tc.want)
		}
		c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
		c.expect(frame.CONNECTED)
	}

	// A TCP producer and a WebSocket consumer, and back.
	ws, _, err := dialWS(t, u, nil, "http://localhost:8080", "v12.stomp")
	if err != nil {
		t.Fatal(err)
	}
	ws.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
	ws.expect(frame.CONNECTED)
	ws.send(frame.SUBSCRIBE, nil, frame.Id, "s", frame.Destination, "/queue/ws", frame.Receipt, "sub")
	ws.expectReceipt("sub")
	tcp := connect(t, b, "1.2")
	tcp.subscribe("t", "/queue/back", "auto")
	for _, body := range []string{"one", "two", strings.Repeat("x", 200<<10)} {
		tcp.send(frame.SEND, []byte(body), frame.Destination, "/queue/ws")
	}
	ws.expectMessage("one")
	ws.expectMessage("two")
	ws.expectMessage(strings.Repeat("x", 200<<10))
	ws.send(frame.SEND, []byte("from ws"), frame.Destination, "/queue/back")
	tcp.expectMessage("from ws")

	// One frame per WebSocket message, even when the broker's writer
	// batches many MESSAGEs into one flush.
	ctx := context.Background()
	wsc, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{"v12.stomp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer wsc.CloseNow()
	for _, f := range []string{"CONNECT\naccept-version:1.2\n\n\x00", "SUBSCRIBE\nid:1\ndestination:/queue/batch\n\n\x00"} {
		if err := wsc.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	var batch strings.Builder
	for i := 0; i < 50; i++ {
		batch.WriteString("SEND\ndestination:/queue/batch\n\nm\x00")
	}
	tcp.sendRaw(batch.String())
	for i := 0; i < 51; i++ { // CONNECTED, then 50 MESSAGEs
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		typ, msg, err := wsc.Read(rctx)
		cancel()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.MessageText || strings.IndexByte(string(msg), 0) != len(msg)-1 {
			t.Fatalf("message %d is not one frame: %q", i, msg)
		}
	}

	// Another path, and pages from elsewhere.
	resp, err := http.Get(strings.Replace(u, "ws://", "http://", 1) + "x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("wrong path: HTTP %d", resp.StatusCode)
	}
	for _, origin := range []string{"https://evil.example", "null", "http://192.168.1.5:8080"} {
		if _, resp, err := dialWS(t, u, nil, origin, "v12.stomp"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %s: err %v, response %v; want 403", origin, err, resp)
		}
	}
	for _, origin := range []string{"http://127.0.0.1:3000", "http://[::1]:3000", "http://localhost"} {
		if _, _, err := dialWS(t, u, nil, origin, "v12.stomp"); err != nil {
			t.Errorf("origin %s: %v", origin, err)
		}
	}
}

// TestWebSocketOriginWithLogin: with a login any page may connect (the
// login guards the broker, as on RabbitMQ), and must log in.
func TestWebSocketOriginWithLogin(t *testing.T) {
	b := startBroker(t, Config{Listen: []string{"ws://127.0.0.1:0"}, Login: "alice", Passcode: "s3cret"})
	u := listenerURL(t, b, "ws")
	if !strings.HasSuffix(u, "/ws") {
		t.Errorf("default path: %q", u)
	}
	c, _, err := dialWS(t, u, nil, "https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2", frame.Login, "alice", frame.Passcode, "wrong")
	c.expectError("access refused")
	c, _, err = dialWS(t, u, nil, "https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2", frame.Login, "alice", frame.Passcode, "s3cret")
	c.expect(frame.CONNECTED)
}

// testCert makes a throwaway CA and a server certificate for loopback.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	ca := testpki.New(t)
	now := time.Now()
	return ca.Issue(t, "broker", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour), false), ca.Pool()
}

// TestTLSListeners: ssl:// and wss:// serve STOMP over TLS, and a
// TLS spec without a certificate is refused at Start.
func TestTLSListeners(t *testing.T) {
	cert, pool := testCert(t)
	if _, err := Start(Config{Listen: []string{"ssl://127.0.0.1:0"}}); err == nil || !strings.Contains(err.Error(), "needs a certificate and key") {
		t.Errorf("ssl without a certificate: %v", err)
	}
	b := startBroker(t, Config{
		Listen: []string{"ssl://127.0.0.1:0", "wss://127.0.0.1:0/ws"},
		TLS:    &tls.Config{Certificates: []tls.Certificate{cert}},
	})
	clientTLS := &tls.Config{RootCAs: pool}
	nc, err := tls.Dial("tcp", strings.TrimPrefix(listenerURL(t, b, "ssl"), "ssl://"), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	ssl := &raw{t: t, nc: nc, r: frame.NewReader(nc), w: frame.NewWriter(nc)}
	ssl.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
	ssl.expect(frame.CONNECTED)
	ssl.subscribe("s", "/queue/tls", "client-individual")

	wss, _, err := dialWS(t, listenerURL(t, b, "wss"), clientTLS, "", "v12.stomp")
	if err != nil {
		t.Fatal(err)
	}
	wss.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
	wss.expect(frame.CONNECTED)
	wss.send(frame.SEND, []byte("over wss"), frame.Destination, "/queue/tls", frame.Receipt, "r")
	wss.expectReceipt("r")
	m := ssl.expectMessage("over wss")
	ssl.send(frame.ACK, nil, frame.Id, m.Header.Get(frame.Ack), frame.Receipt, "a")
	ssl.expectReceipt("a")

	// Plain TCP to the TLS port is not STOMP.
	plain, err := net.Dial("tcp", strings.TrimPrefix(listenerURL(t, b, "ssl"), "ssl://"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.Write([]byte("CONNECT\naccept-version:1.2\n\n\x00"))
	plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	if n, _ := plain.Read(buf); strings.Contains(string(buf[:n]), "CONNECTED") {
		t.Errorf("plain TCP to an ssl:// listener got CONNECTED")
	}
}
