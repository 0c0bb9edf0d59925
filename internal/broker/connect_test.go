package broker

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

func TestVersionNegotiation(t *testing.T) {
	b := startBroker(t, Config{HeartBeat: 5 * time.Second})
	for _, tc := range []struct{ accept, want string }{
		{"", "1.0"},
		{"1.0", "1.0"},
		{"1.1", "1.1"},
		{"1.0,1.1", "1.1"},
		{"1.2,1.0", "1.2"},
		{"1.0,1.1,1.2", "1.2"},
		{"1.1, 1.2, 2.0", "1.2"},
	} {
		for _, cmd := range []string{frame.CONNECT, frame.STOMP} {
			c := dial(t, b)
			var h []string
			if tc.accept != "" {
				h = []string{frame.AcceptVersion, tc.accept}
			}
			c.send(cmd, nil, h...)
			f := c.expect(frame.CONNECTED)
			if got := f.Header.Get(frame.Version); got != tc.want {
				t.Errorf("%s accept-version %q: version %q, want %q", cmd, tc.accept, got, tc.want)
			}
			if s := f.Header.Get(frame.Server); !strings.HasPrefix(s, "stomp-embedded/") {
				t.Errorf("server header %q", s)
			}
			if f.Header.Get(frame.Session) == "" {
				t.Errorf("no session header: %s", describe(f))
			}
			wantHB := "5000,5000"
			if tc.want == "1.0" {
				wantHB = "0,0" // heart-beating does not exist in STOMP 1.0
			}
			if hb := f.Header.Get(frame.HeartBeat); hb != wantHB {
				t.Errorf("accept-version %q: heart-beat %q, want %q", tc.accept, hb, wantHB)
			}
		}
	}
}

func TestSessionsAreUnique(t *testing.T) {
	b := startBroker(t, Config{})
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		c := dial(t, b)
		c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
		s := c.expect(frame.CONNECTED).Header.Get(frame.Session)
		if seen[s] {
			t.Fatalf("session %q reused", s)
		}
		seen[s] = true
	}
}

func TestNoCommonVersion(t *testing.T) {
	b := startBroker(t, Config{})
	c := dial(t, b)
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "2.0,3.1", frame.Receipt, "r1")
	f := c.expectError("unsupported STOMP version")
	if v := f.Header.Get(frame.Version); v != "1.0,1.1,1.2" {
		t.Errorf("version header %q", v)
	}
	if f.Header.Get(frame.ReceiptId) != "r1" {
		t.Errorf("missing receipt-id: %s", describe(f))
	}
}

func TestLogin(t *testing.T) {
	b := startBroker(t, Config{Login: "guest", Passcode: "s3cret"})
	connect(t, b, "1.2", frame.Login, "guest", frame.Passcode, "s3cret")

	for _, h := range [][]string{
		{},
		{frame.Login, "guest"},
		{frame.Login, "guest", frame.Passcode, "wrong"},
		{frame.Login, "root", frame.Passcode, "s3cret"},
	} {
		c := dial(t, b)
		c.send(frame.CONNECT, nil, append([]string{frame.AcceptVersion, "1.2"}, h...)...)
		f := c.expectError("access refused")
		if len(f.Body) == 0 {
			t.Errorf("ERROR for %v has no explanation", h)
		}
	}
}

// A password with ':' and '\\' logs in whether the client sends it as is
// (the spec for CONNECT, and stomp.py) or escaped (go-stomp's encoder, and
// so stomp's own client); a wrong one is still refused in either form.
func TestLoginWithCharactersTheFrameEscapes(t *testing.T) {
	b := startBroker(t, Config{Login: "a:b", Passcode: `p:w\x`})
	for _, c := range []struct {
		connect string
		ok      bool
	}{
		{"CONNECT\naccept-version:1.2\nlogin:a:b\npasscode:p:w\\x\n\n\x00", true},
		{"CONNECT\naccept-version:1.2\nlogin:a\\cb\npasscode:p\\cw\\\\x\n\n\x00", true},
		{"CONNECT\naccept-version:1.2\nlogin:a:b\npasscode:p\\cw\n\n\x00", false},
		{"CONNECT\naccept-version:1.2\nlogin:a\\cb\npasscode:p:wx\n\n\x00", false},
	} {
		conn := dial(t, b)
		conn.sendRaw(c.connect)
		f, err := conn.read()
		if err != nil {
			t.Fatalf("%q: %v", c.connect, err)
		}
		if ok := f.Command == frame.CONNECTED; ok != c.ok {
			t.Errorf("%q: got %s, want connected %v", c.connect, describe(f), c.ok)
		}
	}
	// What stomp's own client sends: the escaping frame writer.
	connect(t, b, "1.2", frame.Login, "a:b", frame.Passcode, `p:w\x`)
}

func TestFramesBeforeConnect(t *testing.T) {
	b := startBroker(t, Config{})
	c := dial(t, b)
	c.send(frame.SEND, []byte("x"), frame.Destination, "/queue/a", frame.Receipt, "7")
	f := c.expectError("not connected")
	if f.Header.Get(frame.ReceiptId) != "7" {
		t.Errorf("missing receipt-id: %s", describe(f))
	}
}

func TestConnectTwice(t *testing.T) {
	b := startBroker(t, Config{})
	c := connect(t, b, "1.2")
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2")
	c.expectError("already connected")
}

