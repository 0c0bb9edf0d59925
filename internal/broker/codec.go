package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// Why not frame.Reader: it reads header lines and NUL-terminated bodies with
// unbounded bufio.ReadBytes and allocates make([]byte, content-length)
// before reading a byte of the body, so a hostile "content-length:4000000000"
// would make us allocate 4 GB (an out-of-memory is fatal, not a panic we can
// recover). This decoder produces the same *frame.Frame values but counts
// every byte of a frame against MaxFrameSize as it reads, checks the
// content-length against the budget before allocating, and bounds the
// number of header lines. Why not frame.Writer: it escapes every header
// in every frame (wrong for STOMP 1.0 and CONNECTED) and flushes after
// each frame; encoder below escapes per version and leaves flushing to the
// connection's writer.

// version is a negotiated protocol version; verNone means "before CONNECT".
type version uint8

const (
	verNone version = iota
	v10
	v11
	v12
)

func (v version) String() string {
	switch v {
	case v10:
		return "1.0"
	case v11:
		return "1.1"
	case v12:
		return "1.2"
	}
	return "none"
}

// protoError is a protocol error: it becomes an ERROR frame (message header
// = msg, body = detail) after which the connection is closed.
type protoError struct {
	msg     string
	detail  string
	headers []string // extra ERROR headers as name,value pairs
}

func (e *protoError) Error() string {
	if e.detail == "" {
		return e.msg
	}
	return e.msg + ": " + e.detail
}

func protoErr(msg, detailFormat string, args ...any) *protoError {
	return &protoError{msg: msg, detail: fmt.Sprintf(detailFormat, args...)}
}

// quote shortens and quotes client-supplied text for error messages and logs.
func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}

// decoder reads client frames with a hard per-frame byte budget.
type decoder struct {
	br         *bufio.Reader
	maxFrame   int
	maxHeaders int
	used       int    // bytes of the current frame read so far
	scratch    []byte // assembles lines longer than the bufio buffer
	ver        version
}

func newDecoder(r io.Reader, bufSize, maxFrame, maxHeaders int) *decoder {
	return &decoder{br: bufio.NewReaderSize(r, bufSize), maxFrame: maxFrame, maxHeaders: maxHeaders}
}

// grow switches to a larger read buffer (after CONNECT), keeping the bytes
// already read ahead.
func (d *decoder) grow(size int, r io.Reader) {
	if d.br.Size() >= size {
		return
	}
	ahead, _ := d.br.Peek(d.br.Buffered())
	d.br = bufio.NewReaderSize(&prefixReader{buf: bytes.Clone(ahead), r: r}, size)
}

// prefixReader reads buf, then r.
type prefixReader struct {
	buf []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

func (d *decoder) tooLarge() error {
	return protoErr("frame too large (limit "+strconv.Itoa(d.maxFrame)+" bytes)", "")
}

// charge counts n more bytes of the current frame against the budget.
func (d *decoder) charge(n int) error {
	d.used += n
	if d.used > d.maxFrame {
		return d.tooLarge()
	}
	return nil
}

// readLine returns the next line without its EOL (LF or CRLF). The slice is
// only valid until the next read.
func (d *decoder) readLine() ([]byte, error) {
	d.scratch = d.scratch[:0]
	for {
		chunk, err := d.br.ReadSlice('\n')
		if cerr := d.charge(len(chunk)); cerr != nil {
			return nil, cerr
		}
		switch err {
		case nil:
			line := chunk
			if len(d.scratch) > 0 {
				d.scratch = append(d.scratch, chunk...)
				line = d.scratch
			}
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		case bufio.ErrBufferFull:
			d.scratch = append(d.scratch, chunk...)
		default:
			return nil, err
		}
	}
}

// read returns the next frame, skipping heart-beat EOLs. Errors are either
// I/O errors or *protoError; with an error in the body, the frame with its
// headers is returned as well.
func (d *decoder) read() (*frame.Frame, error) {
	defer d.releaseScratch()
	var line []byte
	for {
		d.used = 0
		l, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 {
			line = l
			break
		}
	}
	cmd, known := clientCommand(line)
	if !known {
		// Garbage or a server-side command: don't try to parse the rest.
		return nil, protoErr("unknown command", "unknown command %s", quote(line))
	}
	f := &frame.Frame{Command: cmd, Header: &frame.Header{}}
	// CONNECT headers are never escaped (so passcodes may contain '\').
	escaped := d.ver >= v11 && cmd != frame.CONNECT && cmd != frame.STOMP
	count := 0
	for {
		l, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			break
		}
		if count++; count > d.maxHeaders {
			return nil, protoErr("too many headers", "a frame may carry at most %d headers", d.maxHeaders)
		}
		i := bytes.IndexByte(l, ':')
		if i <= 0 {
			return nil, protoErr("malformed header", "header line without name or ':': %s", quote(l))
		}
		f.Header.Add(decodeName(l[:i], escaped), decodeValue(l[i+1:], escaped))
	}
	body, err := d.readBody(f.Header)
	if err != nil {
		// Return the headers too, so an ERROR can carry the receipt-id.
		return f, err
	}
	f.Body = body
	return f, nil
}

