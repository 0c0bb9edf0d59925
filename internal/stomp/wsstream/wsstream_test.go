package wsstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/coder/websocket"
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
	nc := New(ws, nil, nil)
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
