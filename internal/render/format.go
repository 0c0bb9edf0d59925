package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
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

// FormatNames are the named formats; anything else containing "{{" is a Go
// template.
var FormatNames = []string{"text", "json", "raw"}

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
	t, err := template.New("format").Option("missingkey=zero").Parse(s)
	if err != nil {
		return Format{}, fmt.Errorf("bad --format template: %v", err)
	}
	return Format{Name: "template", tmpl: t}, nil
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
		return enc.Encode(d) // Encode ends the line
	case "template":
		if err := f.tmpl.Execute(buf, Data(fr, received)); err != nil {
			return fmt.Errorf("--format template: %v", err)
		}
		buf.WriteByte('\n')
		return nil
	}
	return fmt.Errorf("format %q is not a machine format", f.Name)
}
