package sender

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// lineScanner reads a stream one line at a time (lines end at delim), in
// constant memory, counting lines for error messages.
type lineScanner struct {
	sc    *bufio.Scanner
	delim byte
	n     int // the current line's number, from 1
}

func newLineScanner(in io.Reader, delim byte) *lineScanner {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	sc.Split(splitAt(delim))
	return &lineScanner{sc: sc, delim: delim}
}

func (l *lineScanner) Scan() bool {
	if !l.sc.Scan() {
		return false
	}
	l.n++
	return true
}

// line is the current line; it is overwritten by the next Scan.
func (l *lineScanner) line() []byte {
	b := l.sc.Bytes()
	if l.delim == '\n' {
		b = bytes.TrimSuffix(b, []byte{'\r'})
	}
	return b
}

func (l *lineScanner) Err() error {
	err := l.sc.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("line %d is longer than 64 MiB", l.n+1)
	}
	return fmt.Errorf("reading standard input: %w", err)
}

// splitAt is bufio.ScanLines for any delimiter byte: the delimiter is
// dropped, and a last line without one is still a line.
func splitAt(delim byte) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, delim); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
}

// ParseDelimiter reads --delimiter: one byte, typed as itself or escaped,
// since a NUL cannot be passed in an argument: \0 (or \x00), \t, \n, \r,
// \\ or \xHH.
func ParseDelimiter(s string) (byte, error) {
	switch s {
	case `\0`:
		return 0, nil
	case `\t`:
		return '\t', nil
	case `\n`:
		return '\n', nil
	case `\r`:
		return '\r', nil
	case `\\`:
		return '\\', nil
	}
	if h, ok := strings.CutPrefix(s, `\x`); ok && len(h) == 2 {
		if b, err := strconv.ParseUint(h, 16, 8); err == nil {
			return byte(b), nil
		}
	}
	if len(s) == 1 {
		return s[0], nil
	}
	return 0, exitcode.Usagef("bad --delimiter %q: give one byte, such as , or ; or \\0 for NUL (also \\t, \\n, \\r, \\\\, \\xHH)", s)
}

// Lines is the source of one message to dest per line of in (lines end at
// delim; a CR before a newline is dropped).
func Lines(dest string, in io.Reader, delim byte) Source {
	return &lines{lineScanner: newLineScanner(in, delim), dest: dest}
}

type lines struct {
	*lineScanner
	dest string
}

func (l *lines) Message() (Message, error) {
	// Send keeps the body until it is written: give it its own copy.
	return Message{Dest: l.dest, Body: bytes.Clone(l.line()), Name: fmt.Sprintf("line %d", l.n)}, nil
}

// jsonMessage is one line of `--format json` output, read back by
// `send --jsonl`.
type jsonMessage struct {
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodyBase64 bool              `json:"body_base64"`
}

// JSONL is the source of the messages in, one JSON object a line as
// `listen --format json` writes them (blank lines skipped), with the
// headers their sender chose, to `to` or else to their own destination.
func JSONL(in io.Reader, to string) Source {
	return &jsonLines{lineScanner: newLineScanner(in, '\n'), to: to}
}

type jsonLines struct {
	*lineScanner
	to string
}

func (j *jsonLines) Scan() bool {
	for j.lineScanner.Scan() {
		if len(j.sc.Bytes()) > 0 {
			return true
		}
	}
	return false
}

func (j *jsonLines) Message() (Message, error) {
	var m jsonMessage
	if err := json.Unmarshal(j.sc.Bytes(), &m); err != nil {
		return Message{}, &InputError{Line: j.n, Problem: jsonProblem(err)}
	}
	body := []byte(m.Body)
	if m.BodyBase64 {
		var err error
		if body, err = base64.StdEncoding.DecodeString(m.Body); err != nil {
			return Message{}, &InputError{Line: j.n, Problem: `: "body_base64" is true but the body is not base64`}
		}
	}
	dest := j.to
	if dest == "" {
		dest = m.Headers["destination"]
	}
	if dest == "" {
		return Message{}, &InputError{Line: j.n, Problem: " has no destination header: give --to"}
	}
	return Message{Dest: dest, Body: body, Headers: SenderHeaders(m.Headers), Name: fmt.Sprintf("line %d", j.n)}, nil
}

// InputError is a --jsonl line that is no message to send: a usage error.
// Nothing after it is sent.
type InputError struct {
	Line    int
	Problem string // after "line N", such as " is not one JSON object"
}

func (e *InputError) Error() string {
	return fmt.Sprintf(`--jsonl input line %d%s (each line is one object as listen --format json writes: {"headers":{"destination":"/queue/a"},"body":"text"})`,
		e.Line, e.Problem)
}

func (e *InputError) Kind() exitcode.Kind { return exitcode.Usage }

// jsonProblem says what json.Unmarshal found wrong with a line, in the
// terms of the format rather than of Go's types.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return " is not one JSON object" // a syntax error, or more after the object
	}
	switch {
	case te.Field == "":
		return " is a JSON " + te.Value + ", not an object"
	case te.Field == "headers" && te.Type.Kind() == reflect.Map:
		return `: "headers" is a JSON ` + te.Value + ", not an object"
	case te.Field == "headers" || strings.HasPrefix(te.Field, "headers."):
		return ": a header's value is a JSON " + te.Value + ", not a string"
	case te.Field == "body":
		return `: "body" is a JSON ` + te.Value + ", not a string"
	default: // body_base64
		return fmt.Sprintf(": %q is a JSON %s, not true or false", te.Field, te.Value)
	}
}

// brokerHeaders are set by the broker on delivery (or by us on the wire);
// resending them would confuse the next broker. (expires and priority are
// the sender's choice and are kept.)
var brokerHeaders = map[string]bool{
	"message-id": true, "subscription": true, "ack": true, "redelivered": true,
	"content-length": true, "receipt": true, "transaction": true, "timestamp": true,
}

// SenderHeaders are the headers of a received message that its sender
// chose, to send it on with: not its destination, not those the broker
// set. They come in a stable order.
func SenderHeaders(h map[string]string) [][2]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		if k != "destination" && !brokerHeaders[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, h[k]})
	}
	return out
}
