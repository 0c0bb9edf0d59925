package cmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

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

// TestDoctorEachBrokerOfAList: with a list of brokers every one is probed
// and reported, in order; one that cannot be reached is reported on
// standard error and gives the exit status, and the others are probed all
// the same.
func TestDoctorEachBrokerOfAList(t *testing.T) {
	t.Parallel()
	a, b := testbroker.Embedded(t), testbroker.Embedded(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	doctor := func(list string, args ...string) (int, string, string) {
		stdio, out, errOut := iostreams.Test()
		code := cmd.Run(context.Background(), append([]string{"-H", list, "doctor", "--frame-limit", "0"}, args...), stdio)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := doctor(a.Addr()+","+dead+","+b.Addr(), "--json")
	if code != 75 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "cannot connect to "+dead+": connection refused") {
		t.Errorf("exit %d, stderr %q; want exit 75 (unreachable) and one line naming %s", code, errOut, dead)
	}
	var addrs []string
	for dec := json.NewDecoder(strings.NewReader(out)); ; {
		var rep doctorReport
		if err := dec.Decode(&rep); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("not a JSON object per broker (%v):\n%s", err, out)
		}
		if rep.Server == "" || len(rep.Results) < 10 {
			t.Errorf("report on %s: server %q, %d results", rep.Address, rep.Server, len(rep.Results))
		}
		addrs = append(addrs, rep.Address)
	}
	if want := []string{a.Addr(), b.Addr()}; strings.Join(addrs, " ") != strings.Join(want, " ") {
		t.Errorf("reports on %q, want %q", addrs, want)
	}

	code, out, errOut = doctor(a.Addr() + "," + b.Addr())
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	tables := strings.Split(out, "\n\nFEATURE")
	if len(tables) != 2 {
		t.Fatalf("want two tables set apart by a blank line:\n%s", out)
	}
	for i, tg := range []testbroker.Target{a, b} {
		if !strings.Contains(tables[i], "\nserver ") || !strings.Contains(tables[i], tg.Addr()+", STOMP 1.2") {
			t.Errorf("table %d does not describe %s:\n%s", i+1, tg.Addr(), tables[i])
		}
	}
}

// TestDoctorShowsBrokerTextVisibly: a broker's server header and ERROR
// texts are the network's bytes; doctor's table shows their control
// characters visibly (an OSC 0 would retitle the terminal), and --json
// keeps them as they came.
func TestDoctorShowsBrokerTextVisibly(t *testing.T) {
	t.Parallel()
	const evil = "\x1b]0;pwned\x07"
	b := testbroker.Scripted(t, func(f *frame.Frame) (string, bool) {
		if f.Command == frame.CONNECT || f.Command == frame.STOMP {
			return "CONNECTED\nversion:1.2\nserver:evil" + evil + "/1.0\n\n\x00", false
		}
		return "ERROR\nmessage:no" + evil + "thanks\n\n\x00", true
	})
	code, out, errOut := runDoctor(t, b)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.ContainsAny(out+errOut, "\x1b\x07") {
		t.Errorf("a control character from the broker reached the terminal:\n%q", out+errOut)
	}
	for _, want := range []string{"evil^[]0;pwned^G/1.0", "ERROR no^[]0;pwned^Gthanks"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table does not show %q:\n%s", want, out)
		}
	}
	code, out, _ = runDoctor(t, b, "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if rep.Server != "evil"+evil+"/1.0" {
		t.Errorf("--json server %q, want the header's bytes", rep.Server)
	}
}
