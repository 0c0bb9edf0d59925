package testbroker

import (
	"io"
	"net"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// Scripted starts a broker on loopback that misbehaves on purpose: on
// each connection it accepts, it gives every frame the client sends
// (CONNECT first) to handle, which returns what to write back, in wire
// form, and whether to hang up afterwards. Heart-beats are ignored.
func Scripted(t *testing.T, handle func(f *frame.Frame) (reply string, hangUp bool)) Target {
	t.Helper()
	addr := Loopback(t, func(nc net.Conn) { serveScripted(nc, handle) })
	host, port, _ := net.SplitHostPort(addr)
	return Target{Name: "scripted", Host: host, Port: port}
}

func serveScripted(nc net.Conn, handle func(f *frame.Frame) (string, bool)) {
	defer nc.Close()
	r := wire.NewReader(nc, wire.Options{MaxFrameSize: 1 << 20, Version: wire.V12})
	for {
		f, err := r.Read()
		if err != nil {
			return
		}
		if f == nil {
			continue
		}
		reply, hangUp := handle(f)
		if _, err := io.WriteString(nc, reply); err != nil || hangUp {
			return
		}
	}
}

// Receipt is the RECEIPT for f if it asked for one, else "".
func Receipt(f *frame.Frame) string {
	if id, ok := f.Header.Contains(frame.Receipt); ok {
		return "RECEIPT\nreceipt-id:" + id + "\n\n\x00"
	}
	return ""
}
