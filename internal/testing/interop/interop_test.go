package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// expectation is one message as it must arrive: exact body, and these headers with exactly these
// values (brokers add their own headers, which are not checked).
type expectation struct {
	name    string
	body    []byte
	headers map[string]string
}

// sendfileHeadersJSON is the headers.json both CLIs send files with in these tests: values only of
// the kinds both CLIs render the same way (strings, integers); see TestSendfileJSONHeaderValues.
const sendfileHeadersJSON = `{"x-json": "from json: a:b", "x-num": 42, "x-utf8-json": "ü✓"}`

var sendfileJSONHeaders = map[string]string{"x-json": "from json: a:b", "x-num": "42", "x-utf8-json": "ü✓"}

func withFilename(h map[string]string, name string) map[string]string {
	m := map[string]string{"filename": name}
	for k, v := range h {
		m[k] = v
	}
	return m
}

// trunc keeps error messages readable for big bodies.
func trunc(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:600:600], "..."...)
	}
	return b
}

// checkPyMessages compares what the stomp.py library received with want, in order.
func checkPyMessages(t *testing.T, got []pyMessage, want []expectation) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("stomp.py received %d messages, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		body := g.body(t)
		if !bytes.Equal(body, w.body) {
			t.Errorf("message %d (%s): stomp.py got body (%d bytes) %q, want (%d bytes) %q", i, w.name, len(body), trunc(body), len(w.body), trunc(w.body))
		}
		if cl, ok := g.Headers["content-length"]; ok && cl != strconv.Itoa(len(w.body)) {
			t.Errorf("message %d (%s): content-length %s, want %d", i, w.name, cl, len(w.body))
		}
		for k, v := range w.headers {
			if gv, ok := g.Headers[k]; !ok {
				t.Errorf("message %d (%s): stomp.py got no %q header; headers %q", i, w.name, k, g.Headers)
			} else if gv != v {
				t.Errorf("message %d (%s): header %q = %q, want %q", i, w.name, k, gv, v)
			}
		}
	}
}

// TestStompToStomppyLibrary: our CLI sends (-F script) text, UTF-8, quoted bodies with escapes,
// --header values with ':' '\' UTF-8, CR and a newline (and a header name with ':'), a reply and a binary sendfile with headers.json;
// the stomp.py library receives them byte for byte.
func TestStompToStomppyLibrary(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		dir := t.TempDir()
		data := allBytes()
		writeFile(t, filepath.Join(dir, "all256.bin"), data)
		writeFile(t, filepath.Join(dir, "headers.json"), []byte(sendfileHeadersJSON))
		dest := testbroker.Unique(t, "/queue/")

		script := strings.Join([]string{
			"send " + dest + " plain text message",
			"send " + dest + " héllo wörld ✓",
			"send " + dest + ` "two  spaces\nsecond line\ttab \"quoted\" back\\slash"`,
			"send --header x-colon=a:b::c --header \"x-newline=line1\\nline2\" --header \"x-backslash=a\\\\b\" " +
				"--header x-utf8=ü✓ --header \"x-spaces=two  words\" --header x-empty= --header \"x-cr=a\\rb\" " +
				"--header \"key:with:colons=v\" " + dest + " with headers",
			"sendreply " + dest + " corr:1 a reply",
			"sendfile " + dest + " all256.bin headers.json",
			"",
		}, "\n")
		writeFile(t, filepath.Join(dir, "script.txt"), []byte(script))
		want := []expectation{
			{name: "plain", body: []byte("plain text message")},
			{name: "utf8", body: []byte("héllo wörld ✓")},
			{name: "quoted", body: []byte("two  spaces\nsecond line\ttab \"quoted\" back\\slash")},
			{name: "headers", body: []byte("with headers"), headers: map[string]string{
				"x-colon": "a:b::c", "x-newline": "line1\nline2", "x-backslash": `a\b`, "x-utf8": "ü✓",
				"x-spaces": "two  words", "x-empty": "", "x-cr": "a\rb", "key:with:colons": "v",
			}},
			{name: "sendreply", body: []byte("a reply\n"), headers: map[string]string{"correlation-id": "corr:1"}},
			{name: "sendfile", body: []byte(base64.StdEncoding.EncodeToString(data)),
				headers: withFilename(sendfileJSONHeaders, "all256.bin")},
		}

		rcv := startPyRecv(ctx, t, tg, dest, len(want), 20*time.Second)
		runStomp(ctx, t, dir, append(stompArgs(tg), "-F", "script.txt")...)
		checkPyMessages(t, rcv.messages(ctx, t), want)
	})
}

