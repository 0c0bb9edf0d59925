package model

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/testing/faultproxy"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// How a run is sized. One seed on the embedded broker takes about ten
// seconds; `make test` runs defaultSeeds of them.
const (
	stepsPerSeed = 10
	defaultSeeds = "1,2"
	// longLivedMaxDelay caps the back-off of the listeners and the shell:
	// connections that die young make it grow, up to this.
	longLivedMaxDelay = "5s"
	// outageBound is how long the test waits, after the last fault, for a
	// listener or the shell to be back: faults last at most a few seconds,
	// and the long-lived clients cap their back-off at longLivedMaxDelay.
	outageBound = 20 * time.Second
)

// seeds are the seeds to run: STOMP_MODEL_SEED reruns one (the failure
// message names it), STOMP_MODEL_SEEDS lists several, "random" picks one
// from the clock.
func seeds(t *testing.T, fallback string) []int64 {
	spec := fallback
	if s := os.Getenv("STOMP_MODEL_SEEDS"); s != "" {
		spec = s
	}
	if s := os.Getenv("STOMP_MODEL_SEED"); s != "" {
		spec = s
	}
	var out []int64
	for _, f := range strings.Split(spec, ",") {
		if f = strings.TrimSpace(f); f == "random" {
			out = append(out, time.Now().UnixNano()%1_000_000)
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("STOMP_MODEL_SEED(S)=%q: want numbers separated by commas, or random", spec)
		}
		out = append(out, n)
	}
	return out
}

// TestModel runs the random sequences on the embedded broker (a `stomp
// serve` process, which the faults also kill and restart) and, with proxy
// faults only, on the real brokers configured by the environment.
func TestModel(t *testing.T) {
	if testing.Short() {
		t.Skip("the model test runs the binary for tens of seconds: not in -short")
	}
	t.Run(testbroker.NameEmbedded, func(t *testing.T) {
		for _, seed := range seeds(t, defaultSeeds) {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				runSeed(t, startEmbedded(t), seed)
			})
		}
	})
	for _, tg := range testbroker.Real() {
		t.Run(tg.Name, func(t *testing.T) {
			for _, seed := range seeds(t, "1") {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					runSeed(t, &brokerProc{Target: tg}, seed)
				})
			}
		})
	}
}

// harness is one seed's world: the broker, the proxy in front of it, the
// long-lived clients and the model of what must hold.
type harness struct {
	t      *testing.T
	rng    *rand.Rand
	broker *brokerProc
	proxy  *faultproxy.Proxy
	dir    string
	queue  string // where the producers send and the listeners consume
	rpc    string // where requests go
	model  *model
	nextID int
	// shellCameBack holds the violation of the long-lived shell that did
	// not take a send again after the faults (see stopLongLived).
	shellCameBack []violation
	violated      bool // some invariant did not hold (perhaps a known bug)
}

func (h *harness) connFlags() []string {
	f := []string{"-H", h.proxy.Host(), "-P", h.proxy.Port()}
	if h.broker.Login != "" {
		f = append(f, "-U", h.broker.Login, "-W", h.broker.Passcode)
	}
	if h.broker.Vhost != "" {
		f = append(f, "--vhost", h.broker.Vhost)
	}
	return f
}

// body is a new unique message body; a body ending in "-r" is refused by
// the --exec listener the first time it sees it.
func (h *harness) body(op string, reject bool) string {
	h.nextID++
	b := fmt.Sprintf("%s-%d", op, h.nextID)
	if reject {
		b += "-r"
	}
	return b
}

// model is what the test expects, in one place: every message a run
// promised (it exited 0), every message a consumer's sink took, every
// message the --exec command refused, and the long-lived clients that must
// keep running until they are stopped.
type model struct {
	mu        sync.Mutex
	promised  map[string]promise   // body → the run that promised it
	consumed  map[string]string    // body → the consumer whose sink took it first
	refused   map[string]time.Time // body → when the --exec command refused it
	kills     []time.Time          // when the embedded broker was killed (it loses what it held)
	longLived []*proc              // must still run when the test stops them
	ended     []*proc              // the runs of the steps, once ended
	log       []string             // what happened, in order, for the failure report
	start     time.Time
	// ackedUnwritten are the listeners with a failing sink that exited 0:
	// they took a message and did not write it.
	ackedUnwritten []ended
	step           int          // the step being played
	broken         map[int]bool // steps whose fault broke connections (reset, cut, refuse, kill)
}

type promise struct {
	run   string
	start time.Time
	step  int // the step it ran in (0: before the random steps, afterSteps: after them)
}

type ended struct {
	run string
	at  time.Time
}

// afterSteps is the step number of what runs after the random steps.
const afterSteps = -1

func stepName(step int) string {
	switch step {
	case 0:
		return "before the steps"
	case afterSteps:
		return "after the steps"
	}
	return fmt.Sprintf("step %d", step)
}