func (d *decoder) readBody(h *frame.Header) ([]byte, error) {
	if cl, ok := h.Contains(frame.ContentLength); ok {
		n, err := strconv.ParseUint(strings.TrimSpace(cl), 10, 31)
		if err != nil {
			return nil, protoErr("invalid content-length", "content-length %s is not a valid size", strconv.Quote(cl))
		}
		// Check the budget before allocating anything.
		if err := d.charge(int(n) + 1); err != nil {
			return nil, err
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(d.br, body); err != nil {
			return nil, err
		}
		nul, err := d.br.ReadByte()
		if err != nil {
			return nil, err
		}
		if nul != 0 {
			return nil, protoErr("frame not terminated", "expected NUL after content-length bytes of body")
		}
		return body, nil
	}
	var body []byte
	for {
		chunk, err := d.br.ReadSlice(0)
		if cerr := d.charge(len(chunk)); cerr != nil {
			return nil, cerr
		}
		switch err {
		case nil:
			body = append(body, chunk[:len(chunk)-1]...)
			return body, nil
		case bufio.ErrBufferFull:
			body = append(body, chunk...)
		default:
			return nil, err
		}
	}
}

// releaseScratch drops a large line buffer so one huge frame does not pin
// memory for the life of the connection.
func (d *decoder) releaseScratch() {
	if cap(d.scratch) > 64<<10 {
		d.scratch = nil
	}
}

// clientCommand maps a command line to the frame package's constant (no
// allocation) and reports whether a client may send it.
func clientCommand(b []byte) (string, bool) {
	cmd, ok := wire.Command(b)
	switch cmd {
	case frame.CONNECTED, frame.MESSAGE, frame.RECEIPT, frame.ERROR:
		return "", false // a server's frames, not a client's
	}
	return cmd, ok
}

// decodeName interns the common header names to save allocations.
func decodeName(b []byte, escaped bool) string {
	switch string(b) {
	case frame.Destination:
		return frame.Destination
	case frame.ContentLength:
		return frame.ContentLength
	case frame.ContentType:
		return frame.ContentType
	case frame.Receipt:
		return frame.Receipt
	case frame.Id:
		return frame.Id
	case frame.Ack:
		return frame.Ack
	case frame.Transaction:
		return frame.Transaction
	case frame.Subscription:
		return frame.Subscription
	case frame.MessageId:
		return frame.MessageId
	case "reply-to":
		return "reply-to"
	}
	return decodeValue(b, escaped)
}

// decodeValue undoes 1.1/1.2 header escaping. It is liberal: \r is accepted
// in 1.1 too, and an undefined escape such as \t is kept literally instead
// of failing the connection.
func decodeValue(b []byte, escaped bool) string {
	if !escaped || bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
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

// encoder writes server frames into a buffered writer; the caller flushes.
type encoder struct {
	w   *bufio.Writer
	num []byte // scratch for numbers
	eol bool   // end each frame with NUL and a newline (see frameEnd)
}

// headerMode says how header names and values are written.
type headerMode uint8

const (
	rawHeaders headerMode = iota // 1.0, CONNECTED, pre-CONNECT ERRORs: no escaping
	esc11                        // \\ \n \c
	esc12                        // \\ \n \c \r
)

func modeFor(v version, command string) headerMode {
	if command == frame.CONNECTED {
		return rawHeaders
	}
	switch v {
	case v11:
		return esc11
	case v12:
		return esc12
	}
	return rawHeaders
}

// writeString writes s escaped for mode. In raw mode CR and LF cannot be
// represented, so they become spaces: this keeps a value that came from a
// 1.1+ client from injecting header lines into a 1.0 client's frame.
func (e *encoder) writeString(s string, mode headerMode) {
	special := "\\\n:\r"
	if mode == rawHeaders {
		special = "\n\r"
	}
	if !strings.ContainsAny(s, special) {
		e.w.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case mode == rawHeaders && (c == '\n' || c == '\r'):
			e.w.WriteByte(' ')
		case mode != rawHeaders && c == '\\':
			e.w.WriteString(`\\`)
		case mode != rawHeaders && c == '\n':
			e.w.WriteString(`\n`)
		case mode != rawHeaders && c == ':':
			e.w.WriteString(`\c`)
		case mode == esc12 && c == '\r':
			e.w.WriteString(`\r`)
		default:
			e.w.WriteByte(c)
		}
	}
}

func (e *encoder) header(name, value string, mode headerMode) {
	e.writeString(name, mode)
	e.w.WriteByte(':')
	e.writeString(value, mode)
	e.w.WriteByte('\n')
}

// writeFrame encodes a control frame (CONNECTED, RECEIPT, ERROR).
func (e *encoder) writeFrame(f *frame.Frame, v version) error {
	mode := modeFor(v, f.Command)
	e.w.WriteString(f.Command)
	e.w.WriteByte('\n')
	for i := 0; i < f.Header.Len(); i++ {
		k, val := f.Header.GetAt(i)
		e.header(k, val, mode)
	}
	if len(f.Body) > 0 {
		e.contentLength(len(f.Body))
	}
	e.w.WriteByte('\n')
	e.w.Write(f.Body)
	return e.frameEnd()
}

func (e *encoder) contentLength(n int) {
	e.w.WriteString("content-length:")
	e.num = strconv.AppendInt(e.num[:0], int64(n), 10)
	e.w.Write(e.num)
	e.w.WriteByte('\n')
}

// writeMessage encodes a MESSAGE for one delivery. message-id and (1.2) ack
// are "<session>-<seq>", written without building a string.
func (e *encoder) writeMessage(it *outItem, session string, v version) error {
	mode := modeFor(v, frame.MESSAGE)
	m := it.msg
	e.w.WriteString("MESSAGE\n")
	e.header(frame.Subscription, it.sub.id, mode)
	e.header(frame.Destination, it.sub.deliverAs, mode)
	e.w.WriteString("message-id:")
	e.writeString(session, mode)
	e.w.WriteByte('-')
	e.num = strconv.AppendUint(e.num[:0], it.seq, 10)
	e.w.Write(e.num)
	e.w.WriteByte('\n')
	if v == v12 {
		e.w.WriteString("ack:")
		e.writeString(session, mode)
		e.w.WriteByte('-')
		e.w.Write(e.num)
		e.w.WriteByte('\n')
	}
	if it.redelivered {
		e.w.WriteString("redelivered:true\n")
	}
	for i := 0; i+1 < len(m.headers); i += 2 {
		e.header(m.headers[i], m.headers[i+1], mode)
	}
	e.contentLength(len(m.body))
	e.w.WriteByte('\n')
	e.w.Write(m.body)
	return e.frameEnd()
}

// frameEnd ends a frame with NUL and, on a byte stream, a newline, as
// RabbitMQ and ActiveMQ do (the newline is an EOL the spec allows between
// frames). PHP's stomp extension reads one byte past the NUL when more
// data is waiting: with NUL alone it eats the first byte of the next
// frame. Over WebSocket each frame is its own message and ends at NUL.
func (e *encoder) frameEnd() error {
	err := e.w.WriteByte(0)
	if e.eol {
		err = e.w.WriteByte('\n')
	}
	return err
}