// TestStomppyCLIReceivesStompSendfile: stomp.py's own CLI in listen mode saves our sendfile as the
// identical file.
func TestStomppyCLIReceivesStompSendfile(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		sendDir, recvDir := t.TempDir(), t.TempDir()
		data := allBytes()
		writeFile(t, filepath.Join(sendDir, "all256.bin"), data)
		writeFile(t, filepath.Join(sendDir, "headers.json"), []byte(sendfileHeadersJSON))
		dest := testbroker.Unique(t, "/queue/")

		// stomp.py -L never exits by itself: `timeout` bounds it, and it is stopped once the file is in.
		py := start(ctx, t, recvDir, nil, "timeout", append([]string{"30", python}, append(pyCLIArgs(tg), "-L", dest)...)...)
		py.waitFor(ctx, t, "Subscribing to '"+dest+"'")
		writeFile(t, filepath.Join(sendDir, "script.txt"), []byte("sendfile "+dest+" all256.bin headers.json\n"))
		runStomp(ctx, t, sendDir, append(stompArgs(tg), "-F", "script.txt")...)
		py.waitFor(ctx, t, "Saved file: all256.bin\n")
		py.stop()
		if got := readFile(t, filepath.Join(recvDir, "all256.bin")); !bytes.Equal(got, data) {
			t.Errorf("stomp.py saved %d bytes that differ from the %d sent:\n got %x\nwant %x", len(got), len(data), got, data)
		}
		if strings.Contains(py.stderr.String(), "Traceback") {
			t.Errorf("stomp.py CLI failed:\n%s", py.stderr.String())
		}
	})
}

// listenBlock matches the start of one message in our CLI's non-verbose -L output:
// a blank line, message-id, subscription, then the body (no separator line in listen mode).
var listenBlock = regexp.MustCompile(`\nmessage-id: [^\n]*\nsubscription: [^\n]*\n`)

// listenBodies splits our CLI's non-verbose -L output into the bodies displayed.
func listenBodies(t *testing.T, out string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "Subscribing to ")
	if !ok {
		t.Fatalf("no subscription line in stomp -L output:\n%s", out)
	}
	idx := listenBlock.FindAllStringIndex(rest, -1)
	var bodies []string
	for i, m := range idx {
		end := len(rest)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		b := rest[m[1]:end]
		if !strings.HasSuffix(b, "\n") {
			t.Errorf("message %d display does not end with a newline: %q", i, b)
		}
		bodies = append(bodies, strings.TrimSuffix(b, "\n"))
	}
	return bodies
}

// startListen starts our CLI in listen mode in dir and returns once it has subscribed.
func startListen(ctx context.Context, t *testing.T, tg testbroker.Target, dir, dest string, count int, extra ...string) *proc {
	t.Helper()
	args := append(stompArgs(tg), extra...)
	args = append(args, "-L", dest, "--count", strconv.Itoa(count))
	p := start(ctx, t, dir, nil, stompBin, args...)
	p.waitFor(ctx, t, "Subscribing to '"+dest+"'")
	return p
}

// finishListen waits for a listen-mode CLI to exit by itself after --count messages.
func finishListen(ctx context.Context, t *testing.T, p *proc) string {
	t.Helper()
	err := p.wait(ctx, t)
	checkNoRace(t, p.stderr.String())
	if err != nil {
		t.Errorf("stomp -L: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout.String(), p.stderr.String())
	}
	return p.stdout.String()
}

// pythonReplace decodes b as Python's bytes.decode("utf-8", "replace") does for input whose invalid
// sequences are all single bytes (true of allBytes): one U+FFFD per invalid byte.
func pythonReplace(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // utf8.RuneError (U+FFFD) for an invalid byte, n == 1
		b = b[n:]
	}
	return sb.String()
}

// collapseFFFD turns runs of U+FFFD into one, so displays can be compared whatever the replacement
// granularity (see TestBinaryBodyDisplayMatchesStomppy).
func collapseFFFD(s string) string {
	for strings.Contains(s, "\uFFFD\uFFFD") {
		s = strings.ReplaceAll(s, "\uFFFD\uFFFD", "\uFFFD")
	}
	return s
}

