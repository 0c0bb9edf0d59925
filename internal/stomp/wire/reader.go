// Package wire reads STOMP frames with a bound on their size.
//
// go-stomp's frame.Reader reads header lines and NUL-terminated bodies with
// bufio.ReadBytes, which grows without limit, and allocates whatever a
// content-length header asks for: one hostile peer can make the process
// allocate until the kernel kills it. This reader produces the same
// *frame.Frame values but refuses a frame over the limit before allocating
// for it. Writing stays with go-stomp's frame.Writer.
package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"
)

// ErrFrameTooLarge is wrapped by the error Read returns for a frame over the limit.
var ErrFrameTooLarge = errors.New("frame too large")

// ErrMalformed is wrapped by the error Read returns for bytes that are not a STOMP frame.
var ErrMalformed = errors.New("malformed frame")

// Reader reads frames from a stream.
type Reader struct {
	br      *bufio.Reader
	max     int      // bytes of command, headers and body; 0 = no limit
	scratch []string // header keys and values of the frame being read
}

// NewReader reads from r, refusing frames over max bytes (0 = no limit).
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64*1024), max: max}
}

// Read returns the next frame, or nil for a heart-beat (a lone EOL).
func (r *Reader) Read() (*frame.Frame, error) {
	budget := r.max
	line, err := r.line(&budget)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, nil
	}
	command, ok := Command(line)
	if !ok {
		return nil, fmt.Errorf("%w: unknown command %q", ErrMalformed, printable(string(line)))
	}
	r.scratch = r.scratch[:0]
	for {
		line, err = r.line(&budget)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return nil, fmt.Errorf("%w: header line without a name and colon: %q", ErrMalformed, printable(string(line)))
		}
		r.scratch = append(r.scratch, unescape(line[:i]), unescape(line[i+1:]))
	}
	// One allocation of the right size for the headers, not one per growth.
	f := &frame.Frame{Command: command, Header: frame.NewHeader(r.scratch...)}
	if cl, ok := f.Header.Contains(frame.ContentLength); ok {
		n, err := strconv.Atoi(strings.TrimSpace(cl))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: bad content-length %q", ErrMalformed, printable(cl))
		}
		if r.max > 0 && n > budget {
			return nil, r.tooLarge()
		}
		f.Body = make([]byte, n)
		if _, err := io.ReadFull(r.br, f.Body); err != nil {
			return nil, unexpected(err)
		}
		b, err := r.br.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		if b != 0 {
			return nil, fmt.Errorf("%w: no NUL after the %d body bytes that content-length announced", ErrMalformed, n)
		}
		return f, nil
	}
	body, err := r.read(0, &budget, false)
	if err != nil {
		return nil, err
	}
	f.Body = body
	return f, nil
}

// line reads up to LF, drops LF or CRLF, and charges the budget. The line
// may be the reader's own buffer: it is valid only until the next read, so
// callers copy what they keep (header names and values become strings).
func (r *Reader) line(budget *int) ([]byte, error) {
	b, err := r.read('\n', budget, true)
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

// read reads up to delim (dropped), failing once the budget is spent,
// without ever buffering more than the budget. A long run is gathered in
// buffer-sized pieces and joined once, so it costs about twice its size,
// not the many copies of a growing slice. With borrow, a run that fits in
// the buffer is returned without a copy (valid until the next read): every
// header line of every frame would otherwise be allocated only to be
// turned into strings at once.
func (r *Reader) read(delim byte, budget *int, borrow bool) ([]byte, error) {
	var pieces [][]byte
	size := 0
	for {
		chunk, err := r.br.ReadSlice(delim)
		if r.max > 0 && size+len(chunk) > *budget {
			return nil, r.tooLarge()
		}
		switch {
		case err == nil && borrow && pieces == nil:
			*budget -= len(chunk)
			return chunk[:len(chunk)-1], nil
		case err == nil:
			chunk = chunk[:len(chunk)-1]
			out := make([]byte, 0, size+len(chunk))
			for _, p := range pieces {
				out = append(out, p...)
			}
			out = append(out, chunk...)
			*budget -= len(out) + 1
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			pieces = append(pieces, bytes.Clone(chunk))
			size += len(chunk)
		default:
			if size+len(chunk) > 0 && errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err // a timeout stays a timeout, even mid-frame
		}
	}
}

func (r *Reader) tooLarge() error {
	return fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, r.max)
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

var unescaper = strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\c`, ":", `\\`, `\`)

func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') >= 0 {
		return unescaper.Replace(string(b))
	}
	// The names every MESSAGE carries, without allocating a string for
	// each (the compiler does not allocate for a switch on string(b)).
	switch string(b) {
	case "destination":
		return "destination"
	case "message-id":
		return "message-id"
	case "subscription":
		return "subscription"
	case "ack":
		return "ack"
	case "content-length":
		return "content-length"
	case "content-type":
		return "content-type"
	case "receipt-id":
		return "receipt-id"
	case "redelivered":
		return "redelivered"
	case "persistent":
		return "persistent"
	case "priority":
		return "priority"
	case "expires":
		return "expires"
	case "timestamp":
		return "timestamp"
	case "true":
		return "true"
	case "false":
		return "false"
	}
	return string(b)
}

// Command returns a STOMP command line as the frame package's constant (no
// allocation), and whether it is one.
func Command(b []byte) (string, bool) {
	switch string(b) {
	case frame.CONNECT:
		return frame.CONNECT, true
	case frame.STOMP:
		return frame.STOMP, true
	case frame.SEND:
		return frame.SEND, true
	case frame.SUBSCRIBE:
		return frame.SUBSCRIBE, true
	case frame.UNSUBSCRIBE:
		return frame.UNSUBSCRIBE, true
	case frame.ACK:
		return frame.ACK, true
	case frame.NACK:
		return frame.NACK, true
	case frame.BEGIN:
		return frame.BEGIN, true
	case frame.COMMIT:
		return frame.COMMIT, true
	case frame.ABORT:
		return frame.ABORT, true
	case frame.DISCONNECT:
		return frame.DISCONNECT, true
	case frame.CONNECTED:
		return frame.CONNECTED, true
	case frame.MESSAGE:
		return frame.MESSAGE, true
	case frame.RECEIPT:
		return frame.RECEIPT, true
	case frame.ERROR:
		return frame.ERROR, true
	}
	return "", false
}

// printable shortens and quotes hostile input for an error message.
func printable(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}
