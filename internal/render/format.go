package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/go-stomp/stomp/v3/frame"
)

// Format is how messages are written for a pipe or a person.
type Format struct {
	Name      string             // "text", "json", "raw" or "template"
	NoNewline bool               // raw: no newline after each body
	tmpl      *template.Template // for "template"
}

// ParseFormat reads a --format value: text (stomp.py's look, the default),
// json (one object per line), raw (the body bytes) or a Go template such as
// '{{.Headers.destination}} {{.Body}}'.
func ParseFormat(s string, noNewline bool) (Format, error) {
	switch s {
	case "", "text":
		return Format{Name: "text"}, nil
	case "json", "raw":
		return Format{Name: s, NoNewline: noNewline}, nil
	}
	if !strings.Contains(s, "{{") {
		return Format{}, fmt.Errorf("unknown --format %q: use text, json, raw or a Go template such as '{{.Body}}'", s)
	}
	t, err := ParseTemplate("--format", s)
	if err != nil {
		return Format{}, err
	}
	return Format{Name: "template", tmpl: t}, nil
}

// ParseTemplate parses a message template (--format, reply --template) and
// tries it on a sample message, so a mistake is found before anything is
// received, not after a message was taken from the queue. flag names it
// in errors.
func ParseTemplate(flag, s string) (*template.Template, error) {
	t, err := template.New(flag).Option("missingkey=zero").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad %s template: %v", flag, strings.TrimPrefix(err.Error(), "template: "))
	}
	if unknown := unknownFields(t); len(unknown) > 0 {
		return nil, fmt.Errorf("bad %s template: a message has no field %s; it has %s (and .Headers.NAME for one header)",
			flag, strings.Join(unknown, ", "), strings.Join(templateFields(), ", "))
	}
	sample := frame.New(frame.MESSAGE, frame.Destination, "/queue/sample", frame.MessageId, "sample-1",
		frame.Subscription, "1", frame.ContentType, "text/plain")
	sample.Body = []byte("sample")
	if err := t.Execute(io.Discard, Data(sample, time.Unix(0, 0))); err != nil {
		// Not a field name: a function used wrongly, say. The error names
		// Go types, which mean nothing to the user: keep what precedes.
		msg, _, _ := strings.Cut(err.Error(), " in type ")
		return nil, fmt.Errorf("bad %s template: it fails on a sample message: %s", flag, strings.TrimPrefix(msg, "template: "))
	}
	return t, nil
}

// templateFields are the fields a template can name, as it names them.
func templateFields() []string {
	var names []string
	typ := reflect.TypeFor[MessageData]()
	for i := range typ.NumField() {
		names = append(names, "."+typ.Field(i).Name)
	}
	return names
}

// unknownFields lists the fields a template names on the message itself
// (.Header.x, .Bodi) that MessageData does not have. Inside range and
// with the dot is something else, so only the top level is checked.
func unknownFields(t *template.Template) []string {
	known := map[string]bool{}
	for _, f := range templateFields() {
		known[f[1:]] = true
	}
	var unknown []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					for _, a := range c.Args {
						walk(a)
					}
				}
			}
		case *parse.FieldNode:
			if name := n.Ident[0]; !known[name] && !slices.Contains(unknown, "."+name) {
				unknown = append(unknown, "."+name)
			}
		}
	}
	if t.Tree != nil {
		walk(t.Tree.Root)
	}
	return unknown
}

// Text says whether this is stomp.py's human format, the only one that
// saves sendfile attachments and mixes status lines into standard output.
func (f Format) Text() bool { return f.Name == "text" || f.Name == "" }

// MessageData is what a template sees, and what a JSON line holds.
type MessageData struct {
	Command     string            `json:"command"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	BodyBase64  bool              `json:"body_base64,omitempty"`
	Received    time.Time         `json:"received"`
	Destination string            `json:"-"`
	MessageID   string            `json:"-"`
}

// Data extracts a frame's fields; the first of repeated headers wins, as
// in STOMP.
func Data(f *frame.Frame, received time.Time) MessageData {
	h := make(map[string]string, f.Header.Len())
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		if _, dup := h[k]; !dup {
			h[k] = v
		}
	}
	return MessageData{Command: f.Command, Headers: h, Body: string(f.Body), Received: received,
		Destination: h[frame.Destination], MessageID: h[frame.MessageId]}
}

// Write renders a message in a machine format (json, raw or template) into
// buf, ending with a newline unless raw with NoNewline.
func (f Format) Write(buf *bytes.Buffer, fr *frame.Frame, received time.Time) error {
	switch f.Name {
	case "raw":
		buf.Write(fr.Body)
		if !f.NoNewline {
			buf.WriteByte('\n')
		}
		return nil
	case "json":
		d := Data(fr, received)
		if !utf8.Valid(fr.Body) {
			d.Body, d.BodyBase64 = base64.StdEncoding.EncodeToString(fr.Body), true
		}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		start := buf.Len()
		if err := enc.Encode(d); err != nil { // Encode ends the line
			return err
		}
		escapeHidden(buf, start)
		return nil
	case "template":
		if err := f.tmpl.Execute(buf, Data(fr, received)); err != nil {
			return fmt.Errorf("--format template: %v", err)
		}
		buf.WriteByte('\n')
		return nil
	}
	return fmt.Errorf("format %q is not a machine format", f.Name)
}

// escapeHidden rewrites the C1 and bidirectional controls (see hidden) in
// the JSON that buf holds from start as \u escapes: the same string to a
// JSON reader, but nothing a terminal obeys (a JSON line often goes to
// one), as encoding/json already escapes C0 controls. Encode's output is
// valid UTF-8.
func escapeHidden(buf *bytes.Buffer, start int) {
	b := buf.Bytes()[start:]
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf { // ASCII, the common case, has none
		i++
	}
	j := bytes.IndexFunc(b[i:], hidden)
	if j < 0 {
		return
	}
	i += j
	out := append([]byte(nil), b[:i]...)
	for _, r := range string(b[i:]) {
		if hidden(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	buf.Truncate(start)
	buf.Write(out)
}
