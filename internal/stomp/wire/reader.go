// Package wire reads STOMP frames with bounds on their size: the one frame
// decoder, serving the client (frames from a broker) and the embedded
// broker (frames from clients).
//
// go-stomp's frame.Reader reads header lines and NUL-terminated bodies with
// bufio.ReadBytes, which grows without limit, and allocates whatever a
// content-length header asks for: one hostile peer can make the process
// allocate until the kernel kills it. This reader produces the same
// *frame.Frame values but counts every byte of a frame against a limit as
// it reads, refuses a content-length over the limit before allocating for
// it, and can bound the number of header lines. What a refused frame means
// is the caller's policy: a broker answers it with an ERROR frame, a client
// treats it as a lost connection.
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

// ErrFrameTooLarge is wrapped by the error Read returns for a frame over
// Options.MaxFrameSize.
var ErrFrameTooLarge = errors.New("frame too large")

// ErrTooManyHeaders is wrapped by the error Read returns for a frame with
// more header lines than Options.MaxHeaders.
var ErrTooManyHeaders = errors.New("too many headers")

// ErrMalformed is wrapped by the error Read returns for bytes that are not a STOMP frame.
var ErrMalformed = errors.New("malformed frame")

// Error is a frame the reader refused. Its Message and Detail are what a
// broker puts in the ERROR frame it answers with (message header, body).
type Error struct {
	Kind    error  // ErrMalformed, ErrFrameTooLarge or ErrTooManyHeaders
	Message string // short, for an ERROR frame's message header
	Detail  string // the explanation, with the offending bytes quoted; may be empty
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Message
	}
	return e.Message + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Kind }

func malformed(message, detailFormat string, args ...any) *Error {
	return &Error{Kind: ErrMalformed, Message: message, Detail: fmt.Sprintf(detailFormat, args...)}
}

// Version is a negotiated STOMP version; it decides whether header names
// and values are unescaped.
type Version uint8

const (
	// Unnegotiated: before CONNECT/CONNECTED, or no version in common.
	Unnegotiated Version = iota
	V10
	V11
	V12
)

func (v Version) String() string {
	switch v {
	case V10:
		return "1.0"
	case V11:
		return "1.1"
	case V12:
		return "1.2"
	}
	return "none"
}

// Options bound and shape what a Reader accepts. The zero value reads any
// frame of any size, unescaping nothing.
type Options struct {
	// MaxFrameSize bounds the bytes of one frame: command, header lines
	// with their EOLs, body and the closing NUL; 0 = no limit.
	MaxFrameSize int
	// MaxHeaders bounds the header lines of one frame; 0 = no limit.
	MaxHeaders int
	// Version says how header names and values are unescaped: 1.1 and 1.2
	// (\\ \n \c, and \r, accepted in 1.1 too), 1.0 and Unnegotiated not at
	// all. CONNECT, STOMP and CONNECTED frames are never unescaped (STOMP
	// 1.2), so a passcode may hold ':' and '\'.
	Version Version
	// ClientFramesOnly refuses the commands only a server sends
	// (CONNECTED, MESSAGE, RECEIPT, ERROR) as unknown: a broker's policy.
	ClientFramesOnly bool
	// BufferSize is the read buffer's size; 0 = 64 KiB.
	BufferSize int
}

const defaultBufferSize = 64 << 10

// Reader reads frames from a stream.
type Reader struct {
	src     io.Reader
	br      *bufio.Reader
	opts    Options
	used    int      // bytes of the current frame read so far
	scratch []string // header keys and values of the frame being read
}

// NewReader reads from r with the given options.
func NewReader(r io.Reader, opts Options) *Reader {
	size := opts.BufferSize
	if size <= 0 {
		size = defaultBufferSize
	}
	return &Reader{src: r, br: bufio.NewReaderSize(r, size), opts: opts}
}

// SetVersion changes how the following frames are unescaped, once a
// version is negotiated.
func (r *Reader) SetVersion(v Version) { r.opts.Version = v }

// SetMaxFrameSize changes the limit for the following frames (a broker
// raises it once a client has logged in).
func (r *Reader) SetMaxFrameSize(n int) { r.opts.MaxFrameSize = n }

// Grow switches to a read buffer of size bytes if the current one is
// smaller, keeping the bytes already read ahead: a broker gives a
// connection small buffers until it logs in.
func (r *Reader) Grow(size int) {
	if r.br.Size() >= size {
		return
	}
	ahead, _ := r.br.Peek(r.br.Buffered())
	r.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), r.src), size)
}

