// Package render turns frames into what the user reads. The default look is
// stomp.py's (reference §5), so people and scripts used to it feel at home.
package render

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/secret"
)

// Style says how frames are shown.
type Style struct {
	Verbose bool // the command and every header, as `key: value`
	// Separator puts a blank line between headers and body, as stomp.py's
	// shell and -F do; its listen mode (-L) does not.
	Separator bool
	// Numbered (the interactive shell) shows each message's local number,
	// "[17]", where stomp.py prints a blank line: `ack 17` takes it.
	Numbered bool
	// MarkRedelivered (the interactive shell) adds "redelivered: true" under
	// the subscription line of a redelivered message, which may be a
	// duplicate. Scripts and -L keep stomp.py's layout byte for byte: a
	// program reading it takes the line after subscription as the body.
	MarkRedelivered bool
	Color           bool
	// Destination adds the destination header (several subscriptions
	// share the output); AllHeaders shows every header, as listen -v does.
	Destination bool
	AllHeaders  bool
	// PrettyJSON shows a JSON body indented and coloured (the interactive
	// shell only: scripts and pipes get the bytes as sent).
	PrettyJSON bool
}

// Theme colours output when Color is on: errors red, headers dim, bodies
// plain. Faint and red read well on dark and light backgrounds alike.
type Theme struct {
	header, err, bold              *color.Color
	jsonKey, jsonString, jsonValue *color.Color
	on                             bool
	// keepBytes writes message text as received, control characters and
	// all: the output is not a terminal but a file or a pipe, where
	// stomp.py's scripts and parsers expect its bytes (see KeepBytes).
	keepBytes bool
}

// NewTheme builds a theme that colours only when on is true, whatever
// fatih/color decided about the process's terminal.
func NewTheme(on bool) *Theme {
	t := &Theme{header: color.New(color.Faint), err: color.New(color.FgRed, color.Bold), bold: color.New(color.Bold),
		jsonKey: color.New(color.FgBlue, color.Bold), jsonString: color.New(color.FgGreen), jsonValue: color.New(color.FgCyan), on: on}
	for _, c := range []*color.Color{t.header, t.err, t.bold, t.jsonKey, t.jsonString, t.jsonValue} {
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return t
}

// KeepBytes makes the theme write bodies, headers and frame dumps as
// received: for output that is not a terminal, where nothing can drive a
// screen and stomp.py's byte-for-byte output is what programs parse.
// Without it (the default) control characters are made visible.
func (t *Theme) KeepBytes() *Theme {
	t.keepBytes = true
	return t
}

// Error colours an error line.
func (t *Theme) Error(s string) string { return t.paint(t.err, s) }

// Header colours header lines.
func (t *Theme) Header(s string) string { return t.paint(t.header, s) }

// headerSince colours what was written to buf from start on, which ends
// with a newline, as header lines. Without colour it leaves buf alone: the
// hot path of a listener writes headers straight into its buffer and pays
// for colour only on a terminal.
func (t *Theme) headerSince(buf *bytes.Buffer, start int) {
	if !t.on || buf.Len() <= start {
		return
	}
	s := string(bytes.TrimSuffix(buf.Bytes()[start:], []byte{'\n'}))
	buf.Truncate(start)
	buf.WriteString(t.header.Sprint(s))
	buf.WriteByte('\n')
}

// Bold emphasises a line (the version banner).
func (t *Theme) Bold(s string) string { return t.paint(t.bold, s) }

// paint colours s when colour is on, and costs nothing when it is off.
func (t *Theme) paint(c *color.Color, s string) string {
	if !t.on {
		return s
	}
	return c.Sprint(s)
}

// Message renders a MESSAGE frame whose body is shown as body (the caller
// may have replaced it, e.g. by "Saved file: x"); num is its local number.
func Message(buf *bytes.Buffer, f *frame.Frame, num uint64, body []byte, st Style, th *Theme) {
	if st.Numbered && num > 0 {
		buf.WriteString(th.Header("[" + strconv.FormatUint(num, 10) + "]"))
	}
	buf.WriteByte('\n')
	start := buf.Len()
	switch {
	case st.Verbose:
		th.writeHeaders(buf, f, nil)
	case st.AllHeaders:
		for i := 0; i < f.Header.Len(); i++ {
			k, v := f.Header.GetAt(i)
			th.writeHeader(buf, k, v)
		}
	default:
		for _, k := range []string{frame.MessageId, frame.Subscription} {
			if v, ok := f.Header.Contains(k); ok {
				th.writeHeader(buf, k, v)
			}
		}
		if v, ok := f.Header.Contains(frame.Destination); ok && st.Destination {
			th.writeHeader(buf, frame.Destination, v)
		}
		// RabbitMQ sends redelivered:false on every message.
		if st.MarkRedelivered && f.Header.Get("redelivered") == "true" {
			buf.WriteString("redelivered: true\n")
		}
	}
	th.headerSince(buf, start)
	if st.Separator {
		buf.WriteByte('\n')
	}
	if st.PrettyJSON && isJSON(f, body) {
		writeJSON(buf, body, th)
		return
	}
	th.writeBody(buf, body)
}

// Frame renders any frame the verbose way: command, headers, blank line,
// body. Outgoing frames get a "Sending " prefix. The passcode is never shown.
func Frame(buf *bytes.Buffer, f *frame.Frame, outgoing bool, th *Theme) {
	start := buf.Len()
	if outgoing {
		buf.WriteString("Sending ")
	}
	th.writeHeaders(buf, f, redact)
	th.headerSince(buf, start)
	if len(f.Body) > 0 {
		buf.WriteByte('\n')
		th.writeBody(buf, f.Body)
	}
}

func redact(k, v string) string {
	if k == frame.Passcode {
		return secret.Mask
	}
	return v
}

func (t *Theme) writeHeaders(buf *bytes.Buffer, f *frame.Frame, filter func(k, v string) string) {
	t.writeVisible(buf, f.Command, false)
	buf.WriteByte('\n')
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		if filter != nil {
			v = filter(k, v)
		}
		t.writeHeader(buf, k, v)
	}
}