func TestConnectTimeout(t *testing.T) {
	b := startBroker(t, Config{ConnectTimeout: 200 * time.Millisecond})
	c := dial(t, b)
	start := time.Now()
	c.expectError("no CONNECT frame")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestConnectDeadlineCleared: once connected without heart-beats, a
// client may stay silent longer than the CONNECT timeout.
func TestConnectDeadlineCleared(t *testing.T) {
	b := startBroker(t, Config{ConnectTimeout: 100 * time.Millisecond, HeartBeat: time.Second})
	c := connect(t, b, "1.2", frame.HeartBeat, "0,0")
	c.expectNothing(300 * time.Millisecond)
	c.send(frame.BEGIN, nil, frame.Transaction, "t", frame.Receipt, "alive")
	c.expectReceipt("alive")
}

func TestHeartBeatTimeoutDropsSilentClient(t *testing.T) {
	b := startBroker(t, Config{HeartBeat: 100 * time.Millisecond})
	c := dial(t, b)
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2", frame.HeartBeat, "100,0")
	c.expect(frame.CONNECTED)
	start := time.Now()
	// Say nothing: the broker must give up after about 2 x 100 ms.
	c.expectError("heart-beat timeout")
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("dropped after %v, want about 200ms", d)
	}
}

func TestHeartBeatsKeepClientAlive(t *testing.T) {
	b := startBroker(t, Config{HeartBeat: 100 * time.Millisecond})
	c := dial(t, b)
	// The client wants beats from the broker every 100 ms and sends its own.
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2", frame.HeartBeat, "100,100")
	c.expect(frame.CONNECTED)
	buf := make([]byte, 64)
	eols := 0
	deadline := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(deadline) {
		c.sendRaw("\n")
		c.nc.SetReadDeadline(time.Now().Add(60 * time.Millisecond))
		n, _ := c.nc.Read(buf)
		for _, x := range buf[:n] {
			if x != '\n' {
				t.Fatalf("unexpected byte %q while idle", x)
			}
			eols++
		}
	}
	if eols < 3 {
		t.Errorf("got %d heart-beat EOLs from the broker in 600ms, want >= 3", eols)
	}
	// Still connected after 6 grace periods thanks to our EOLs.
	c.send(frame.BEGIN, nil, frame.Transaction, "t", frame.Receipt, "alive")
	c.expectReceipt("alive")
}

func TestHeartBeatNegotiation(t *testing.T) {
	for _, tc := range []struct {
		client, bcfg time.Duration
		hb           string
		wantTimeout  time.Duration // 0: no read deadline
	}{
		{bcfg: 50 * time.Millisecond, hb: "0,0"},
		{bcfg: 50 * time.Millisecond, hb: "100,0", wantTimeout: 200 * time.Millisecond},
		{bcfg: 150 * time.Millisecond, hb: "50,0", wantTimeout: 300 * time.Millisecond},
		{bcfg: 0, hb: "50,50"},
	} {
		b := startBroker(t, Config{HeartBeat: tc.bcfg})
		c := dial(t, b)
		c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.1", frame.HeartBeat, tc.hb)
		c.expect(frame.CONNECTED)
		if tc.wantTimeout == 0 {
			c.expectNothing(300 * time.Millisecond)
			continue
		}
		start := time.Now()
		c.expectError("heart-beat timeout")
		if d := time.Since(start); d < tc.wantTimeout*3/4 || d > tc.wantTimeout+time.Second {
			t.Errorf("hb %s broker %v: dropped after %v, want about %v", tc.hb, tc.bcfg, d, tc.wantTimeout)
		}
	}
}

func TestInvalidHeartBeatHeader(t *testing.T) {
	b := startBroker(t, Config{HeartBeat: time.Second})
	c := dial(t, b)
	c.send(frame.CONNECT, nil, frame.AcceptVersion, "1.2", frame.HeartBeat, "soon")
	c.expectError("invalid heart-beat")
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		spec, login string
		ok          bool
	}{
		{"127.0.0.1:61613", "", true},
		{"127.8.9.10:0", "", true},
		{"[::1]:61613", "", true},
		{"localhost:61613", "", true},
		{"tcp://127.0.0.1:61613", "", true},
		{"ws://127.0.0.1:15674/ws", "", true},
		{"ws://localhost:15674", "", true},
		{"ssl://[::1]:61614", "", true},
		{"wss://127.0.0.1:15673/stomp", "", true},
		{"0.0.0.0:61613", "", false},
		{":61613", "", false},
		{"192.168.1.5:61613", "", false},
		{"example.com:61613", "", false},
		{"ws://0.0.0.0:15674/ws", "", false},
		{"ssl://192.168.1.5:61614", "", false},
		{"tcp://:61613", "", false},
		{"0.0.0.0:61613", "admin", true},
		{"ws://0.0.0.0:15674/ws", "admin", true},
	} {
		err := CheckListen(tc.spec, tc.login)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %q) = %v", tc.spec, tc.login, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "refusing to listen on "+tc.spec+" without --user/--password: ") {
			t.Errorf("message %q", err)
		}
	}
	for _, spec := range []string{"nonsense", "http://127.0.0.1:80/", "ws://127.0.0.1/ws", "tcp://127.0.0.1:1/path", "ws://u:p@127.0.0.1:1/ws",
		"127.0.0.1:99999", "ws://127.0.0.1:65536/ws", "127.0.0.1:-1", "127.0.0.1:http"} {
		err := CheckListen(spec, "")
		if err == nil || !strings.HasPrefix(err.Error(), "listen address "+strconv.Quote(spec)+": ") {
			t.Errorf("CheckListen(%q) = %v, want a listen address error", spec, err)
		}
	}
}