// TestStomppyLibraryToStomp: the stomp.py library sends text, UTF-8, a multi-line body, headers
// with ':' '\' UTF-8 and a newline, a sendfile-style message (binary file), one whose filename has
// directories, and a raw binary body; our CLI receives them in listen mode (plain and -V, each on its
// own queue), shows them as stomp.py would and saves the files byte for byte.
func TestStomppyLibraryToStomp(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		data := allBytes()
		nested := []byte("nested file\x00\xff\n")
		hdrs := map[string]string{
			"x-colon": "a:b::c", "x-newline": "line1\nline2", "x-backslash": `a\b`, "x-utf8": "ü✓",
			"x-spaces": "two  words",
		}
		type msg struct {
			headers map[string]string
			body    []byte
			display string // what our CLI must show as the body
		}
		msgs := []msg{
			{body: []byte("plain text message"), display: "plain text message"},
			{body: []byte("héllo wörld ✓"), display: "héllo wörld ✓"},
			{body: []byte("two  spaces\nsecond line\ttab \"quoted\" back\\slash\n"), display: "two  spaces\nsecond line\ttab \"quoted\" back\\slash\n"},
			{headers: hdrs, body: []byte("with headers"), display: "with headers"},
			{headers: withFilename(sendfileJSONHeaders, "all256.bin"), body: []byte(base64.StdEncoding.EncodeToString(data)), display: "Saved file: all256.bin"},
			{headers: map[string]string{"filename": "sub/dir/nested.bin"}, body: []byte(base64.StdEncoding.EncodeToString(nested)), display: "Saved file: nested.bin"},
			{body: data, display: pythonReplace(data)},
		}
		plainDest, verboseDest := testbroker.Unique(t, "/queue/"), testbroker.Unique(t, "/queue/")
		plainDir, verboseDir := t.TempDir(), t.TempDir()
		plain := startListen(ctx, t, tg, plainDir, plainDest, len(msgs))
		verbose := startListen(ctx, t, tg, verboseDir, verboseDest, len(msgs), "-V")

		var send []pySend
		for _, dest := range []string{plainDest, verboseDest} {
			for _, m := range msgs {
				send = append(send, pySend{Dest: dest, Headers: m.headers, BodyB64: base64.StdEncoding.EncodeToString(m.body)})
			}
		}
		pyLibSend(ctx, t, tg, send)
		plainOut, verboseOut := finishListen(ctx, t, plain), finishListen(ctx, t, verbose)

		bodies := listenBodies(t, plainOut)
		if len(bodies) != len(msgs) {
			t.Fatalf("stomp -L showed %d messages, want %d:\n%s", len(bodies), len(msgs), plainOut)
		}
		for i, m := range msgs {
			got, want := bodies[i], m.display
			if i == len(msgs)-1 {
				// Raw binary: valid UTF-8 on screen, every valid byte kept; how many U+FFFD replace a run
				// of invalid bytes is TestBinaryBodyDisplayMatchesStomppy's business.
				if !utf8.ValidString(got) {
					t.Errorf("binary body shown as invalid UTF-8: %q", got)
				}
				got, want = collapseFFFD(got), collapseFFFD(want)
			}
			if got != want {
				t.Errorf("message %d: stomp -L showed body\n%q\nwant\n%q", i, got, want)
			}
		}
		for _, d := range []string{plainDir, verboseDir} {
			if got := readFile(t, filepath.Join(d, "all256.bin")); !bytes.Equal(got, data) {
				t.Errorf("%s: saved all256.bin differs from what stomp.py sent:\n got %x\nwant %x", d, got, data)
			}
			if got := readFile(t, filepath.Join(d, "nested.bin")); !bytes.Equal(got, nested) {
				t.Errorf("%s: saved nested.bin = %q, want %q", d, got, nested)
			}
			if _, err := os.Stat(filepath.Join(d, "sub")); err == nil {
				t.Errorf("%s: a directory from the sender's filename was created", d)
			}
		}

		// -V shows every header as `key: value`, unescaped, as stomp.py does (a newline in a value
		// breaks the line, as it does in stomp.py).
		for k, v := range hdrs {
			if !strings.Contains(verboseOut, "\n"+k+": "+v+"\n") {
				t.Errorf("stomp -V -L does not show header %q as %q:\n%s", k, k+": "+v, verboseOut)
			}
		}
		for k, v := range withFilename(sendfileJSONHeaders, "all256.bin") {
			if !strings.Contains(verboseOut, "\n"+k+": "+v+"\n") {
				t.Errorf("stomp -V -L does not show sendfile header %q as %q:\n%s", k, k+": "+v, verboseOut)
			}
		}
		for _, s := range []string{"\nplain text message\n", "\nhéllo wörld ✓\n", "\nSaved file: all256.bin\n", "\nSaved file: nested.bin\n"} {
			if !strings.Contains(verboseOut, s) {
				t.Errorf("stomp -V -L output lacks %q:\n%s", s, verboseOut)
			}
		}
	})
}

