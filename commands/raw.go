package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

func init() {
	Register(&Spec{
		Name: "raw", Broker: true, Group: "Sending", Own: true,
		Usage:   "<COMMAND> [key:value]... [-- <body>]",
		Summary: "send a frame exactly as written",
		Args: []Arg{
			{Name: "COMMAND", Desc: "the frame's command: SEND, SUBSCRIBE, ACK, BEGIN, ... (lower case works for these)"},
			{Name: "key:value", Desc: "a header; repeat for more, in order, duplicates kept", Optional: true},
			{Name: "body", Desc: "after --, the rest of the line is the body", Optional: true},
		},
		Description: "Sends one frame as written, outside the session's bookkeeping: no content-length\n" +
			"or receipt is added, a raw SUBSCRIBE is not resubscribed after a reconnect and a raw\n" +
			"transaction is not the prompt's. With a receipt header, raw waits for the answer\n" +
			"and shows it whole (RECEIPT or ERROR); otherwise what comes back is shown as it\n" +
			"arrives. Header values are escaped as STOMP 1.1 wants; use double quotes for\n" +
			"spaces and \\n for newlines. CONNECT and STOMP are refused (the connection is\n" +
			"open), and so is DISCONNECT (use quit). stomp raw sends frames from a file.",
		Example: "raw SEND destination:/queue/a receipt:r1 -- hello world\n" +
			"raw SUBSCRIBE destination:/queue/a id:7 ack:client-individual\n" +
			"raw SEND destination:/queue/a content-type:text/plain -- \"two\\nlines\"",
		Run: raw,
	})
}

func raw(ctx context.Context, c *Call) error {
	env := c.Env
	f, err := parseRawArgs(c.Args)
	if err != nil {
		return err
	}
	if f.Command == frame.DISCONNECT {
		return exitcode.Usagef("raw: DISCONNECT is refused here: use quit, which waits for the broker's receipt")
	}
	switch f.Command {
	case frame.SUBSCRIBE: // before sending: its messages may come before its receipt
		env.Session.RawSubscription(f.Header.Get(frame.Id), true)
	case frame.UNSUBSCRIBE:
		defer env.Session.RawSubscription(f.Header.Get(frame.Id), false)
	}
	conn := env.Session.Conn()
	if _, ok := f.Header.Contains(frame.Receipt); !ok {
		return conn.Send(ctx, f)
	}
	ctx, cancel := context.WithTimeout(ctx, rawReceiptTimeout)
	defer cancel()
	answer, err := conn.Request(ctx, f)
	var be *client.BrokerError
	if answer == nil && errors.As(err, &be) {
		// An ERROR without our receipt-id (RabbitMQ never sets it)
		// ended the connection while we waited: it is the answer.
		answer = be.Frame
	}
	if answer != nil && !env.Style.Verbose { // -V traced it already
		var buf bytes.Buffer
		render.Frame(&buf, answer, false, env.Out.Theme)
		_, _ = env.Out.Write(buf.Bytes())
	}
	if errors.As(err, &be) {
		return fmt.Errorf("the broker answered %s with ERROR (the connection is closed)", f.Command)
	}
	return err
}

// rawReceiptTimeout bounds raw's wait for the answer to its receipt
// (--receipt-timeout's default; the session does not export its own).
const rawReceiptTimeout = 10 * time.Second

// clientCommands are the frames a client sends, by upper-case name.
var clientCommands = map[string]bool{
	frame.SEND: true, frame.SUBSCRIBE: true, frame.UNSUBSCRIBE: true, frame.ACK: true, frame.NACK: true,
	frame.BEGIN: true, frame.COMMIT: true, frame.ABORT: true, frame.DISCONNECT: true,
	frame.CONNECT: true, frame.STOMP: true,
}

// RawCommand checks the command of a raw frame and returns it as it goes
// on the wire: a client command typed in lower case is upper-cased (send
// is SEND); anything else is sent as typed, so a broker can be tried
// with an unknown command. CONNECT and STOMP are refused: the connection
// is already open.
func RawCommand(name string) (string, error) {
	if name == "" {
		return "", exitcode.Usagef("raw: the frame has no command")
	}
	if strings.ContainsAny(name, " \t\r\n\x00:") {
		return "", exitcode.Usagef("raw: %q is not a frame command", name)
	}
	up := strings.ToUpper(name)
	if up == frame.CONNECT || up == frame.STOMP {
		return "", exitcode.Usagef("raw: %s is refused: the connection is already open "+
			"(stomp connects for you; set the login, version and heart-beats with -U, -W, -S and --heartbeats)", up)
	}
	if clientCommands[up] {
		return up, nil
	}
	return name, nil
}

// RawHeader parses one key:value header word.
func RawHeader(word string) (key, value string, err error) {
	k, v, ok := strings.Cut(word, ":")
	if !ok || k == "" {
		return "", "", exitcode.Usagef("raw: bad header %q: write it as key:value", word)
	}
	return k, v, nil
}

// parseRawArgs builds a frame from the shell words: COMMAND, key:value
// headers, then -- and the body words joined by one space.
func parseRawArgs(args []string) (*frame.Frame, error) {
	if len(args) == 0 {
		return nil, exitcode.Usagef("Expecting: raw <COMMAND> [key:value]... [-- <body>] (see help raw)")
	}
	cmd, err := RawCommand(args[0])
	if err != nil {
		return nil, err
	}
	f := frame.New(cmd)
	for i := 1; i < len(args); i++ {
		if args[i] == "--" {
			f.Body = []byte(joinWords(args[i+1:]))
			break
		}
		k, v, err := RawHeader(args[i])
		if err != nil {
			return nil, err
		}
		f.Header.Add(k, v)
	}
	return f, nil
}
