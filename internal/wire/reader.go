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
	br  *bufio.Reader
	max int // bytes of command, headers and body; 0 = no limit
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
	f := frame.New(string(line))
	if !validCommand(f.Command) {
		return nil, fmt.Errorf("%w: unknown command %q", ErrMalformed, printable(f.Command))
	}
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
		f.Header.Add(unescape(line[:i]), unescape(line[i+1:]))
	}
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
	body, err := r.until(0, &budget)
	if err != nil {
		return nil, err
	}
	f.Body = body
	return f, nil
}

// line reads up to LF, drops LF or CRLF, and charges the budget.
func (r *Reader) line(budget *int) ([]byte, error) {
	b, err := r.until('\n', budget)
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

// until reads up to delim (dropped), failing once the budget is spent,
// without ever buffering more than the budget.
func (r *Reader) until(delim byte, budget *int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.br.ReadSlice(delim)
		if r.max > 0 && len(out)+len(chunk) > *budget {
			return nil, r.tooLarge()
		}
		switch {
		case err == nil:
			if out == nil {
				out = make([]byte, 0, len(chunk)-1)
			}
			out = append(out, chunk[:len(chunk)-1]...)
			*budget -= len(out) + 1
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			out = append(out, chunk...)
		default:
			if len(out)+len(chunk) > 0 {
				return nil, unexpected(io.ErrUnexpectedEOF)
			}
			return nil, err
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
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	return unescaper.Replace(string(b))
}

func validCommand(c string) bool {
	switch c {
	case frame.CONNECT, frame.STOMP, frame.SEND, frame.SUBSCRIBE, frame.UNSUBSCRIBE,
		frame.ACK, frame.NACK, frame.BEGIN, frame.COMMIT, frame.ABORT, frame.DISCONNECT,
		frame.CONNECTED, frame.MESSAGE, frame.RECEIPT, frame.ERROR:
		return true
	}
	return false
}

// printable shortens and quotes hostile input for an error message.
func printable(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}
