// Command testsummary reads `go test -json` on standard input and writes
// what plain `go test` would (each package's ok/FAIL line, the output of
// failing tests), then one closing line in gotestsum's form with what a
// reader of the log needs:
//
//	DONE 27 packages, 1432 tests: 1417 passed, 0 failed, 15 skipped in 212.4s; real-broker suites skipped: rabbitmq (STOMP_TEST_RABBITMQ not set), ...
//
// The real-broker suites are the environment's STOMP_TEST_* brokers (the
// tests run against each one configured, and silently leave out the
// others), plus the reasons of tests skipped for a broker. It exits 1 when
// a test or a package failed, so `make test` fails with it.
//
// It is written here, not taken from gotestsum, because the closing line
// must name the skipped broker suites and why, which gotestsum cannot.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (see go doc cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// brokerSuites are the real brokers the tests run against when their
// variable is set (scripts/ci-brokers.sh env sets them all).
var brokerSuites = []struct{ name, env string }{
	{"rabbitmq", "STOMP_TEST_RABBITMQ"},
	{"activemq", "STOMP_TEST_ACTIVEMQ"},
	{"rabbitmq TLS", "STOMP_TEST_RABBITMQ_TLS"},
	{"activemq TLS", "STOMP_TEST_ACTIVEMQ_TLS"},
	{"rabbitmq web-stomp", "STOMP_TEST_RABBITMQ_WS"},
}

// summary counts what the stream reported.
type summary struct {
	packages, passed, failed, skipped int
	pkgFailed                         bool
	brokerSkips                       map[string]int // reason -> tests skipped for it
}

func main() {
	start := time.Now()
	s, err := run(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	fmt.Println(s.line(time.Since(start), os.Getenv))
	if s.failed > 0 || s.pkgFailed {
		os.Exit(1)
	}
}

// run copies the plain-text view of the stream to out and counts it.
func run(in io.Reader, out io.Writer) (*summary, error) {
	s := &summary{brokerSkips: map[string]int{}}
	held := map[string][]string{} // package/test -> its output, shown if it fails
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(out, string(line)) // not an event: a build error, say
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch {
		case e.Action == "build-output":
			io.WriteString(out, e.Output) // a compile error
		case e.Test == "" && e.Action == "output":
			if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "PASS\n") {
				io.WriteString(out, e.Output) // ok pkg, FAIL pkg, ? pkg [no test files]
			}
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			s.packages++
			s.pkgFailed = s.pkgFailed || e.Action == "fail"
		case e.Action == "output":
			held[key] = append(held[key], e.Output)
		case e.Action == "pass":
			s.passed++
			delete(held, key)
		case e.Action == "skip":
			s.skipped++
			if r := skipReason(held[key]); brokerReason.MatchString(r) {
				s.brokerSkips[r]++
			}
			delete(held, key)
		case e.Action == "fail":
			s.failed++
			for _, o := range held[key] {
				io.WriteString(out, o)
			}
			delete(held, key)
		}
	}
	return s, sc.Err()
}

// brokerReason matches the skip reasons that are a real broker missing.
var brokerReason = regexp.MustCompile(`STOMP_TEST_|real broker|no broker`)

// fileLine is the "file_test.go:12: " prefix of a test's log line.
var fileLine = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// skipReason is the message a skipped test logged last.
func skipReason(output []string) string {
	for i := len(output) - 1; i >= 0; i-- {
		if loc := fileLine.FindStringIndex(output[i]); loc != nil {
			return strings.TrimSpace(output[i][loc[1]:])
		}
	}
	return ""
}

// line is the closing line.
func (s *summary) line(took time.Duration, getenv func(string) string) string {
	var off []string
	for _, b := range brokerSuites {
		if getenv(b.env) == "" {
			off = append(off, fmt.Sprintf("%s (%s not set)", b.name, b.env))
		}
	}
	reasons := make([]string, 0, len(s.brokerSkips))
	for r, n := range s.brokerSkips {
		if !mentionsUnset(r, getenv) { // already said above
			reasons = append(reasons, fmt.Sprintf("%d test(s): %s", n, r))
		}
	}
	sort.Strings(reasons)
	skipped := "none"
	if all := append(off, reasons...); len(all) > 0 {
		skipped = strings.Join(all, "; ")
		if len(off) > 0 {
			skipped += ` (to run them: scripts/ci-brokers.sh start && eval "$(scripts/ci-brokers.sh env)")`
		}
	}
	return fmt.Sprintf("DONE %d packages, %d tests: %d passed, %d failed, %d skipped in %.1fs; real-broker suites skipped: %s",
		s.packages, s.passed+s.failed+s.skipped, s.passed, s.failed, s.skipped, took.Seconds(), skipped)
}

// notSetRE finds the variable a skip reason says is not set.
var notSetRE = regexp.MustCompile(`(STOMP_TEST_[A-Z_]+) not set`)

// mentionsUnset says whether a skip reason need not be repeated: it names
// a variable that is set after all (a test of the skipping itself), or
// one of the unset broker variables the line names anyway.
func mentionsUnset(reason string, getenv func(string) string) bool {
	m := notSetRE.FindStringSubmatch(reason)
	if m == nil {
		return false
	}
	if getenv(m[1]) != "" {
		return true
	}
	for _, b := range brokerSuites {
		if b.env == m[1] {
			return true
		}
	}
	return false
}