// TestStomppyCLISendfileToStomp: stomp.py's own CLI sends a line and a binary file with headers.json
// (-F script); our CLI receives both and saves the identical file.
func TestStomppyCLISendfileToStomp(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		sendDir, recvDir := t.TempDir(), t.TempDir()
		data := allBytes()
		writeFile(t, filepath.Join(sendDir, "all256.bin"), data)
		writeFile(t, filepath.Join(sendDir, "headers.json"), []byte(sendfileHeadersJSON))
		dest := testbroker.Unique(t, "/queue/")
		writeFile(t, filepath.Join(sendDir, "script.txt"), []byte(
			"send "+dest+" hello from stomp.py  ✓\nsendfile "+dest+" all256.bin headers.json\n"))

		ours := startListen(ctx, t, tg, recvDir, dest, 2, "-V")
		// stomp.py -F exits right after its last line without DISCONNECT; its exit status is always 0,
		// so it is judged by what arrives.
		py := start(ctx, t, sendDir, nil, "timeout", append([]string{"30", python}, append(pyCLIArgs(tg), "-F", "script.txt")...)...)
		if err := py.wait(ctx, t); err != nil {
			t.Errorf("stomp.py -F: %v\n%s", err, py.stderr.String())
		}
		out := finishListen(ctx, t, ours)
		for _, s := range []string{"\nhello from stomp.py ✓\n", "\nSaved file: all256.bin\n", "\nfilename: all256.bin\n", "\nx-json: from json: a:b\n", "\nx-num: 42\n", "\nx-utf8-json: ü✓\n"} {
			if !strings.Contains(out, s) {
				t.Errorf("stomp -V -L output lacks %q:\n%s\nstomp.py said:\n%s%s", s, out, py.stdout.String(), py.stderr.String())
			}
		}
		if got := readFile(t, filepath.Join(recvDir, "all256.bin")); !bytes.Equal(got, data) {
			t.Errorf("saved all256.bin differs from the file stomp.py sent:\n got %x\nwant %x", got, data)
		}
	})
}

// sendfileParity sends the same file and headers.json with both CLIs' sendfile to the stomp.py
// library and returns the two messages (ours first).
func sendfileParity(ctx context.Context, t *testing.T, tg testbroker.Target, headersJSON string) (ours, theirs pyMessage) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.bin"), allBytes())
	writeFile(t, filepath.Join(dir, "h.json"), []byte(headersJSON))
	dest := testbroker.Unique(t, "/queue/")
	writeFile(t, filepath.Join(dir, "script.txt"), []byte("sendfile "+dest+" f.bin h.json\n"))
	rcv := startPyRecv(ctx, t, tg, dest, 2, 20*time.Second)
	runStomp(ctx, t, dir, append(stompArgs(tg), "-F", "script.txt")...)
	py := start(ctx, t, dir, nil, "timeout", append([]string{"30", python}, append(pyCLIArgs(tg), "-F", "script.txt")...)...)
	if err := py.wait(ctx, t); err != nil {
		t.Errorf("stomp.py -F: %v\n%s", err, py.stderr.String())
	}
	got := rcv.messages(ctx, t)
	if len(got) != 2 {
		t.Fatalf("stomp.py library received %d messages, want 2 (stomp.py CLI said %s%s)", len(got), py.stdout.String(), py.stderr.String())
	}
	return got[0], got[1]
}

// perMessage are headers the broker sets differently on every message, and
// the SEND's receipt header, which RabbitMQ keeps on the message: stomp asks for a receipt on a SEND to learn that the broker
// has it (its delivery ledger), stomp.py only on sendrec's.
var perMessage = map[string]bool{"message-id": true, "timestamp": true, "ack": true, "expires": true, "receipt": true}

func compareSendfiles(t *testing.T, ours, theirs pyMessage) {
	t.Helper()
	if ours.BodyB64 != theirs.BodyB64 {
		t.Errorf("sendfile bodies differ:\nstomp    %s\nstomp.py %s", ours.BodyB64, theirs.BodyB64)
	}
	keys := map[string]bool{}
	for k := range ours.Headers {
		keys[k] = true
	}
	for k := range theirs.Headers {
		keys[k] = true
	}
	for k := range keys {
		if perMessage[k] {
			continue
		}
		o, ok1 := ours.Headers[k]
		p, ok2 := theirs.Headers[k]
		if o != p || ok1 != ok2 {
			t.Errorf("header %q: stomp sends %s, stomp.py sends %s", k, show(o, ok1), show(p, ok2))
		}
	}
}

func show(v string, ok bool) string {
	if !ok {
		return "(none)"
	}
	return fmt.Sprintf("%q", v)
}

