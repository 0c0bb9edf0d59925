package commands

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/sender"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

func init() {
	Register(&Spec{
		Name: "sendfile", Broker: true, Group: "Sending", HeaderOpts: true, MaxArgs: 3,
		// stomp.py loads the headers file only when it is the last word.
		OnExtra: func(args []string) ([]string, string) {
			return args[:2], " (so the headers in " + args[2] + " were not used)"
		},
		Usage:   "[--header key=value]... <destination> <filename> [headers.json]",
		Summary: "send a file (base64, with a filename header)",
		Args: []Arg{
			{Name: "destination", Desc: "where to send the file"},
			{Name: "filename", Desc: "the file to send"},
			{Name: "headers.json", Desc: "a JSON object of extra headers to send", Optional: true},
		},
		Description: "Sends a file as stomp.py does: the body is the file in base64 and the filename\n" +
			"header carries the name as typed. A receiving stomp (or stomp.py) saves it under its\n" +
			"base name in the working directory, never overwriting a file.",
		Example: "sendfile /queue/files report.pdf\nsendfile /queue/files report.pdf headers.json",
		Run:     sendfile,
		Complete: func(env *Env, arg int, typed string) []string {
			switch arg {
			case 0:
				return destinations(env)
			case 1, 2:
				return paths(typed)
			}
			return nil
		},
	})
}

func sendfile(ctx context.Context, c *Call) error {
	headers, args, err := c.headerArgs(2)
	if err != nil {
		return err
	}
	body, err := encodeFile(args[1])
	if err != nil {
		return fileError(args[1], err)
	}
	if len(args) == 3 {
		extra, shown, err := readHeadersJSON(args[2])
		if err != nil {
			return err
		}
		// stomp.py's two lines, which its users' tools may read.
		c.Env.Out.Info("Loading " + args[2] + "\n")
		c.Env.Out.Info("Using headers " + shown + "\n")
		headers = append(extra, headers...)
	}
	// The file's own name wins over a filename in the JSON, as in stomp.py.
	headers = slices.DeleteFunc(headers, func(h [2]string) bool { return h[0] == "filename" })
	headers = append(headers, [2]string{"filename", args[1]})
	return sender.Send(ctx, c.Env.Session, sender.One(args[0], body), session.SendOptions{Headers: headers, Transaction: true}, 0)
}

// encodeFile reads a file as base64, encoding as it reads into a buffer of
// the final size: a 100 MB file costs its 133 MB encoding, not the file,
// the encoding and a copy of it at once.
func encodeFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(base64.StdEncoding.EncodedLen(int(fi.Size())))
	enc := base64.NewEncoder(base64.StdEncoding, &out)
	if _, err := io.Copy(enc, f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// fileError words a file problem as one line that says what to check.
func fileError(path string, err error) error {
	switch {
	case os.IsNotExist(err):
		return exitcode.Usagef("File %s does not exist", path)
	case os.IsPermission(err):
		return exitcode.Usagef("File %s is not readable (permission denied)", path)
	}
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		return exitcode.Usagef("%s is a directory, not a file", path)
	}
	return exitcode.Usagef("cannot read %s: %v", path, err)
}

// readHeadersJSON reads sendfile's headers file: a JSON object whose values
// become header values written as stomp.py writes them (Python's str():
// True, False, 5, 1000.0; a null is no header at all), so both tools put
// the same bytes on the wire. shown is the object as stomp.py prints it
// (Python's repr of the dict, in the file's order).
func readHeadersJSON(path string) (headers [][2]string, shown string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fileError(path, err)
	}
	bad := func(err error) error {
		return exitcode.Usagef("%s is not a JSON object of headers: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("it starts with %v", tok)
		}
		return nil, "", bad(err)
	}
	index := map[string]int{} // a repeated key keeps its first place and its last value, as in Python
	var (
		repr []string
		null []bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", bad(err)
		}
		k, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, "", bad(err)
		}
		s, ok := pythonStr(v)
		if !ok {
			return nil, "", exitcode.Usagef("%s: header %q must be a string, number, boolean or null", path, k)
		}
		r := pythonRepr(k) + ": " + s
		if _, isStr := v.(string); isStr {
			r = pythonRepr(k) + ": " + pythonRepr(s)
		}
		if i, dup := index[k]; dup {
			repr[i], headers[i][1], null[i] = r, s, v == nil
		} else {
			index[k] = len(repr)
			repr = append(repr, r)
			headers = append(headers, [2]string{k, s})
			null = append(null, v == nil)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, "", bad(err)
	}
	kept := headers[:0]
	for i, h := range headers {
		if !null[i] { // stomp.py leaves None headers out
			kept = append(kept, h)
		}
	}
	headers = kept
	sort.Slice(headers, func(i, j int) bool { return headers[i][0] < headers[j][0] })
	return headers, "{" + strings.Join(repr, ", ") + "}", nil
}

// pythonRepr is Python's repr() of a str.
func pythonRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pythonStr formats a JSON scalar as Python's str() of what json.load gives.
func pythonStr(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		if v {
			return "True", true
		}
		return "False", true
	case nil:
		return "None", true
	case json.Number:
		s := v.String()
		if !strings.ContainsAny(s, ".eE") { // a Python int, of any size: "-0" is 0
			n, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return s, true
			}
			return n.String(), true
		}
		// Out of range, Float64 gives ±Inf with an error: Python says inf.
		f, _ := strconv.ParseFloat(s, 64)
		return pythonFloat(f), true
	}
	return "", false
}

// pythonFloat is Python's repr of a float: the shortest digits, a ".0" on
// whole numbers, and exponent form below 1e-4 or from 1e16.
func pythonFloat(f float64) string {
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
