package corpus

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

// python is the interpreter with Debian's stomp module (the first python3 on PATH may lack it).
const python = "/usr/bin/python3"

var stompBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stomp-corpus-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if stompBin, err = testbin.Build(dir, false); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	return m.Run()
}

// entry is one script of the manifest.
type entry struct {
	name         string
	messages     map[string]int // messages it prints, by broker ("" for any)
	versions     []string       // only these protocol versions (1.1) or combos (rabbitmq-1.2); nil: all
	on           string         // only this broker; "": all
	improvements []string       // what turns stomp.py's results into stomp's
}

func (e entry) want(broker string) int {
	if n, ok := e.messages[broker]; ok {
		return n
	}
	return e.messages[""]
}

// readManifest reads testdata/manifest.txt: per line a script, messages=N (or
// messages=rabbitmq:N,activemq:M), optional only=1.1,rabbitmq-1.2, then improvement ids.
func readManifest(t *testing.T) []entry {
	t.Helper()
	data, err := os.ReadFile("testdata/manifest.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for n, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		e := entry{name: f[0], messages: map[string]int{}}
		for _, w := range f[1:] {
			switch {
			case strings.HasPrefix(w, "messages="):
				for _, part := range strings.Split(strings.TrimPrefix(w, "messages="), ",") {
					broker, count, ok := strings.Cut(part, ":")
					if !ok {
						broker, count = "", part
					}
					c, err := strconv.Atoi(count)
					if err != nil {
						t.Fatalf("manifest line %d: %q", n+1, w)
					}
					e.messages[broker] = c
				}
			case strings.HasPrefix(w, "on="):
				e.on = strings.TrimPrefix(w, "on=")
			case strings.HasPrefix(w, "only="):
				e.versions = strings.Split(strings.TrimPrefix(w, "only="), ",")
			default:
				if _, ok := improvementByID[w]; !ok {
					t.Fatalf("manifest line %d: unknown improvement %q", n+1, w)
				}
				e.improvements = append(e.improvements, w)
			}
		}
		if _, err := os.Stat(filepath.Join("testdata", "scripts", e.name)); err != nil {
			t.Fatalf("manifest line %d: %v", n+1, err)
		}
		out = append(out, e)
	}
	return out
}

// combo is a broker and a protocol version both tools speak there.
type combo struct {
	tg      testbroker.Target
	version string
}

func (c combo) String() string { return c.tg.Name + "-" + c.version }

// stompArgs connect stomp to the combination's broker at its version.
func (c combo) stompArgs() []string {
	args := []string{"-H", c.tg.Host, "-P", c.tg.Port, "-U", c.tg.Login, "-W", c.tg.Passcode, "-S", c.version}
	if c.tg.Vhost != "" {
		args = append(args, "--vhost", c.tg.Vhost)
	}
	return args
}

// combos: both brokers speak 1.0, 1.1 and 1.2. stomp.py's CLI is told RabbitMQ's virtual host
// (testdata/stomppy_cli.py): without it, it cannot connect to RabbitMQ at 1.2 at all.
func combos(targets []testbroker.Target) []combo {
	var out []combo
	for _, tg := range targets {
		for _, v := range []string{"1.0", "1.1", "1.2"} {
			out = append(out, combo{tg, v})
		}
	}
	return out
}

// outcome is what one tool did with one script.
type outcome struct {
	suffix         string // appended to every queue and topic name of this run
	stdout, stderr string
	exit           int
	queues         []string                // the queues the run used (with suffix)
	drained        map[string][]drainedMsg // by queue (with suffix)
}

type drainedMsg struct {
	Headers map[string]string `json:"headers"`
	BodyB64 string            `json:"body_b64"`
}

var destRE = regexp.MustCompile(`/(queue|topic)/[A-Za-z0-9_.\-]+`)

