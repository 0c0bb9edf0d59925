package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A stream with a pass, a failure, a skip for a missing broker and one for
// another reason: the failure's output is shown, the rest is counted, and
// the closing line names the broker suites that did not run.
func TestSummary(t *testing.T) {
	stream := strings.Join([]string{
		`{"Action":"start","Package":"p"}`,
		`{"Action":"run","Package":"p","Test":"TestOK"}`,
		`{"Action":"output","Package":"p","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestOK"}`,
		`{"Action":"output","Package":"p","Test":"TestBad","Output":"    bad_test.go:9: want 1, got 2\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestBad"}`,
		`{"Action":"output","Package":"p","Test":"TestTLS","Output":"    tls_test.go:3: STOMP_TEST_ACTIVEMQ_TLS not set: run scripts/ci-brokers.sh start\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestTLS"}`,
		`{"Action":"output","Package":"p","Test":"TestInterop","Output":"    main_test.go:93: no real broker configured: run it\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestInterop"}`,
		`{"Action":"output","Package":"p","Test":"TestSkipper","Output":"    tb_test.go:3: STOMP_TEST_RABBITMQ not set: run it\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestSkipper"}`,
		`{"Action":"output","Package":"p","Test":"TestTmux","Output":"    term_test.go:63: tmux is not installed\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestTmux"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}`,
		`{"Action":"fail","Package":"p"}`,
		`# a build error`,
		`{"ImportPath":"q","Action":"build-output","Output":"q/x.go:1:1: syntax error\n"}`,
	}, "\n")
	var out bytes.Buffer
	s, err := run(strings.NewReader(stream), &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"bad_test.go:9: want 1, got 2\n", "FAIL\tp\t0.1s\n", "# a build error\n", "q/x.go:1:1: syntax error\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if strings.Contains(out.String(), "=== RUN") || strings.Contains(out.String(), "tmux") {
		t.Errorf("output shows what passed or skipped:\n%s", out.String())
	}
	env := map[string]string{"STOMP_TEST_RABBITMQ": "x", "STOMP_TEST_RABBITMQ_TLS": "x", "STOMP_TEST_RABBITMQ_WS": "x", "STOMP_TEST_ACTIVEMQ": "x"}
	got := s.line(1500*time.Millisecond, func(k string) string { return env[k] })
	want := "DONE 1 packages, 6 tests: 1 passed, 1 failed, 4 skipped in 1.5s; real-broker suites skipped: " +
		"activemq TLS (STOMP_TEST_ACTIVEMQ_TLS not set); 1 test(s): no real broker configured: run it " +
		`(to run them: scripts/ci-brokers.sh start && eval "$(scripts/ci-brokers.sh env)")`
	if got != want {
		t.Errorf("line:\n%s\nwant:\n%s", got, want)
	}
	if !s.pkgFailed {
		t.Error("the package's failure is not noted")
	}
	all := func(string) string { return "x" }
	if got := (&summary{brokerSkips: map[string]int{}}).line(0, all); !strings.HasSuffix(got, "real-broker suites skipped: none") {
		t.Errorf("all brokers configured: %s", got)
	}
}