func newModel() *model {
	return &model{promised: map[string]promise{}, consumed: map[string]string{}, refused: map[string]time.Time{}, broken: map[int]bool{}, start: time.Now()}
}

func (m *model) logf(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, fmt.Sprintf("%6.2fs ", time.Since(m.start).Seconds())+fmt.Sprintf(format, args...))
}

// promiseAll records that run exited 0 after sending bodies: the broker
// must have every one of them.
func (m *model) promiseAll(run string, start time.Time, bodies []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range bodies {
		m.promised[b] = promise{run: run, start: start, step: m.step}
	}
}

// consume records bodies a consumer's sink took (printed, or its --exec
// command exited 0).
func (m *model) consume(consumer string, bodies []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range bodies {
		if _, ok := m.consumed[b]; !ok {
			m.consumed[b] = consumer
		}
	}
}

// lostWithBroker reports whether a message sent at t may have died with
// the embedded broker: it was killed after t, holding it in memory.
func (m *model) lostWithBroker(t time.Time) bool {
	for _, k := range m.kills {
		if k.After(t) {
			return true
		}
	}
	return false
}

// A violation is an invariant that did not hold. bug names the known bug
// it is, when it is one (see knownBugs).
type violation struct {
	msg string
	bug string
}

// knownBugs are violations that fixes still in flight for issue 13 remove.
// While a bug is listed here, a violation it explains is logged, not failed,
// so that main stays green; STOMP_MODEL_STRICT=1 fails them too. Delete the
// entry when its fix lands: the test then guards it.
var knownBugs = map[string]string{}

const (
	bugLostAcrossBrokenConnection = "lost-across-broken-connection"
	bugShellStopsReconnecting     = "shell-stops-reconnecting"
	bugAckedUnwritten             = "acked-unwritten"
	bugListenerGivesUpAfterLoss   = "listener-gives-up-after-loss"
)

// The invariants, checked once every client has ended and the queue has
// been drained (drained: what was still on the broker).

// checkPromisedReachedBroker: every message of a run that exited 0 reached
// the broker: a consumer took it, or it was still there.
func (m *model) checkPromisedReachedBroker(drained map[string]bool) []violation {
	missing := map[promise][]string{} // by run, so that one run's loss is one line
	for b, p := range m.promised {
		if _, ok := m.consumed[b]; !ok && !drained[b] && !m.lostWithBroker(p.start) {
			missing[p] = append(missing[p], b)
		}
	}
	var vs []violation
	for p, bodies := range missing {
		sort.Strings(bodies)
		v := violation{msg: fmt.Sprintf("%s (%s) exited 0 but the broker never had %d of its messages: %s", p.run, stepName(p.step), len(bodies), strings.Join(bodies, " "))}
		switch {
		case m.broken[p.step]:
			v.bug = bugLostAcrossBrokenConnection
		case m.ateAfter(p.start):
			v.bug = bugAckedUnwritten
		}
		vs = append(vs, v)
	}
	return vs
}

// ateAfter reports whether a listener with a failing sink took a message
// sent at t or later.
func (m *model) ateAfter(t time.Time) bool {
	for _, e := range m.ackedUnwritten {
		if e.at.After(t) {
			return true
		}
	}
	return false
}

// checkSinkFailuresNotAcked: a listener whose sink failed did not exit 0
// (it would have acked a message it never wrote).
func (m *model) checkSinkFailuresNotAcked() []violation {
	var vs []violation
	for _, e := range m.ackedUnwritten {
		vs = append(vs, violation{msg: e.run + " exited 0 although its sink failed on the message it took", bug: bugAckedUnwritten})
	}
	return vs
}

// checkUnackedComeBack: every message a listener did not ack comes back:
// one the --exec command refused was taken later by a consumer, or is
// still on the broker.
func (m *model) checkUnackedComeBack(drained map[string]bool) []violation {
	var vs []violation
	for b, at := range m.refused {
		if _, ok := m.consumed[b]; ok || drained[b] || m.lostWithBroker(at) {
			continue
		}
		v := violation{msg: fmt.Sprintf("the --exec listener refused %q (not acked) and it never came back", b)}
		if m.ateAfter(at) {
			v.bug = bugAckedUnwritten // it came back, to a listener that acked it unwritten
		}
		vs = append(vs, v)
	}
	return vs
}

// checkExitsDocumented: every run, whatever the faults, ended with a code
// of the documented table (internal/exitcode) and without a Go panic.
func (m *model) checkExitsDocumented() []violation {
	documented := map[int]bool{}
	for _, e := range exitcode.Table {
		documented[int(e.Code)] = true
	}
	var vs []violation
	for _, p := range append(append([]*proc{}, m.ended...), m.longLived...) {
		if p.running() {
			continue
		}
		if !documented[p.code] {
			vs = append(vs, violation{msg: fmt.Sprintf("%s exited %d, a code the exit-code table does not have\n%s", p.name, p.code, tail(p.err.String()))})
		}
		// The shell's panic would be on its terminal, which is its out.
		if e := p.err.String() + p.out.String(); strings.Contains(e, "panic: ") || strings.Contains(e, "\ngoroutine ") {
			vs = append(vs, violation{msg: fmt.Sprintf("%s panicked:\n%s", p.name, tail(e))})
		}
	}
	return vs
}

