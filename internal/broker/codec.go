package broker

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/stomp/wire"
)

// Frames are read by internal/stomp/wire's bounded Reader (the client's
// too); this file turns what it refuses into ERROR frames and encodes the
// broker's frames. Why not frame.Writer: it escapes every header in every
// frame (wrong for STOMP 1.0 and CONNECTED) and flushes after each frame;
// encoder below escapes per version and leaves flushing to the
// connection's writer.

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

// readFrame returns the next client frame, skipping heart-beat EOLs. A
// frame the reader refuses is a protocol error, answered with an ERROR;
// with an error in the body the frame is returned too, so that the ERROR
// can carry its receipt-id.
func readFrame(r *wire.Reader) (*frame.Frame, error) {
	for {
		f, err := r.Read()
		var we *wire.Error
		if errors.As(err, &we) {
			return f, &protoError{msg: we.Message, detail: we.Detail}
		}
		if f != nil || err != nil {
			return f, err
		}
	}
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

func modeFor(v wire.Version, command string) headerMode {
	if command == frame.CONNECTED {
		return rawHeaders
	}
	switch v {
	case wire.V11:
		return esc11
	case wire.V12:
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
func (e *encoder) writeFrame(f *frame.Frame, v wire.Version) error {
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
func (e *encoder) writeMessage(it *outItem, session string, v wire.Version) error {
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
	if v == wire.V12 {
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
