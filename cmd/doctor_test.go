package cmd_test

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

type doctorReport struct {
	Address, Server, Version string
	Results                  []struct{ ID, Feature, Result, Detail string }
}

func runDoctor(t *testing.T, tg testbroker.Target, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	stdio, out, errOut := iostreams.Test()
	stdio.SetEnv("STOMP_HOST", tg.Host)
	stdio.SetEnv("STOMP_PORT", tg.Port)
	stdio.SetEnv("STOMP_USER", tg.Login)
	stdio.SetEnv("STOMP_PASSWORD", tg.Passcode)
	code = cmd.Run(context.Background(), append([]string{"doctor"}, args...), stdio)
	return code, out.String(), errOut.String()
}

// TestDoctorJSON runs stomp doctor --json against every broker and checks
// the findings the brokers are known for (the same ones internal/doctor and the conformance suite check).
func TestDoctorJSON(t *testing.T) {
	t.Parallel()
	known := map[string]map[string]string{
		testbroker.NameEmbedded: {"nack": "requeue", "browse": "no (would consume)", "selectors": "no (ignored)",
			"temp-queue": "yes, without SUBSCRIBE", "host": "any"},
		testbroker.NameRabbitMQ: {"nack": "requeue", "browse": "no (would consume)", "selectors": "no (ignored)",
			"temp-queue": "yes, without SUBSCRIBE", "host": "/ or none"},
		testbroker.NameActiveMQ: {"nack": "dead-letter", "browse": "yes", "selectors": "yes",
			"temp-queue": "yes, needs SUBSCRIBE", "host": "any"},
	}
	for _, tg := range testbroker.All(t) {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			code, out, errOut := runDoctor(t, tg, "--json")
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("took %v, want under 15s", took)
			}
			var rep doctorReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON (%v): %s", err, out)
			}
			if rep.Address != tg.Addr() || rep.Server == "" || rep.Version != "1.2" {
				t.Errorf("address %q server %q version %q", rep.Address, rep.Server, rep.Version)
			}
			got := map[string]string{}
			for _, r := range rep.Results {
				got[r.ID] = r.Result
			}
			for _, id := range []string{"server", "heart-beats", "versions", "receipts", "tx-ack", "max-frame", "prefix:/queue/"} {
				if got[id] == "" {
					t.Errorf("no %s result", id)
				}
			}
			for id, want := range known[tg.Name] {
				if got[id] != want {
					t.Errorf("%s = %q, want %q", id, got[id], want)
				}
			}
		})
	}
}

// TestDoctorTableAndVerbose: the table has a header and one row per
// probe; -V shows the probe frames on standard error, never the passcode.
func TestDoctorTableAndVerbose(t *testing.T) {
	t.Parallel()
	tg := testbroker.Embedded(t)
	tg.Login, tg.Passcode = "someone", "hunter22"
	code, out, errOut := runDoctor(t, tg, "-V")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "FEATURE") || !strings.Contains(lines[0], "RESULT") || !strings.Contains(lines[0], "DETAIL") {
		t.Errorf("no header line: %q", lines[0])
	}
	resultCol := strings.Index(lines[0], "RESULT")
	for _, want := range []string{"protocol versions", "heart-beats", "NACK", "browse", "selectors", "largest frame"} {
		found := false
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, want+" ") {
				found = true
				if len(l) <= resultCol || l[resultCol-1] != ' ' || l[resultCol] == ' ' {
					t.Errorf("row %q not aligned with RESULT at column %d", l, resultCol)
				}
			}
		}
		if !found {
			t.Errorf("no %q row in:\n%s", want, out)
		}
	}
	for _, want := range []string{"Sending CONNECT", "Sending NACK", "passcode: ********", "RECEIPT"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("-V: stderr lacks %q", want)
		}
	}
	if strings.Contains(out+errOut, "hunter22") {
		t.Error("the passcode appears in the output")
	}
}

func TestDoctorCannotConnect(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	code, out, errOut := runDoctor(t, testbroker.Target{Host: "127.0.0.1", Port: port})
	if code != 75 || out != "" || !strings.Contains(errOut, "connection refused") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 75 (unreachable) and the reason", code, out, errOut)
	}
	code, _, errOut = runDoctor(t, testbroker.Target{Host: "127.0.0.1", Port: port}, "extra")
	if code != 2 {
		t.Errorf("doctor extra: exit %d (%s), want 2", code, errOut)
	}
}
