package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
)

// fuzzArgs turns one fuzzed string into arguments: words separated by NUL.
func fuzzArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

var argSeeds = []string{
	"", "--help", "--version", "-h", "--prot\x001.2", "--verb", "--h", "--heart=1000,1000", "--heartbeats\x00x,y",
	"-S\x001.3", "-P\x0070000", "-L\x00/queue/a\x00--count\x00-1", "listen\x00/queue/a\x00--timeout\x00-5s",
	"send\x00/queue/a\x00--lines\x00--rate\x000", "send\x00/queue/a\x00{{.Nope}}", "request\x00/q\x00x\x00--timeout\x001ns",
	"reply\x00/q\x00--template\x00{{", "--format\x00{{.Body", "--format\x00json\x00-L\x00/q", "-F\x00-", "-F\x00/nonexistent",
	"--ack\x00sideways\x00-L\x00/q", "--reconnect-delay\x000s", "--reconnect-attempts\x00-7", "--max-frame-size\x00-1",
	"--ssl-ca-file\x00/dev/null\x00--ssl", "--ssl-cert-file\x00/etc/passwd", "stomp://u:p@x:1/v", "ws://x/ws", "x\x00y",
	"completion\x00bash", "completion\x00zsh", "help\x00send",
	"--=x", "---", "--no-such-flag", "-Z", "--count=9999999999999999999999", "--receipt-timeout\x00-1s", "-W\x00-",
	"--continue-on-error\x00-F\x00/dev/null", "--no-newline\x00--format\x00raw", "send\x00--header\x00=x\x00/q\x00b",
}

// refuse reports arguments the fuzzer must not use: they would reach a
// broker other than 127.0.0.1:1 (the real ones listen on this machine), or
// run a server until the context ends.
var refuseRe = regexp.MustCompile(`^--(host|port|embedded|context|connect-timeout)(=|$)|^-[^-]*[HP]`)

func refuse(root []string) bool {
	for _, a := range root {
		if a == "--" || a == "serve" || a == "bench" || refuseRe.MatchString(a) {
			return true
		}
	}
	return false
}

// FuzzRun runs the whole command line in-process with fuzzed arguments and
// a fuzzed -F script, pointed at a port where nothing listens: it must
// never panic and must end quickly with a documented exit code.
func FuzzRun(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s, []byte("send /queue/a hello\n"), false)
		f.Add(s, []byte{}, true)
	}
	f.Add("", []byte("\x00binary"), true)
	f.Add("--continue-on-error", []byte("nosuch\n"), true)
	f.Fuzz(func(t *testing.T, joined string, script []byte, withScript bool) {
		args := fuzzArgs(joined)
		dir := t.TempDir()
		stdio, _, errOut := iostreams.Test()
		stdio.In = bytes.NewReader(script)
		stdio.SetEnv("HOME", dir)
		stdio.SetEnv("XDG_CONFIG_HOME", filepath.Join(dir, "XDG_CONFIG_HOME"))
		stdio.SetEnv("XDG_STATE_HOME", filepath.Join(dir, "XDG_STATE_HOME"))
		stdio.SetEnv("NO_COLOR", "1")
		if refuse(expandPrefixes(newRoot(&options{}, stdio), args)) {
			t.Skip("would reach another broker or serve")
		}
		if withScript {
			path := filepath.Join(dir, "script.txt")
			if err := os.WriteFile(path, script, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-F", path)
		}
		// Twice the first: a fuzzed flag may take the next word as its value.
		args = append(args, "--host=127.0.0.1", "--host=127.0.0.1", "--port=1", "--connect-timeout=50ms",
			"--receipt-timeout=200ms", "--reconnect-attempts=1", "--reconnect-delay=1ms", "--reconnect-max-delay=1ms")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		// A run that ignores its context would hang the fuzzer silently:
		// crash instead, with every goroutine's stack, so the input is kept.
		watchdog := time.AfterFunc(25*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("Run(%q) still running after 25s with a 20s context\n%s", args, buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		code := Run(ctx, args, stdio)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%q took %v (exit %d)\nstderr: %s", args, d, code, errOut)
		}
		if !slices.ContainsFunc(exitcode.Table, func(e exitcode.Entry) bool { return e.Code == code }) {
			t.Fatalf("%q: exit %d, not in the table of exit codes\nstderr: %s", args, code, errOut)
		}
		if code != 0 {
			errText := errOut.String()
			if strings.Contains(errText, "goroutine ") || strings.Contains(errText, "panic") {
				t.Fatalf("%q: a stack trace on stderr:\n%s", args, errText)
			}
			if !strings.HasPrefix(errText, "stomp: ") {
				t.Fatalf("%q: exit %d, stderr does not start with \"stomp: \": %q", args, code, errText)
			}
		}
	})
}

// FuzzExpandPrefixes checks the long-flag prefix expansion on its own:
// one word out per word in, a word is only ever replaced by the unique
// flag it abbreviates, and nothing after "--" is touched.
func FuzzExpandPrefixes(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s)
	}
	f.Add("--prot=1.2\x00--\x00--prot")
	f.Add("--=\x00--\xff\x00--a=b=c")
	stdio, _, _ := iostreams.Test()
	root := newRoot(&options{}, stdio)
	f.Fuzz(func(t *testing.T, joined string) {
		args := fuzzArgs(joined)
		out := expandPrefixes(root, args)
		if len(out) != len(args) {
			t.Fatalf("%q -> %q: word count changed", args, out)
		}
		dashdash := false
		for i, a := range args {
			if dashdash {
				if out[i] != a {
					t.Fatalf("%q -> %q: changed %q after --", args, out, a)
				}
				continue
			}
			if a == "--" {
				dashdash = true
			}
			if out[i] == a {
				continue
			}
			name, value, hasValue := strings.Cut(a[2:], "=")
			xname, xvalue, xhasValue := strings.Cut(out[i][2:], "=")
			if !strings.HasPrefix(out[i], "--") || !strings.HasPrefix(xname, name) || xvalue != value || xhasValue != hasValue {
				t.Fatalf("%q -> %q: %q expanded to %q", args, out, a, out[i])
			}
			if root.Flags().Lookup(xname) == nil && root.PersistentFlags().Lookup(xname) == nil && xname != "help" {
				t.Fatalf("%q expanded to unknown flag %q", a, out[i])
			}
		}
	})
}