// Read returns the next frame, or nil for a heart-beat (a lone EOL).
// Errors are I/O errors (io.EOF between frames, io.ErrUnexpectedEOF inside
// one, a timeout as it is) or an *Error. With an error in the body, the
// frame is returned too, with its command and headers, so that a broker's
// ERROR can carry the receipt-id it asked for.
func (r *Reader) Read() (*frame.Frame, error) {
	r.used = 0
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, nil
	}
	command, ok := parseCommand(line)
	if ok && r.opts.ClientFramesOnly && serverCommand(command) {
		ok = false
	}
	if !ok {
		// Garbage or a command out of place: don't try to parse the rest.
		return nil, malformed("unknown command", "unknown command %s", quote(line))
	}
	escaped := r.opts.Version >= V11 && command != frame.CONNECT && command != frame.STOMP && command != frame.CONNECTED
	r.scratch = r.scratch[:0]
	for {
		line, err = r.line()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if r.opts.MaxHeaders > 0 && len(r.scratch) >= 2*r.opts.MaxHeaders {
			return nil, &Error{Kind: ErrTooManyHeaders, Message: "too many headers",
				Detail: fmt.Sprintf("a frame may carry at most %d headers", r.opts.MaxHeaders)}
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return nil, malformed("malformed header", "header line without name or ':': %s", quote(line))
		}
		r.scratch = append(r.scratch, decode(line[:i], escaped), decode(line[i+1:], escaped))
	}
	// One allocation of the right size for the headers, not one per growth.
	f := &frame.Frame{Command: command, Header: frame.NewHeader(r.scratch...)}
	if r.used > 64<<10 {
		// Large strings belong to the frame now: don't keep them alive
		// after it (a per-frame clear would cost write barriers).
		clear(r.scratch)
	}
	body, err := r.body(f.Header)
	if err != nil {
		return f, err
	}
	f.Body = body
	return f, nil
}

// body reads the body: content-length bytes and a NUL, or up to a NUL.
func (r *Reader) body(h *frame.Header) ([]byte, error) {
	cl, ok := h.Contains(frame.ContentLength)
	if !ok {
		return r.until(0, false)
	}
	// 31 bits: what a frame can sensibly carry, and what make may allocate anywhere.
	n, err := strconv.ParseUint(strings.TrimSpace(cl), 10, 31)
	if err != nil {
		return nil, malformed("invalid content-length", "content-length %s is not a valid size", quote([]byte(cl)))
	}
	// Check the limit before allocating anything.
	if err := r.charge(int(n) + 1); err != nil {
		return nil, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.br, body); err != nil {
		return nil, unexpected(err)
	}
	nul, err := r.br.ReadByte()
	if err != nil {
		return nil, unexpected(err)
	}
	if nul != 0 {
		return nil, malformed("frame not terminated", "expected NUL after content-length bytes of body")
	}
	return body, nil
}

// charge counts n more bytes of the current frame against the limit.
func (r *Reader) charge(n int) error {
	r.used += n
	if r.opts.MaxFrameSize > 0 && r.used > r.opts.MaxFrameSize {
		return &Error{Kind: ErrFrameTooLarge, Message: "frame too large (limit " + strconv.Itoa(r.opts.MaxFrameSize) + " bytes)"}
	}
	return nil
}

// line reads up to LF and drops LF or CRLF. The line may be the reader's
// own buffer: it is valid only until the next read, so callers copy what
// they keep (header names and values become strings).
func (r *Reader) line() ([]byte, error) {
	b, err := r.until('\n', true)
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

// until reads up to delim (dropped), charging every byte, delim included,
// and failing once the limit is passed without ever buffering more than
// it. A long run is gathered in buffer-sized pieces and joined once, so it
// costs about twice its size, not the many copies of a growing slice. With
// borrow, a run that fits in the buffer is returned without a copy (valid
// until the next read): every header line of every frame would otherwise
// be allocated only to be turned into strings at once.
func (r *Reader) until(delim byte, borrow bool) ([]byte, error) {
	var pieces [][]byte
	size := 0
	for {
		chunk, err := r.br.ReadSlice(delim)
		if cerr := r.charge(len(chunk)); cerr != nil {
			return nil, cerr
		}
		switch {
		case err == nil && borrow && pieces == nil:
			return chunk[:len(chunk)-1], nil
		case err == nil:
			chunk = chunk[:len(chunk)-1]
			out := make([]byte, 0, size+len(chunk))
			for _, p := range pieces {
				out = append(out, p...)
			}
			return append(out, chunk...), nil
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

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decode turns a header name or value into a string, undoing 1.1/1.2
// escaping when escaped. It is liberal: an undefined escape such as \t is
// kept literally instead of failing the connection.
func decode(b []byte, escaped bool) string {
	if escaped && bytes.IndexByte(b, '\\') >= 0 {
		return unescape(b)
	}
	// The names (and a few values) every frame carries, without allocating
	// a string for each (the compiler does not allocate for a switch on
	// string(b)).
	switch string(b) {
	case frame.Destination:
		return frame.Destination
	case frame.MessageId:
		return frame.MessageId
	case frame.Subscription:
		return frame.Subscription
	case frame.Ack:
		return frame.Ack
	case frame.Id:
		return frame.Id
	case frame.ContentLength:
		return frame.ContentLength
	case frame.ContentType:
		return frame.ContentType
	case frame.Receipt:
		return frame.Receipt
	case frame.ReceiptId:
		return frame.ReceiptId
	case frame.Transaction:
		return frame.Transaction
	case "reply-to":
		return "reply-to"
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

// Unescape undoes STOMP 1.1/1.2 header escaping (\c \n \r \\), as liberally
// as the reader does.
func Unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	return unescape([]byte(s))
}

func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '\\':
				c = '\\'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 'c':
				c = ':'
			default:
				out = append(out, c)
				continue
			}
			i++
		}
		out = append(out, c)
	}
	return string(out)
}

// parseCommand returns a STOMP command line as the frame package's constant (no
// allocation), and whether it is one.
func parseCommand(b []byte) (string, bool) {
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

func serverCommand(command string) bool {
	switch command {
	case frame.CONNECTED, frame.MESSAGE, frame.RECEIPT, frame.ERROR:
		return true
	}
	return false
}

// quote shortens and quotes a peer's bytes for an error message, so that
// they reach a log or a terminal escaped.
func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}
