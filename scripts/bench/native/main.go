// Command native is the minimal go-stomp (github.com/go-stomp/stomp/v3)
// client the benchmark harness measures stomp against: what a Go program
// written directly on the library does, with nothing on top.
//
//	native [flags] connect              connect and disconnect
//	native [flags] server               print the broker's server header
//	native [flags] send DEST N BODY     send N messages, then disconnect (waits for the receipt)
//	native [flags] recv DEST N          receive N messages (-ack auto|client-individual), then disconnect
//	native [flags] drain DEST IDLE      receive until nothing came for IDLE; print the count
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/go-stomp/stomp/v3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:61613", "broker host:port")
	user := flag.String("user", "", "login")
	pass := flag.String("pass", "", "passcode")
	vhost := flag.String("vhost", "/", "CONNECT host header")
	ack := flag.String("ack", "auto", "recv: auto or client-individual")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fail(fmt.Errorf("usage: native [flags] connect, server, send, recv or drain"))
	}
	opts := []func(*stomp.Conn) error{stomp.ConnOpt.Host(*vhost), stomp.ConnOpt.HeartBeat(0, 0)}
	if *user != "" {
		opts = append(opts, stomp.ConnOpt.Login(*user, *pass))
	}
	conn, err := stomp.Dial("tcp", *addr, opts...)
	if err != nil {
		fail(err)
	}
	switch args[0] {
	case "connect":
	case "server":
		fmt.Println(conn.Server())
	case "send":
		n := atoi(args, 2)
		body := []byte(args[3])
		for i := 0; i < n; i++ {
			if err := conn.Send(args[1], "", body); err != nil {
				fail(err)
			}
		}
	case "recv":
		n := atoi(args, 2)
		mode := stomp.AckAuto
		if *ack == "client-individual" {
			mode = stomp.AckClientIndividual
		}
		sub, err := conn.Subscribe(args[1], mode)
		if err != nil {
			fail(err)
		}
		for i := 0; i < n; i++ {
			m := <-sub.C
			if m == nil || m.Err != nil {
				fail(fmt.Errorf("after %d messages: %v", i, m))
			}
			if mode != stomp.AckAuto {
				if err := conn.Ack(m); err != nil {
					fail(err)
				}
			}
		}
		_ = sub.Unsubscribe()
	case "drain":
		idle, err := time.ParseDuration(args[2])
		if err != nil {
			fail(err)
		}
		sub, err := conn.Subscribe(args[1], stomp.AckAuto)
		if err != nil {
			fail(err)
		}
		count := 0
	loop:
		for {
			select {
			case m := <-sub.C:
				if m == nil || m.Err != nil {
					fail(fmt.Errorf("after %d messages: %v", count, m))
				}
				count++
			case <-time.After(idle):
				break loop
			}
		}
		_ = sub.Unsubscribe()
		fmt.Println(count)
	default:
		fail(fmt.Errorf("unknown command %q", args[0]))
	}
	if err := conn.Disconnect(); err != nil {
		fail(err)
	}
}

func atoi(args []string, i int) int {
	if len(args) <= i {
		fail(fmt.Errorf("missing argument %d", i))
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		fail(err)
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "native:", err)
	os.Exit(1)
}
