package broker

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// TestHeaderEscapingRoundTrip sends awkward header names and values from
// 1.1 and 1.2 clients (go-stomp's writer escapes them) and checks they
// come back intact through MESSAGE frames of the same versions.
func TestHeaderEscapingRoundTrip(t *testing.T) {
	b := startBroker(t, Config{})
	for _, ver := range []string{"1.1", "1.2"} {
		values := []string{`a:b`, `back\slash`, "multi\nline", `\n literally`, `all:\of
them`, "::", `\`}
		if ver == "1.2" {
			values = append(values, "carriage\rreturn")
		}
		c := connect(t, b, ver)
		dest := "/queue/esc:" + ver + `\x`
		c.subscribe("s:1", dest, "auto")
		h := []string{frame.Destination, dest}
		for i, v := range values {
			h = append(h, "h"+string(rune('a'+i))+":\\\n", v)
		}
		c.send(frame.SEND, nil, h...)
		m := c.expectMessage("")
		if got := m.Header.Get(frame.Destination); got != dest {
			t.Errorf("%s: destination %q, want %q", ver, got, dest)
		}
		if got := m.Header.Get(frame.Subscription); got != "s:1" {
			t.Errorf("%s: subscription %q", ver, got)
		}
		for i, v := range values {
			if got := m.Header.Get("h" + string(rune('a'+i)) + ":\\\n"); got != v {
				t.Errorf("%s: header %d = %q, want %q", ver, i, got, v)
			}
		}
	}
}

// readRawFrame returns the bytes of the next non-heart-beat frame.
func readRawFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	for {
		s, err := br.ReadString(0)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if s = strings.TrimLeft(s, "\r\n"); s != "" {
			return s
		}
	}
}

// TestEncodingPerVersion checks the bytes on the wire: 1.0 is not
// escaped (newlines, which 1.0 cannot represent, become spaces), 1.1
// escapes \\ \n \c, 1.2 also \r, and CONNECTED is never escaped.
func TestEncodingPerVersion(t *testing.T) {
	b := startBroker(t, Config{})
	value := "a:b\\c\nd\re"
	for _, tc := range []struct{ accept, want string }{
		{"", "x:a:b\\c d e\n"},
		{"1.1", "x:a\\cb\\\\c\\nd\re\n"},
		{"1.2", "x:a\\cb\\\\c\\nd\\re\n"},
	} {
		dest := "/queue/enc" + tc.accept
		p := connect(t, b, "1.2")
		p.send(frame.SEND, nil, frame.Destination, dest, "x", value)
		c := dial(t, b)
		if tc.accept == "" {
			c.sendRaw("CONNECT\n\n\x00")
		} else {
			c.sendRaw("CONNECT\naccept-version:" + tc.accept + "\n\n\x00")
		}
		c.sendRaw("SUBSCRIBE\nid:s\ndestination:" + dest + "\n\n\x00")
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c.nc)
		if f := readRawFrame(t, br); !strings.HasPrefix(f, "CONNECTED\n") {
			t.Fatalf("got %q", f)
		}
		msg := readRawFrame(t, br)
		if !strings.Contains(msg, "\n"+tc.want) {
			t.Errorf("version %q: MESSAGE %q does not contain %q", tc.accept, msg, tc.want)
		}
	}
}

// TestConnectHeadersNotEscaped: CONNECT values are literal, so a passcode
// may contain ':' and '\'.
func TestConnectHeadersNotEscaped(t *testing.T) {
	b := startBroker(t, Config{Login: `us\er`, Passcode: `p:a\ss`})
	c := dial(t, b)
	c.sendRaw("CONNECT\naccept-version:1.2\nlogin:us\\er\npasscode:p:a\\ss\n\n\x00")
	c.expect(frame.CONNECTED)
}

func TestBinaryBody(t *testing.T) {
	b := startBroker(t, Config{})
	body := make([]byte, 0, 1024)
	for i := 0; i < 1024; i++ {
		body = append(body, byte(i%256))
	}
	body = append(body, 0, 0, 0)
	for _, ver := range []string{"", "1.1", "1.2"} {
		c := connect(t, b, ver)
		c.subscribe("s", "/queue/bin"+ver, "auto")
		c.send(frame.SEND, body, frame.Destination, "/queue/bin"+ver, frame.ContentType, "application/octet-stream",
			frame.ContentLength, strconv.Itoa(len(body)))
		m := c.expect(frame.MESSAGE)
		if !bytes.Equal(m.Body, body) {
			t.Fatalf("%q: body differs (%d bytes, want %d)", ver, len(m.Body), len(body))
		}
		if m.Header.Get(frame.ContentLength) != "1027" {
			t.Errorf("content-length %q", m.Header.Get(frame.ContentLength))
		}
		// Without content-length the body ends at the first NUL; the
		// MESSAGE still carries content-length.
		c.sendRaw("SEND\ndestination:/queue/bin" + ver + "\n\nab\x00")
		if m := c.expectMessage("ab"); m.Header.Get(frame.ContentLength) != "2" {
			t.Errorf("content-length %q", m.Header.Get(frame.ContentLength))
		}
	}
}

func TestCRLFFrames(t *testing.T) {
	b := startBroker(t, Config{})
	c := dial(t, b)
	c.sendRaw("\r\n\r\nCONNECT\r\naccept-version:1.2\r\n\r\n\x00\r\n")
	c.expect(frame.CONNECTED)
	c.sendRaw("SUBSCRIBE\r\nid:s\r\ndestination:/queue/crlf\r\n\r\n\x00SEND\r\ndestination:/queue/crlf\r\n\r\nhi\x00")
	c.expectMessage("hi")
}

func TestFrameSizeLimit(t *testing.T) {
	const limit = 4096
	b := startBroker(t, Config{MaxFrameSize: limit})
	want := "frame too large (limit 4096 bytes)"
	big := strings.Repeat("x", limit)

	t.Run("fits", func(t *testing.T) {
		c := connect(t, b, "1.2")
		c.subscribe("s", "/queue/fit", "auto")
		body := big[:limit-200]
		c.send(frame.SEND, []byte(body), frame.Destination, "/queue/fit")
		c.expectMessage(body)
	})
	t.Run("header", func(t *testing.T) {
		c := connect(t, b, "1.2")
		c.send(frame.SEND, nil, frame.Destination, "/queue/x", "big", big)
		c.expectError(want)
	})
	t.Run("many headers", func(t *testing.T) {
		c := connect(t, b, "1.2")
		c.sendRaw("SEND\n" + strings.Repeat("abcdefgh:ijklmnop\n", limit/16) + "\n\x00")
		c.expectError(want)
	})
	t.Run("body with content-length", func(t *testing.T) {
		c := connect(t, b, "1.2")
		// Only the headers are sent: the ERROR must come from the
		// declared length, without waiting for (or allocating) the body.
		c.sendRaw("SEND\ndestination:/queue/x\nreceipt:r\ncontent-length:2000000000\n\n")
		if f := c.expectError(want); f.Header.Get(frame.ReceiptId) != "r" {
			t.Errorf("no receipt-id: %s", describe(f))
		}
	})
	t.Run("content-length beyond 31 bits", func(t *testing.T) {
		c := connect(t, b, "1.2")
		c.sendRaw("SEND\ndestination:/queue/x\ncontent-length:99999999999\n\n")
		c.expectError("invalid content-length")
	})
	t.Run("body without content-length", func(t *testing.T) {
		c := connect(t, b, "1.2")
		c.sendRaw("SEND\ndestination:/queue/x\n\n" + big + "\x00")
		c.expectError(want)
	})
	t.Run("too many headers", func(t *testing.T) {
		b := startBroker(t, Config{MaxHeaders: 10})
		c := connect(t, b, "1.2")
		c.sendRaw("SEND\ndestination:/queue/x\n" + strings.Repeat("a:b\n", 10) + "\n\x00")
		c.expectError("too many headers")
	})
}
