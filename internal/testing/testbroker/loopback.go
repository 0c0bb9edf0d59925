package testbroker

import (
	"net"
	"testing"
)

// Loopback listens on a free loopback port until the test ends and hands
// each connection it accepts to serve, on a goroutine of its own. It
// returns the address, host:port.
func Loopback(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(nc)
		}
	}()
	return ln.Addr().String()
}
