package client

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A lost connection is told in words, with the broker's address once and
// neither the socket's local end nor the system call: "connection reset
// by the broker (127.0.0.1:61613)", not "read tcp
// 127.0.0.1:50522->127.0.0.1:61613: read: connection reset by peer".
func TestLostConnectionInWords(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		name   string
		script func(nc net.Conn, br *bufio.Reader)
		want   string
		is     error
	}{
		{"reset", func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected)
			_ = nc.(*net.TCPConn).SetLinger(0) // close sends RST, not FIN
		}, "connection lost: connection reset by the broker (", syscall.ECONNRESET},
		{"closed", func(nc net.Conn, br *bufio.Reader) {
			_, _ = io.WriteString(nc, connected)
		}, "connection lost: the broker closed the connection", io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, tc.script)
			c := mustConnect(t, h, Options{})
			err := ended(t, c, 5*time.Second)
			wantLost(t, err, tc.want)
			if !errors.Is(err, tc.is) {
				t.Errorf("%q does not wrap %v", err, tc.is)
			}
			msg := err.Error()
			broker := h.ln.Addr().String()
			if tc.name == "reset" && strings.Count(msg, broker) != 1 {
				t.Errorf("%q should name the broker %s once", msg, broker)
			}
			for _, noise := range []string{"read tcp", "->", "by peer", "read:"} {
				if strings.Contains(msg, noise) {
					t.Errorf("%q shows %q", msg, noise)
				}
			}
		})
	}
}
