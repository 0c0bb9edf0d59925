package render

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-stomp/stomp/v3/frame"
)

var wireEscaper = strings.NewReplacer(`\`, `\\`, "\r", `\r`, "\n", `\n`, ":", `\c`)

// Wire renders a frame as it travels (for --trace): ">>> " or "<<< " and the
// command, then `key:value` headers escaped as on the wire, a blank line,
// the body, and ^@ for the NUL. The passcode is redacted; control
// characters in the command and headers show as in AppendVisible; a body that is not
// printable text shows as its length and hex.
func Wire(buf *bytes.Buffer, f *frame.Frame, outgoing bool) {
	if outgoing {
		buf.WriteString(">>> ")
	} else {
		buf.WriteString("<<< ")
	}
	buf.WriteString(VisibleLine(f.Command) + "\n")
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		buf.WriteString(VisibleLine(wireEscaper.Replace(k)) + ":" + VisibleLine(wireEscaper.Replace(redact(k, v))) + "\n")
	}
	buf.WriteByte('\n')
	if printable(f.Body) {
		buf.Write(f.Body)
	} else {
		fmt.Fprintf(buf, "[%d bytes] %s", len(f.Body), hex.EncodeToString(f.Body))
	}
	buf.WriteString("^@\n")
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f || hidden(r) {
			return false
		}
	}
	return true
}
