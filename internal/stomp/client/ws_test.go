package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

func TestSubprotocols(t *testing.T) {
	if got := subprotocols(nil); !reflect.DeepEqual(got, []string{"v12.stomp", "v11.stomp", "v10.stomp"}) {
		t.Error(got)
	}
	if got := subprotocols([]string{"1.1"}); !reflect.DeepEqual(got, []string{"v11.stomp"}) {
		t.Error(got)
	}
}

func TestWSHTTPErrorIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	_, err := Dial(context.Background(), Endpoint{Host: host, Port: port, WSPath: "/nope"}, 5*time.Second, Options{})
	var de *DialError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), `HTTP "404 Not Found"`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v", err)
	}
}

// TestWSToAStompPortIsOneLine: ws:// to a plain STOMP port (which answers
// the upgrade request with an ERROR frame, not HTTP) says what to do, not
// net/http's error chain.
func TestWSToAStompPortIsOneLine(t *testing.T) {
	b := testbroker.Embedded(t)
	_, err := Dial(context.Background(), Endpoint{Host: b.Host, Port: b.Port, WSPath: "/ws"}, 5*time.Second, Options{})
	var de *DialError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "does not speak HTTP, so it is no WebSocket endpoint") ||
		strings.Contains(err.Error(), "net/http") || strings.Contains(err.Error(), "failed to") {
		t.Errorf("err = %v", err)
	}
	// wss:// to a plain HTTP port: the same, for TLS.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	_, err = Dial(context.Background(), Endpoint{Host: host, Port: port, WSPath: "/ws", TLS: &tls.Config{}}, 5*time.Second, Options{})
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "does not speak TLS (use ws:// rather than wss://") ||
		strings.Contains(err.Error(), "failed to") {
		t.Errorf("err = %v", err)
	}
}

// TestWSRabbitMQ runs a session over RabbitMQ web-stomp: subscribe, send,
// receive, ack inside a transaction, and a DISCONNECT that RabbitMQ may
// answer by closing the socket.
func TestWSRabbitMQ(t *testing.T) {
	u := testbroker.RequireWebSocket(t, testbroker.NameRabbitMQ)
	tg := testbroker.Require(t, testbroker.NameRabbitMQ)
	host, rest, _ := strings.Cut(strings.TrimPrefix(u, "ws://"), ":")
	port, path, _ := strings.Cut(rest, "/")
	ctx := context.Background()
	c, err := Dial(ctx, Endpoint{Host: host, Port: port, WSPath: "/" + path}, 10*time.Second,
		Options{Login: tg.Login, Passcode: tg.Passcode, Vhost: "/", HeartBeatSend: 200 * time.Millisecond, HeartBeatRecv: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != "1.2" {
		t.Errorf("version %q", c.Version())
	}
	q := testbroker.Unique(t, "/queue/")
	sub := frame.New(frame.SUBSCRIBE, frame.Destination, q, frame.Id, "1", frame.Ack, "client-individual")
	if _, err := c.Request(ctx, sub); err != nil {
		t.Fatal(err)
	}
	// Several frames queued at once: the writer batches them in one flush.
	big := strings.Repeat("x", 100_000)
	for _, body := range []string{"one", "two", big} {
		if err := c.Send(ctx, frame.New(frame.SEND, frame.Destination, q, frame.ContentType, "text/plain")); err != nil {
			t.Fatal(err)
		}
		f := frame.New(frame.SEND, frame.Destination, q)
		f.Body = []byte(body)
		if err := c.Send(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	var bodies []string
	timeout := time.After(10 * time.Second)
	for len(bodies) < 6 {
		select {
		case f := <-c.Incoming():
			if f == nil || f.Command != frame.MESSAGE {
				t.Fatalf("got %v (%v)", f, c.Err())
			}
			bodies = append(bodies, string(f.Body))
			if _, err := c.Request(ctx, frame.New(frame.BEGIN, frame.Transaction, "tx")); err != nil {
				t.Fatal(err)
			}
			if err := c.Send(ctx, frame.New(frame.ACK, frame.Id, f.Header.Get(frame.Ack), frame.Transaction, "tx")); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Request(ctx, frame.New(frame.COMMIT, frame.Transaction, "tx")); err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatalf("got %d messages of 6", len(bodies))
		}
	}
	if bodies[1] != "one" || bodies[3] != "two" || bodies[5] != big {
		t.Errorf("bodies %q...", bodies[:4])
	}
	time.Sleep(1200 * time.Millisecond) // heart-beats both ways
	if err := c.Err(); err != nil {
		t.Fatalf("after heart-beats: %v", err)
	}
	_, _, in, out := c.Counts()
	if in == 0 || out == 0 {
		t.Errorf("heart-beats in %d, out %d", in, out)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Disconnect(dctx); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}
