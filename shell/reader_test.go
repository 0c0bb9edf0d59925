package shell

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScriptReaderEndsLinesAsPython: a script's lines end where Python's
// universal newlines end them (\n, \r\n, a lone \r), so stomp.py's do_run
// and stomp run the same lines; a \r split from its \n by a read boundary
// is still one line end.
func TestScriptReaderEndsLinesAsPython(t *testing.T) {
	text := "send /q a\rsend /q b\r\nsend /q c\n\r\nlast\r"
	want := []string{"send /q a", "send /q b", "send /q c", "", "last"}
	for name, r := range map[string]io.Reader{
		"whole":          strings.NewReader(text),
		"byte by byte":   iotest.OneByteReader(strings.NewReader(text)),
		"half at a time": iotest.HalfReader(strings.NewReader(text)),
	} {
		sr := newScriptReader(r)
		var got []string
		for {
			line, err := sr.ReadLine()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, line)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lines %q, want %q", name, got, want)
		}
	}
}
