package testbroker

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawFrame is a STOMP frame as read off the wire, headers unescaped only as far as these tests need.
type rawFrame struct {
	Command string
	Headers map[string]string
	Body    string
}

// readFrame reads one frame (skipping heart-beat EOLs) terminated by NUL.
func readFrame(r *bufio.Reader) (rawFrame, error) {
	var f rawFrame
	for {
		b, err := r.ReadByte()
		if err != nil {
			return f, err
		}
		if b != '\n' && b != '\r' {
			if err := r.UnreadByte(); err != nil {
				return f, err
			}
			break
		}
	}
	data, err := r.ReadBytes(0)
	if err != nil {
		return f, err
	}
	data = bytes.ReplaceAll(data[:len(data)-1], []byte("\r\n"), []byte("\n"))
	head, body, _ := bytes.Cut(data, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	f.Command = lines[0]
	f.Headers = map[string]string{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		if _, dup := f.Headers[k]; !dup {
			f.Headers[k] = v
		}
	}
	f.Body = string(body)
	return f, nil
}

func connectFrame(tg Target) string {
	var b strings.Builder
	b.WriteString("CONNECT\naccept-version:1.0,1.1,1.2\n")
	host := tg.Vhost
	if host == "" {
		host = tg.Host
	}
	fmt.Fprintf(&b, "host:%s\n", host)
	if tg.Login != "" {
		fmt.Fprintf(&b, "login:%s\npasscode:%s\n", tg.Login, tg.Passcode)
	}
	b.WriteString("heart-beat:0,0\n\n\x00")
	return b.String()
}

// connect performs the CONNECT handshake on conn and fails the test unless the broker says CONNECTED.
func connect(t *testing.T, conn net.Conn, tg Target) *bufio.Reader {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, connectFrame(tg)); err != nil {
		t.Fatalf("%s: write CONNECT: %v", tg.Name, err)
	}
	r := bufio.NewReader(conn)
	f, err := readFrame(r)
	if err != nil {
		t.Fatalf("%s: read reply to CONNECT: %v", tg.Name, err)
	}
	if f.Command != "CONNECTED" {
		t.Fatalf("%s: CONNECT answered with %s %v %q", tg.Name, f.Command, f.Headers, f.Body)
	}
	t.Logf("%s at %s: CONNECTED version=%s server=%q", tg.Name, conn.RemoteAddr(), f.Headers["version"], f.Headers["server"])
	return r
}

// roundTrip subscribes to a fresh queue, sends one message with a receipt and reads both back.
func roundTrip(t *testing.T, conn net.Conn, r *bufio.Reader, tg Target) {
	t.Helper()
	dest := Unique(t, "/queue/")
	body := "hello " + dest
	frames := "SUBSCRIBE\nid:0\ndestination:" + dest + "\nack:auto\nreceipt:sub-0\n\n\x00" +
		"SEND\ndestination:" + dest + "\ncontent-type:text/plain\nreceipt:send-1\n\n" + body + "\x00"
	if _, err := io.WriteString(conn, frames); err != nil {
		t.Fatalf("%s: write: %v", tg.Name, err)
	}
	var gotMsg bool
	receipts := map[string]bool{}
	for !gotMsg || !receipts["sub-0"] || !receipts["send-1"] {
		f, err := readFrame(r)
		if err != nil {
			t.Fatalf("%s: read: %v (message=%v receipts=%v)", tg.Name, err, gotMsg, receipts)
		}
		switch f.Command {
		case "RECEIPT":
			receipts[f.Headers["receipt-id"]] = true
		case "MESSAGE":
			if f.Body != body || f.Headers["subscription"] != "0" {
				t.Fatalf("%s: MESSAGE %v %q, want body %q on subscription 0", tg.Name, f.Headers, f.Body, body)
			}
			gotMsg = true
		default:
			t.Fatalf("%s: unexpected %s %v %q", tg.Name, f.Command, f.Headers, f.Body)
		}
	}
	if _, err := io.WriteString(conn, "DISCONNECT\nreceipt:bye\n\n\x00"); err != nil {
		t.Fatalf("%s: write DISCONNECT: %v", tg.Name, err)
	}
	if f, err := readFrame(r); err != nil || f.Command != "RECEIPT" {
		t.Fatalf("%s: DISCONNECT receipt: %v %v", tg.Name, f.Command, err)
	}
}

// TestAllBrokers runs the same CONNECT + round trip against the embedded broker and every configured
// real one: in CI this proves the real brokers are really up.
func TestAllBrokers(t *testing.T) {
	ts := All(t)
	if len(ts) == 0 || ts[0].Name != NameEmbedded || ts[0].Host != "127.0.0.1" || ts[0].Login != "" {
		t.Fatalf("All() = %+v, want the embedded broker first", ts)
	}
	if len(ts) == 1 {
		t.Log("no real broker configured: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	for _, tg := range ts {
		t.Run(tg.Name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", tg.Addr(), 5*time.Second)
			if err != nil {
				t.Fatalf("%s: dial %s: %v", tg.Name, tg.Addr(), err)
			}
			defer conn.Close()
			r := connect(t, conn, tg)
			roundTrip(t, conn, r, tg)
		})
	}
}

func TestRequireEmbedded(t *testing.T) {
	a, b := Require(t, NameEmbedded), Embedded(t)
	if a.Name != NameEmbedded || a.Addr() == b.Addr() {
		t.Fatalf("Require(embedded) = %+v, Embedded = %+v: want two brokers on different ports", a, b)
	}
}