// checkKeptRunning: no listener or shell stopped by itself: each was still
// running when the test stopped it, and then ended as stopped (0, or the
// signal's 130/143).
func (m *model) checkKeptRunning() []violation {
	var vs []violation
	for _, p := range m.longLived {
		switch {
		case !p.stopping:
			v := violation{msg: fmt.Sprintf("%s stopped by itself with exit %d while the broker was coming back; its standard error ends:\n%s", p.name, p.code, tail(p.err.String()))}
			if last := lastLine(p.err.String()); strings.Contains(last, "connection lost") || strings.Contains(last, "could not reconnect") {
				v.bug = bugListenerGivesUpAfterLoss
			}
			vs = append(vs, v)
		case p.running():
			vs = append(vs, violation{msg: fmt.Sprintf("%s did not end when stopped", p.name)})
		case p.code != 0 && p.code != 130 && p.code != 143:
			vs = append(vs, violation{msg: fmt.Sprintf("%s ended with exit %d when stopped, want 0; its standard error ends:\n%s", p.name, p.code, tail(p.err.String()))})
		}
	}
	return vs
}

// report fails the test for each violation, or logs it when it is a known
// bug and STOMP_MODEL_STRICT is not set; true when there was any.
func report(t *testing.T, vs []violation) bool {
	sort.Slice(vs, func(i, j int) bool { return vs[i].msg < vs[j].msg })
	strict := os.Getenv("STOMP_MODEL_STRICT") == "1"
	for _, v := range vs {
		if why, known := knownBugs[v.bug]; known && !strict {
			t.Logf("known bug, not failed (STOMP_MODEL_STRICT=1 fails it): %s\n    %s", v.msg, why)
			continue
		}
		t.Error(v.msg)
	}
	return len(vs) > 0
}

// runSeed plays one random sequence and checks the invariants.
func runSeed(t *testing.T, b *brokerProc, seed int64) {
	h := newHarness(t, b, seed)
	ll := h.startLongLived("--reconnect-max-delay", longLivedMaxDelay)
	h.play(stepsPerSeed)
	h.settle()
	h.stopLongLived(ll, outageBound)
	h.check()
}

// newHarness sets up a seed's world on broker b: the proxy, the queues, the
// model. On failure it prints how to rerun the seed and what happened.
func newHarness(t *testing.T, b *brokerProc, seed int64) *harness {
	proxy, err := faultproxy.New(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	h := &harness{
		t: t, rng: rand.New(rand.NewSource(seed)), broker: b, proxy: proxy, dir: t.TempDir(), model: newModel(),
		queue: testbroker.Unique(t, "/queue/") + "-work", rpc: testbroker.Unique(t, "/queue/") + "-rpc",
	}
	t.Cleanup(func() {
		if t.Failed() || h.violated {
			t.Logf("seed %d on %s broke an invariant; rerun it with STOMP_MODEL_SEED=%d go test -run '%s' ./internal/testing/model/\nwhat happened:\n%s",
				seed, b.Name, seed, t.Name(), strings.Join(h.model.log, "\n"))
		}
	})
	return h
}

// check drains the queue and checks the invariants.
func (h *harness) check() {
	t := h.t
	// What is left is on the queue or, on the embedded broker, in its
	// dead-letter queue (a message whose deliveries failed too often: it
	// is still on the broker).
	queues := []string{h.queue}
	if h.broker.embedded() {
		queues = append(queues, broker.DeadLetterQueue(h.queue))
	}
	drained := map[string]bool{}
	for _, q := range queues {
		bodies, err := h.drain(q, 1500*time.Millisecond)
		if err != nil {
			t.Error(err)
		}
		for _, d := range bodies {
			drained[d] = true
		}
		h.model.logf("drained %d messages left on %s", len(bodies), q)
	}
	var vs []violation
	vs = append(vs, h.model.checkPromisedReachedBroker(drained)...)
	vs = append(vs, h.model.checkUnackedComeBack(drained)...)
	vs = append(vs, h.model.checkSinkFailuresNotAcked()...)
	vs = append(vs, h.model.checkKeptRunning()...)
	vs = append(vs, h.model.checkExitsDocumented()...)
	vs = append(vs, h.shellCameBack...)
	h.violated = report(t, vs)
	t.Logf("%d messages promised, %d consumed, %d refused once, %d drained", len(h.model.promised), len(h.model.consumed), len(h.model.refused), len(drained))
}
