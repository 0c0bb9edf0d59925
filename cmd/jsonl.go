package cmd

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// jsonMessage is one line of `--format json` output, read back by
// `send --jsonl`.
type jsonMessage struct {
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodyBase64 bool              `json:"body_base64"`
}

// brokerHeaders are set by the broker on delivery (or by us on the wire);
// resending them would confuse the next broker, so --jsonl drops them.
// (expires and priority are the sender's choice and are kept.)
var brokerHeaders = map[string]bool{
	"message-id": true, "subscription": true, "ack": true, "redelivered": true,
	"content-length": true, "receipt": true, "transaction": true, "timestamp": true,
}

// sendJSONL resends each JSON line of in (as `listen --format json` writes
// them) with its headers, to `to` or else to the line's own destination.
func sendJSONL(ctx context.Context, env *commands.Env, to string, in io.Reader, opts session.SendOptions, perSecond float64) error {
	p := newPacer(perSecond)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var m jsonMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("line %d is not a JSON message (as listen --format json writes): %v", n, err)
		}
		body := []byte(m.Body)
		if m.BodyBase64 {
			var err error
			if body, err = base64.StdEncoding.DecodeString(m.Body); err != nil {
				return fmt.Errorf("line %d: body_base64 is set but the body is not base64: %v", n, err)
			}
		}
		dest := to
		if dest == "" {
			dest = m.Headers["destination"]
		}
		if dest == "" {
			return fmt.Errorf("line %d has no destination header: give --to", n)
		}
		o := opts
		// Flags come first: in STOMP the first of repeated headers wins.
		o.Headers = append(slices.Clone(opts.Headers), jsonHeaders(m.Headers)...)
		if err := p.wait(ctx); err != nil {
			return err
		}
		if err := env.Session.Send(ctx, dest, body, o); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return errors.New("a line of standard input is longer than 64 MiB")
		}
		return fmt.Errorf("reading standard input: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonHeaders keeps the headers a sender chose, in a stable order.
func jsonHeaders(h map[string]string) [][2]string {
	var out [][2]string
	for _, k := range sortedKeys(h) {
		if k == "destination" || brokerHeaders[k] {
			continue
		}
		out = append(out, [2]string{k, h[k]})
	}
	return out
}