// TestSendfileParity: the same `sendfile dest file headers.json` line, run by stomp and by stomp.py,
// delivers the same body and the same headers.
func TestSendfileParity(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		ours, theirs := sendfileParity(ctx, t, tg, `{"x-str": "a:b", "x-int": 42, "x-utf8": "ü✓", "filename": "ignored.txt"}`)
		compareSendfiles(t, ours, theirs)
	})
}

// TestSendfileJSONHeaderValues: JSON booleans and floats in headers.json. stomp.py sends Python's
// str() of the value (True, 1000.0, 0.5), and so must stomp.
func TestSendfileJSONHeaderValues(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		ours, theirs := sendfileParity(ctx, t, tg, `{"x-bool": true, "x-false": false, "x-float": 1000.0, "x-frac": 0.5}`)
		compareSendfiles(t, ours, theirs)
	})
}

// TestBinaryBodyDisplayMatchesStomppy: a raw (non-sendfile) binary body is shown by both CLIs with
// invalid UTF-8 replaced by U+FFFD; stomp.py (errors="replace") puts one U+FFFD per invalid byte.
func TestBinaryBodyDisplayMatchesStomppy(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		data := allBytes()
		oursDest, theirsDest := testbroker.Unique(t, "/queue/"), testbroker.Unique(t, "/queue/")
		ours := startListen(ctx, t, tg, t.TempDir(), oursDest, 1)
		py := start(ctx, t, t.TempDir(), nil, "timeout", append([]string{"30", python}, append(pyCLIArgs(tg), "-L", theirsDest)...)...)
		py.waitFor(ctx, t, "Subscribing to '"+theirsDest+"'")
		b64 := base64.StdEncoding.EncodeToString(data)
		pyLibSend(ctx, t, tg, []pySend{{Dest: oursDest, BodyB64: b64}, {Dest: theirsDest, BodyB64: b64}})
		oursOut := finishListen(ctx, t, ours)
		// stomp.py -L: "\nmessage-id: X\nsubscription: 1\n<body>\n"; the body ends with "\n\x00".
		py.waitFor(ctx, t, "subscription: 1\n")
		deadline := time.Now().Add(5 * time.Second)
		for !strings.HasSuffix(py.stdout.String(), "\x00\n") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		py.stop()
		theirsBodies := listenBodies(t, py.stdout.String())
		oursBodies := listenBodies(t, oursOut)
		if len(theirsBodies) != 1 || len(oursBodies) != 1 {
			t.Fatalf("want one message each, got stomp %d, stomp.py %d:\n%q\n%q", len(oursBodies), len(theirsBodies), oursOut, py.stdout.String())
		}
		if oursBodies[0] != theirsBodies[0] {
			t.Errorf("binary body display differs:\nstomp    %q\nstomp.py %q", oursBodies[0], theirsBodies[0])
		}
	})
}

// TestLargeSendfileBothWays: a 1 MiB random file (1.4 MB of base64, many TCP segments) goes through
// sendfile intact in both directions.
func TestLargeSendfileBothWays(t *testing.T) {
	eachBroker(t, func(t *testing.T, tg testbroker.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		data := make([]byte, 1<<20)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		b64 := base64.StdEncoding.EncodeToString(data)

		t.Run("stomp to stomp.py", func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "big.bin"), data)
			dest := testbroker.Unique(t, "/queue/")
			writeFile(t, filepath.Join(dir, "script.txt"), []byte("sendfile "+dest+" big.bin\n"))
			rcv := startPyRecv(ctx, t, tg, dest, 1, 30*time.Second)
			runStomp(ctx, t, dir, append(stompArgs(tg), "-F", "script.txt")...)
			checkPyMessages(t, rcv.messages(ctx, t), []expectation{
				{name: "big sendfile", body: []byte(b64), headers: map[string]string{"filename": "big.bin"}},
			})
		})
		t.Run("stomp.py to stomp", func(t *testing.T) {
			dir := t.TempDir()
			dest := testbroker.Unique(t, "/queue/")
			p := startListen(ctx, t, tg, dir, dest, 1)
			pyLibSend(ctx, t, tg, []pySend{{Dest: dest, Headers: map[string]string{"filename": "big.bin"}, BodyB64: base64.StdEncoding.EncodeToString([]byte(b64))}})
			out := finishListen(ctx, t, p)
			if !strings.Contains(out, "\nSaved file: big.bin\n") {
				t.Errorf("stomp -L output lacks the saved file:\n%s", out)
			}
			if got := readFile(t, filepath.Join(dir, "big.bin")); !bytes.Equal(got, data) {
				t.Errorf("saved big.bin (%d bytes) differs from the %d bytes stomp.py sent", len(got), len(data))
			}
		})
	})
}