// writeHeader writes one "key: value" line without building it first,
// control characters made visible (a header may carry any byte).
func (t *Theme) writeHeader(buf *bytes.Buffer, k, v string) {
	t.writeVisible(buf, k, false)
	buf.WriteString(": ")
	t.writeVisible(buf, v, false)
	buf.WriteByte('\n')
}

// writeVisible writes s with control characters made visible (unless the
// theme keeps bytes); plain text costs no copy.
func (t *Theme) writeVisible(buf *bytes.Buffer, s string, multiline bool) {
	if t.keepBytes || safePrefix([]byte(s), multiline) == len(s) {
		buf.WriteString(s)
		return
	}
	buf.Write(AppendVisible(buf.AvailableBuffer(), []byte(s), multiline))
}

// writeBody writes the body as text, control characters made visible (see
// AppendVisible) unless the theme keeps bytes, then a newline.
func (t *Theme) writeBody(buf *bytes.Buffer, body []byte) {
	switch {
	case !t.keepBytes:
		buf.Write(AppendVisible(buf.AvailableBuffer(), body, true))
	case utf8.Valid(body):
		buf.Write(body)
	default:
		// stomp.py decodes with errors="replace": each byte that is not
		// UTF-8 shows as U+FFFD, control characters as they are.
		for len(body) > 0 {
			r, size := utf8.DecodeRune(body)
			if r == utf8.RuneError && size == 1 {
				buf.WriteRune(utf8.RuneError)
			} else {
				buf.Write(body[:size])
			}
			body = body[size:]
		}
	}
	buf.WriteByte('\n')
}

// BrokerError is the one line an ERROR frame becomes, control characters
// made visible: it goes to the user's terminal.
func BrokerError(f *frame.Frame) string {
	msg := f.Header.Get(frame.Message)
	body := strings.TrimSpace(string(f.Body))
	if i := strings.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	msg, body = VisibleLine(msg), VisibleLine(body)
	switch {
	case msg == "" && body == "":
		return "broker error (no message)"
	case msg == "" || msg == body:
		return "broker error: " + body
	case body == "":
		return "broker error: " + msg
	default:
		return "broker error: " + msg + ": " + body
	}
}