// prepare copies the scripts and files into a fresh directory, every /queue/ and /topic/ name
// made unique to this run, and returns the queues the script's files name.
func prepare(t *testing.T, dir, suffix string) []string {
	t.Helper()
	queues := map[string]bool{}
	for _, sub := range []string{"scripts", "files"} {
		entries, err := os.ReadDir(filepath.Join("testdata", sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, de := range entries {
			data, err := os.ReadFile(filepath.Join("testdata", sub, de.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if sub == "scripts" {
				data = destRE.ReplaceAllFunc(data, func(m []byte) []byte {
					d := string(m) + suffix
					if bytes.HasPrefix(m, []byte("/queue/")) {
						queues[d] = true
					}
					return []byte(d)
				})
			}
			if err := os.WriteFile(filepath.Join(dir, sub, de.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := make([]string, 0, len(queues))
	for q := range queues {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// Only queues the script itself names are drained; a nested script's queues are named in the
// same scripts/ directory, so all of them are (one drain per broker and version covers them).
func scriptQueues(t *testing.T, dir, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, run := range regexp.MustCompile(`(?m)^\s*run\s+(\S+)`).FindAllSubmatch(data, -1) {
		if nested, err := os.ReadFile(filepath.Join(dir, string(run[1]))); err == nil {
			data = append(data, nested...)
		}
	}
	for _, m := range destRE.FindAll(data, -1) {
		if bytes.HasPrefix(m, []byte("/queue/")) {
			seen[string(m)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for q := range seen {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

var (
	placeholderRE = regexp.MustCompile(`\{\{(id|sub|wait) (\d+)\}\}`)
	messageRE     = regexp.MustCompile(`(?m)^(?:> )*message-id: (.*)\n(?:> )*subscription: (.*)\n`)
	// scriptLayoutRE is how stomp.py's -F shows a message, blank lines included: a blank
	// line, message-id, subscription, a blank line, then the body. normalise leaves blank
	// lines out, so compareWith checks stomp's messages against this.
	scriptLayoutRE = regexp.MustCompile(`\n\nmessage-id: [^\n]*\nsubscription: [^\n]*\n\n`)
)

// runTool feeds the script's lines to a tool on standard input, as a user's program would: a
// line with {{id N}} or {{sub N}} waits until the Nth message has been printed and gets its
// message-id or subscription ({{wait N}} only waits). Standard input is closed once want messages have been printed (or
// 15 s passed), and the tool then disconnects.
func runTool(ctx context.Context, dir, script string, want int, name string, args ...string) (stdout, stderr string, exit int, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "scripts", script))
	if err != nil {
		return "", "", 0, err
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = toolEnv()
	var out, errOut testbin.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", "", 0, err
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return "", "", 0, err
	}
	// Closed, not sent on, when the tool exits: printed may see that first,
	// and the wait at the end must see it too (a tool that exited before
	// printing want messages hung the test until its timeout).
	exited := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	printed := func(n int) [][]string {
		for {
			ms := messageRE.FindAllStringSubmatch(out.String(), -1)
			if len(ms) >= n || time.Now().After(deadline) {
				return ms
			}
			select {
			case <-exited:
				return messageRE.FindAllStringSubmatch(out.String(), -1)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	w := bufio.NewWriter(in)
	for _, line := range strings.SplitAfter(string(data), "\n") {
		line = placeholderRE.ReplaceAllStringFunc(line, func(p string) string {
			m := placeholderRE.FindStringSubmatch(p)
			n, _ := strconv.Atoi(m[2])
			ms := printed(n)
			if len(ms) < n {
				return "missing-message-" + m[2]
			}
			switch m[1] {
			case "id":
				return ms[n-1][1]
			case "sub":
				return ms[n-1][2]
			}
			return ""
		})
		_, _ = w.WriteString(line)
		_ = w.Flush()
	}
	printed(want)
	_ = in.Close()
	<-exited
	var ee *exec.ExitError
	switch {
	case errors.As(werr, &ee):
		exit = ee.ExitCode()
	case werr != nil:
		return out.String(), errOut.String(), 0, werr
	}
	return out.String(), errOut.String(), exit, nil
}

// toolEnv is the environment both tools run in: no colour, Python's output unbuffered, and none
// of stomp's STOMP_* settings, so only the flags say where to connect.
func toolEnv() []string {
	env := append(os.Environ(), "NO_COLOR=1", "PYTHONUNBUFFERED=1")
	for _, k := range []string{"STOMP_HOST", "STOMP_PORT", "STOMP_USER", "STOMP_PASSWORD", "STOMP_URL", "STOMP_CONTEXT"} {
		env = append(env, k+"=")
	}
	return env
}

func newSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return ".c" + hex.EncodeToString(b)
}

// realTargets returns the real brokers to compare on, once stomp.py's library is known to be
// there; it skips the test without them (fails it under CI, see failInCI).
func realTargets(t *testing.T) []testbroker.Target {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import stomp").CombinedOutput(); err != nil {
		why := fmt.Sprintf("%s cannot import stomp (install python3-stomp): %v %s", python, err, out)
		testenv.Missing(t, why)
	}
	targets := testbroker.Real()
	if len(targets) < 2 {
		why := "no real broker configured"
		if len(targets) == 1 {
			why = "only " + targets[0].Name + " of the real brokers configured"
		}
		why += ": run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\""
		testenv.FailInCI(t, why)
		if len(targets) == 0 {
			t.Skip(why)
		}
		t.Log(why)
	}
	return targets
}

// TestCorpus runs every script through both tools on every real broker configured.
func TestCorpus(t *testing.T) {
	targets := realTargets(t)
	manifest := readManifest(t)
	if len(manifest) < 50 {
		t.Errorf("the corpus has %d scripts, want at least 50", len(manifest))
	}
	start := time.Now()
	needed := map[string]bool{} // "script improvement": needed in at least one combo
	ran := 0                    // combos run: -run may leave some out
	for _, c := range combos(targets) {
		t.Run(c.String(), func(t *testing.T) {
			ran++
			for script, ids := range runCombo(t, c, manifest) {
				for _, id := range ids {
					needed[script+" "+id] = true
				}
			}
		})
	}
	t.Logf("corpus: %d scripts, %d broker/version combinations, %v", len(manifest), ran, time.Since(start).Round(time.Millisecond))
	if t.Failed() || ran < len(combos(targets)) || len(targets) < 2 {
		return
	}
	// A declared improvement no run needed is stale: the difference is gone, or never was.
	for _, e := range manifest {
		for _, id := range e.improvements {
			if !improvementByID[id].Always && !needed[e.name+" "+id] {
				t.Errorf("%s declares improvement %q, but both tools agree without it: remove it from testdata/manifest.txt", e.name, id)
			}
		}
	}
}

// runCombo runs the corpus on one broker and version, both tools, several scripts at a time, then
// drains every queue the runs used and compares. It returns, per script, the declared
// improvements the comparison needed.
func runCombo(t *testing.T, c combo, manifest []entry) map[string][]string {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	type pair struct {
		e      entry
		py, st outcome
	}
	var (
		mu    sync.Mutex
		pairs []*pair
		wg    sync.WaitGroup
		sem   = make(chan struct{}, 6)
	)
	for _, e := range manifest {
		if e.versions != nil && !slices.Contains(e.versions, c.version) && !slices.Contains(e.versions, c.String()) || e.on != "" && e.on != c.tg.Name {
			continue
		}
		p := &pair{e: e}
		pairs = append(pairs, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			want := e.want(c.tg.Name)
			for _, o := range []*outcome{&p.py, &p.st} {
				o.suffix = newSuffix()
				dir := t.TempDir()
				prepare(t, dir, o.suffix)
				o.queues = scriptQueues(t, dir, e.name)
				var err error
				if o == &p.py {
					o.stdout, o.stderr, o.exit, err = runTool(ctx, dir, e.name, want, python,
						filepath.Join(testdataDir(t), "stomppy_run.py"), c.tg.Host, c.tg.Port, c.tg.Login, c.tg.Passcode, c.tg.Vhost, c.version)
				} else {
					o.stdout, o.stderr, o.exit, err = runTool(ctx, dir, e.name, want, stompBin, append(c.stompArgs(), "--no-history", "-F", "-")...)
				}
				if err != nil {
					mu.Lock()
					t.Errorf("%s: %v", e.name, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	var queues []string
	for _, p := range pairs {
		queues = append(queues, p.py.queues...)
		queues = append(queues, p.st.queues...)
	}
	drained := drain(ctx, t, c, queues)
	neededBy := map[string][]string{}
	for _, p := range pairs {
		for _, o := range []*outcome{&p.py, &p.st} {
			o.drained = map[string][]drainedMsg{}
			for _, q := range o.queues {
				o.drained[q] = drained[q]
			}
		}
		diff, needed := compare(p.e, c, &p.py, &p.st)
		if diff != "" {
			t.Errorf("%s on %s: %s\n--- stomp.py stdout:\n%s\n--- stomp.py stderr:\n%s\n--- stomp stdout:\n%s\n--- stomp stderr:\n%s",
				p.e.name, c, diff, p.py.stdout, p.py.stderr, p.st.stdout, p.st.stderr)
		}
		neededBy[p.e.name] = needed
	}
	return neededBy
}

func testdataDir(t *testing.T) string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// drain takes every message off the queues with the stomp.py library, so what each run left on
// the broker can be compared.
func drain(ctx context.Context, t *testing.T, c combo, queues []string) map[string][]drainedMsg {
	t.Helper()
	spec, _ := json.Marshal(queues)
	cmd := exec.CommandContext(ctx, python, filepath.Join(testdataDir(t), "drain.py"), c.tg.Host, c.tg.Port, c.tg.Login, c.tg.Passcode, "1.1", c.tg.Vhost, "1")
	cmd.Stdin = bytes.NewReader(spec)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("drain: %v\n%s", err, errOut.String())
	}
	var res struct {
		Messages map[string][]drainedMsg `json:"messages"`
		Errors   []map[string]string     `json:"errors"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("drain output: %v\n%s", err, out)
	}
	if len(res.Errors) > 0 {
		t.Errorf("drain: broker errors %v", res.Errors)
	}
	return res.Messages
}

// view is what a run printed and left on the broker, normalised where differences cannot
// matter: queue names, message and transaction ids, receipt ids, timestamps of saved files.
type view struct {
	status   []string            // lines other than messages, in order
	messages map[string][]string // bodies printed, by subscription, in order
	stderr   []string
	exit     int
	broker   map[string][]string // what was left, by queue: headers and body, one string a message
}

var (
	uuidRE      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	savedTimeRE = regexp.MustCompile(`\.1[0-9]{9}\b`)
	promptRE    = regexp.MustCompile(`(?m)^(> )+`)
)

// brokerHeaders are set by the broker or the transport, never by the script.
var brokerHeaders = map[string]bool{"message-id": true, "subscription": true, "ack": true, "timestamp": true,
	"expires": true, "priority": true, "persistent": true, "redelivered": true, "content-length": true}

func normalise(o *outcome, bodies func(string) string) view {
	v := view{messages: map[string][]string{}, broker: map[string][]string{}, exit: o.exit}
	clean := func(s string) string {
		s = strings.ReplaceAll(s, o.suffix, "")
		s = uuidRE.ReplaceAllString(s, "<uuid>")
		return savedTimeRE.ReplaceAllString(s, ".<time>")
	}
	var lines []string
	for _, l := range strings.Split(clean(o.stdout), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "message-id: ") && i+2 < len(lines) && strings.HasPrefix(lines[i+1], "subscription: ") {
			sub := strings.TrimPrefix(lines[i+1], "subscription: ")
			v.messages[sub] = append(v.messages[sub], bodies(lines[i+2]))
			i += 2
			continue
		}
		v.status = append(v.status, lines[i])
	}
	for _, l := range strings.Split(strings.TrimSpace(clean(o.stderr)), "\n") {
		if l != "" {
			v.stderr = append(v.stderr, l)
		}
	}
	for q, msgs := range o.drained {
		var out []string
		for _, m := range msgs {
			body, _ := base64.StdEncoding.DecodeString(m.BodyB64)
			var hs []string
			for k, val := range m.Headers {
				switch {
				case brokerHeaders[k], k == "receipt":
					// RabbitMQ keeps a SEND's receipt header on the
					// message. stomp asks for receipts on
					// some SENDs to learn that the broker has them (its
					// delivery ledger), stomp.py on sendrec's: protocol, not
					// what the script sent.
				default:
					hs = append(hs, k+":"+clean(val))
				}
			}
			sort.Strings(hs)
			out = append(out, strings.Join(hs, " ")+" | "+bodies(clean(string(body))))
		}
		v.broker[strings.ReplaceAll(q, o.suffix, "")] = out
	}
	return v
}

// compare applies the script's improvements to stomp.py's results and compares them with
// stomp's; it returns the differences left ("" when none) and which improvements were needed.
func compare(e entry, c combo, py, st *outcome) (string, []string) {
	ids := append([]string{}, alwaysIDs...)
	ids = append(ids, e.improvements...)
	if diff := compareWith(ids, e, c, py, st); diff != "" {
		return diff, nil
	}
	var needed []string
	for _, id := range e.improvements {
		without := slices.DeleteFunc(slices.Clone(ids), func(x string) bool { return x == id })
		if compareWith(without, e, c, py, st) != "" {
			needed = append(needed, id)
		}
	}
	return "", needed
}

// compareWith compares with the improvements ids applied.
func compareWith(ids []string, e entry, c combo, py, st *outcome) string {
	pyOut, stOut := *py, *st
	var stderrOK, pyStderrOK []*regexp.Regexp
	exitNonZero := false
	bodyMap := map[string]string{}
	for _, id := range ids {
		imp := improvementByID[id]
		if imp.Stdout != nil {
			pyOut.stdout = imp.Stdout(pyOut.stdout)
		}
		if imp.StompStdout != nil {
			stOut.stdout = imp.StompStdout(stOut.stdout)
		}
		for k, v := range imp.Bodies {
			bodyMap[k] = v
		}
		if imp.Stderr != nil {
			stderrOK = append(stderrOK, imp.Stderr)
		}
		if imp.StompPyStderr != nil {
			pyStderrOK = append(pyStderrOK, imp.StompPyStderr)
		}
		exitNonZero = exitNonZero || imp.ExitNonZero
	}
	bodies := func(s string) string {
		if v, ok := bodyMap[s]; ok {
			return v
		}
		return s
	}
	pv, sv := normalise(&pyOut, bodies), normalise(&stOut, func(s string) string { return s })
	var diffs []string
	if !slices.Equal(pv.status, sv.status) {
		diffs = append(diffs, fmt.Sprintf("status lines differ:\n  stomp.py %q\n  stomp    %q", pv.status, sv.status))
	}
	if fmt.Sprint(pv.messages) != fmt.Sprint(sv.messages) {
		diffs = append(diffs, fmt.Sprintf("messages printed differ:\n  stomp.py %q\n  stomp    %q", pv.messages, sv.messages))
	}
	if n, laid := len(messageRE.FindAllString(st.stdout, -1)), len(scriptLayoutRE.FindAllString("\n"+st.stdout, -1)); laid != n {
		diffs = append(diffs, fmt.Sprintf("%d of the %d messages stomp printed are not in stomp.py's layout (blank line, message-id, subscription, blank line, body)", n-laid, n))
	}
	if n, want := countMessages(sv.messages), e.want(c.tg.Name); n != want {
		diffs = append(diffs, fmt.Sprintf("stomp printed %d messages, the manifest says %d", n, want))
	}
	if fmt.Sprint(pv.broker) != fmt.Sprint(sv.broker) {
		diffs = append(diffs, fmt.Sprintf("left on the broker:\n  stomp.py %q\n  stomp    %q", pv.broker, sv.broker))
	}
	for _, l := range pv.stderr {
		if !slices.ContainsFunc(pyStderrOK, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			diffs = append(diffs, fmt.Sprintf("stomp.py wrote on stderr: %q", l))
		}
	}
	for _, l := range sv.stderr {
		if !slices.ContainsFunc(stderrOK, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			diffs = append(diffs, fmt.Sprintf("stomp wrote on stderr: %q", l))
		}
	}
	if pv.exit != 0 {
		diffs = append(diffs, fmt.Sprintf("stomp.py exited %d", pv.exit))
	}
	if (sv.exit != 0) != exitNonZero {
		diffs = append(diffs, fmt.Sprintf("stomp exited %d", sv.exit))
	}
	return strings.Join(diffs, "\n")
}

func countMessages(m map[string][]string) int {
	n := 0
	for _, b := range m {
		n += len(b)
	}
	return n
}