// TestRealBrokersTLS proves the TLS listeners accept the test client certificate and CONNECT.
func TestRealBrokersTLS(t *testing.T) {
	for _, name := range []string{NameRabbitMQ, NameActiveMQ} {
		t.Run(name, func(t *testing.T) {
			tg, cfg := RequireTLS(t, name)
			d := &net.Dialer{Timeout: 5 * time.Second}
			conn, err := tls.DialWithDialer(d, "tcp", tg.Addr(), cfg)
			if err != nil {
				t.Fatalf("%s: TLS dial %s: %v", name, tg.Addr(), err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			t.Logf("%s: %s, peer %s", name, tls.VersionName(st.Version), st.PeerCertificates[0].Subject)
			r := connect(t, conn, tg)
			roundTrip(t, conn, r, tg)
		})
	}
}

// TestRabbitMQWebSocket proves web-stomp is up: a WebSocket handshake and a STOMP CONNECT in one text
// message (a minimal client: one unfragmented frame each way).
func TestRabbitMQWebSocket(t *testing.T) {
	raw := RequireWebSocket(t, NameRabbitMQ)
	tg := Require(t, NameRabbitMQ)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ws" {
		t.Fatalf("STOMP_TEST_RABBITMQ_WS=%q: want ws://host:port/path (%v)", raw, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n",
		u.RequestURI(), u.Host, key)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(h[:]); got != want {
		t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	t.Logf("web-stomp handshake ok, subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))

	// client frames are masked: FIN|text, MASK|len, mask, payload^mask
	payload := []byte(connectFrame(tg))
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	default:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	}
	hdr = append(hdr, mask[:]...)
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	if _, err := conn.Write(append(hdr, payload...)); err != nil {
		t.Fatal(err)
	}
	var fh [2]byte
	if _, err := io.ReadFull(br, fh[:]); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	n := uint64(fh[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > 1<<16 {
		t.Fatalf("frame of %d bytes", n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(br, msg); err != nil {
		t.Fatal(err)
	}
	if op := fh[0] & 0x0f; op != 1 && op != 2 {
		t.Fatalf("opcode %d, payload %q", op, msg)
	}
	if !bytes.HasPrefix(msg, []byte("CONNECTED\n")) {
		t.Fatalf("web-stomp CONNECT answered with %q", msg)
	}
}

func TestRealFromEnv(t *testing.T) {
	t.Setenv("STOMP_TEST_RABBITMQ", "")
	t.Setenv("STOMP_TEST_ACTIVEMQ", "")
	unsetEnv(t, "STOMP_TEST_RABBITMQ_LOGIN", "STOMP_TEST_RABBITMQ_PASSCODE", "STOMP_TEST_ACTIVEMQ_LOGIN", "STOMP_TEST_ACTIVEMQ_PASSCODE")
	if got := Real(); len(got) != 0 {
		t.Fatalf("Real() with nothing set = %v", got)
	}
	t.Setenv("STOMP_TEST_ACTIVEMQ", "127.0.0.1:61623")
	got := Real()
	want := Target{Name: "activemq", Host: "127.0.0.1", Port: "61623", Login: "admin", Passcode: "admin"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Real() = %+v, want [%+v]", got, want)
	}
	if got[0].Addr() != "127.0.0.1:61623" {
		t.Fatalf("Addr() = %q", got[0].Addr())
	}
	t.Setenv("STOMP_TEST_RABBITMQ", "localhost:5")
	t.Setenv("STOMP_TEST_RABBITMQ_PASSCODE", "secret")
	got = Real()
	want0 := Target{Name: "rabbitmq", Host: "localhost", Port: "5", Login: "guest", Passcode: "secret", Vhost: "/"}
	if len(got) != 2 || got[0] != want0 || got[1].Name != "activemq" {
		t.Fatalf("Real() = %+v", got)
	}
	t.Setenv("STOMP_TEST_RABBITMQ", "no-port")
	if got := Real(); len(got) != 1 {
		t.Fatalf("malformed STOMP_TEST_RABBITMQ kept: %+v", got)
	}
}

func TestRequireSkipsWhenUnset(t *testing.T) {
	t.Setenv("STOMP_TEST_RABBITMQ", "")
	t.Setenv("CI", "") // under CI=true it fails instead (testenv.Missing)
	var reason string
	ok := t.Run("inner", func(t *testing.T) {
		defer func() { reason = fmt.Sprint(t.Skipped()) }()
		Require(t, NameRabbitMQ)
		t.Error("Require returned although STOMP_TEST_RABBITMQ is unset")
	})
	if !ok || reason != "true" {
		t.Fatalf("inner test ok=%v skipped=%s", ok, reason)
	}
}

var uniqueRE = regexp.MustCompile(`^/topic/stomptest-TestUnique-sub_test-x-y-[0-9a-f]{8}$`)

func TestUnique(t *testing.T) {
	t.Run("sub test/x.y", func(t *testing.T) {
		a, b := Unique(t, "/topic/"), Unique(t, "/topic/")
		if !uniqueRE.MatchString(a) {
			t.Fatalf("Unique = %q, want match for %s", a, uniqueRE)
		}
		if a == b {
			t.Fatalf("Unique twice gave %q", a)
		}
		if d := Unique(t, ""); !strings.HasPrefix(d, "/queue/stomptest-") {
			t.Fatalf("Unique(t, \"\") = %q", d)
		}
	})
	long := strings.Repeat("x", 120)
	t.Run(long, func(t *testing.T) {
		if d := Unique(t, "/queue/"); len(d) > len("/queue/stomptest-")+maxNameLen+9 {
			t.Fatalf("Unique too long: %d bytes", len(d))
		}
	})
}

// unsetEnv unsets keys for the duration of the test (restoring them afterwards).
func unsetEnv(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		old, had := os.LookupEnv(k)
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
		if had {
			t.Cleanup(func() { os.Setenv(k, old) })
		}
	}
}
