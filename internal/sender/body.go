package sender

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// bodyTemplate is what a templated body sees.
type bodyTemplate struct {
	Count int
	Time  string
	ID    string
}

// Body is `stomp send`'s body, for Repeat: the file at path when path is
// set (binary safe); all of stdin when arg is empty or "-"; a Go template
// when arg contains {{ ({{.Count}} is the message's number from 1,
// {{.Time}} the time it is sent, {{.ID}} a random id); arg itself
// otherwise.
func Body(arg, path string, stdin io.Reader) (func(n int) ([]byte, error), error) {
	var fixed []byte
	switch {
	case path != "":
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, exitcode.Usagef("cannot read --file: %v", err)
		}
		fixed = data
	case arg == "" || arg == "-":
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		fixed = data
	case strings.Contains(arg, "{{"):
		t, err := template.New("body").Option("missingkey=error").Parse(arg)
		if err == nil { // tried now, so a mistake is found before connecting
			err = t.Execute(io.Discard, bodyTemplate{Count: 1, Time: time.Now().Format(time.RFC3339Nano), ID: NewID()})
		}
		if err != nil {
			// The error names Go types past " in type ", which mean
			// nothing to the user: keep what precedes. A body that only
			// happens to hold {{ (a Mustache text) has another way in.
			msg, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "template: "), " in type ")
			return nil, exitcode.Usagef("bad body template: %s (a BODY with {{ is a template with .Count, .Time and .ID; to send it as it is, give it on standard input or with --file)", msg)
		}
		return func(n int) ([]byte, error) {
			var b bytes.Buffer
			err := t.Execute(&b, bodyTemplate{Count: n, Time: time.Now().Format(time.RFC3339Nano), ID: NewID()})
			if err != nil {
				return nil, exitcode.Usagef("body template: %v", err)
			}
			return b.Bytes(), nil
		}, nil
	default:
		fixed = []byte(arg)
	}
	return func(int) ([]byte, error) { return fixed, nil }, nil
}
