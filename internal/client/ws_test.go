package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/testbroker"
)

func TestFrameEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"\n", 1},
		{"\r\n", 2},
		{"\r", 0},
		{"SEND\ndestination:/q/a\n\nhello\x00", 29},
		{"SEND\ndestination:/q/a\n\nhello\x00SEND\n", 29},
		{"SEND\ndestination:/q/a\n\nhel", 0},
		{"SEND\ndestination:/q/a\n", 0},
		{"SEND\r\ndestination:/q/a\r\n\r\nhi\x00", 29},
		{"SEND\ncontent-length:3\n\na\x00b\x00rest", 27},
		{"SEND\ncontent-length:3\n\na\x00", 0},
		{"SEND\ncontent-length:1\ncontent-length:9\n\na\x00", 42},
		{"DISCONNECT\nreceipt:1\n\n\x00", 23},
	} {
		if got := frameEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("frameEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestWSOneFramePerMessage writes frames in the chunks a bufio.Writer
// would (batched, or a frame cut in two) and checks that the server sees
// exactly one message per frame, binary only when the frame is not UTF-8.
func TestWSOneFramePerMessage(t *testing.T) {
	type msg struct {
		typ  websocket.MessageType
		data string
	}
	got := make(chan msg, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				close(got)
				return
			}
			got <- msg{typ, string(b)}
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	nc := newWSConn(ws)
	f1 := "SEND\ndestination:/q/a\n\none\x00"
	f2 := "SEND\ncontent-length:3\n\nb\x00n\x00"
	f3 := "SEND\ndestination:/q/a\n\n\xff\xfe\x00"
	for _, chunk := range []string{f1 + "\n" + f2[:10], f2[10:] + f3} {
		if n, err := nc.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := nc.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	var all []msg
	for m := range got {
		all = append(all, m)
	}
	want := []msg{{websocket.MessageText, f1}, {websocket.MessageText, "\n"}, {websocket.MessageText, f2}, {websocket.MessageBinary, f3}}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("messages:\n got %+v\nwant %+v", all, want)
	}
}

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
