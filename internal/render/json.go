package render

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"
)

// maxPrettyJSON bounds the bodies pretty-printed: a huge document is
// shown as it came rather than reflowed into thousands of lines.
const maxPrettyJSON = 1 << 20

// isJSON says whether a body should be shown as JSON: an object or an
// array that parses, whatever the content-type says (many senders set
// none), or any JSON value when the content-type says JSON.
func isJSON(f *frame.Frame, body []byte) bool {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || len(t) > maxPrettyJSON {
		return false
	}
	declared := strings.Contains(strings.ToLower(f.Header.Get(frame.ContentType)), "json")
	return (declared || t[0] == '{' || t[0] == '[') && json.Valid(t)
}

// writeJSON writes a JSON body indented by two spaces, keys, strings and
// other values in their colours when the theme colours, and control
// characters made visible as in any text output.
func writeJSON(buf *bytes.Buffer, body []byte, th *Theme) {
	var ind bytes.Buffer
	if err := json.Indent(&ind, bytes.TrimSpace(body), "", "  "); err != nil {
		th.writeBody(buf, body) // isJSON said it parses: not reached
		return
	}
	b := ind.Bytes()
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(b))
			k := j
			for k < len(b) && b[k] == ' ' {
				k++
			}
			paint := th.jsonString
			if k < len(b) && b[k] == ':' {
				paint = th.jsonKey
			}
			buf.WriteString(th.paint(paint, string(AppendVisible(nil, b[i:j], false))))
			i = j
		case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(b) && !strings.ContainsRune(",]}\n ", rune(b[j])) {
				j++
			}
			buf.WriteString(th.paint(th.jsonValue, string(b[i:j])))
			i = j
		default:
			buf.WriteByte(c)
			i++
		}
	}
	buf.WriteByte('\n')
}
