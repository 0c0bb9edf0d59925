// Package doctor probes a STOMP broker and reports what it does: the
// protocol versions and heart-beats it accepts, receipts, what NACK does,
// transactional acks, browsing, selectors, temporary queues, destination
// prefixes, the CONNECT host rule and the largest frame it takes.
//
// Every probe uses its own connections and its own uniquely named
// destinations, and consumes what it sent, so a run leaves no messages
// behind (RabbitMQ keeps the empty queues it declared, as it does for any
// client). Probes run in parallel, except the frame size search, which
// runs last and alone so its large frames do not slow the others down.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// Config says how to reach the broker and how long to wait.
type Config struct {
	// Dial opens a connection with the given options.
	Dial func(ctx context.Context, o client.Options) (*client.Conn, error)
	// Options are the user's: login, passcode, vhost, versions. Probes
	// change what they test (versions, heart-beats, host).
	Options client.Options
	// Trace, when set, sees every frame of every probe (-V).
	Trace func(client.Direction, *frame.Frame)
	// Address and Host name the broker in the report; Host is also the
	// name the host-header probe tries.
	Address, Host string

	ReceiptTimeout time.Duration // per request; default 3s
	Quiet          time.Duration // how long to wait for a message that may not come; default 1s
	NackWait       time.Duration // how long to wait for a NACKed message to come back; default 2s
	MaxFrame       int           // largest body the frame probe tries; default 64 MiB
	FrameBudget    time.Duration // time for the frame size search; default 5s
	// Skip names probes not to run (by ID), for tests.
	Skip []string
	// sentTo, when set, sees the destination of every SEND (tests check
	// that the probes' queues are left empty).
	sentTo func(dest string)
}

func (c *Config) setDefaults() {
	if c.ReceiptTimeout <= 0 {
		c.ReceiptTimeout = 3 * time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = time.Second
	}
	if c.NackWait <= 0 {
		c.NackWait = 2 * time.Second
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 64 << 20
	}
	if c.FrameBudget <= 0 {
		c.FrameBudget = 5 * time.Second
	}
}

// Result is one line of the report.
type Result struct {
	ID      string `json:"id"`
	Feature string `json:"feature"`
	Result  string `json:"result"`
	Detail  string `json:"detail,omitempty"`
}

// Report is what a run found.
type Report struct {
	Address   string   `json:"address"`
	Server    string   `json:"server"`
	Version   string   `json:"version"`
	Session   string   `json:"session,omitempty"`
	ElapsedMS int64    `json:"elapsed_ms"`
	Results   []Result `json:"results"`
}

// Get returns the result with id, if there is one.
func (r *Report) Get(id string) (Result, bool) {
	for _, x := range r.Results {
		if x.ID == id {
			return x, true
		}
	}
	return Result{}, false
}

// Doctor runs the probes of one Config.
type Doctor struct {
	cfg    Config
	server string // the broker's server header, from the first connection
}

// ConnectError says the broker could not be reached at all.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return e.Err.Error() }
func (e *ConnectError) Unwrap() error { return e.Err }

type probe struct {
	id, feature string
	run         func(d *Doctor, ctx context.Context) Result
}

// The probes in the order the report lists them. The first connection
// (server, heart-beats) is made before them.
func probes() []probe {
	return []probe{
		{"versions", "protocol versions", (*Doctor).versions},
		{"receipts", "receipts", onQueue("receipt", (*Doctor).dialProbe, (*Doctor).receipts)},
		{"nack", "NACK", onQueue("nack", (*Doctor).dialNack, (*Doctor).nack)},
		{"redelivery-limit", "NACK again and again", onQueue("poison", (*Doctor).dialNack, (*Doctor).redeliveryLimit)},
		{"tx-ack", "ACK in an aborted tx", (*Doctor).txAck},
		{"browse", "browse (browser:true)", onQueue("browse", (*Doctor).dialProbe, (*Doctor).browse)},
		{"selectors", "selectors", onQueue("selector", (*Doctor).dialProbe, (*Doctor).selectors)},
		{"temp-queue", "temp queue reply", onQueue("request", (*Doctor).dialProbe, (*Doctor).tempQueue)},
		{"prefix:/queue/", "destination /queue/", prefixProbe("/queue/", "")},
		{"prefix:/topic/", "destination /topic/", prefixProbe("/topic/", "")},
		{"prefix:/exchange/amq.topic/", "destination /exchange/amq.topic/", prefixProbe("/exchange/amq.topic/", "")},
		{"prefix:/amq/queue/", "destination /amq/queue/", prefixProbe("/amq/queue/", "/queue/")},
		{"prefix:none", "destination without prefix", prefixProbe("", "")},
		{"host", "CONNECT host header", (*Doctor).hostRule},
	}
}

// Run connects, probes and reports. It fails only when the first
// connection cannot be made (a *ConnectError); every other failure is a
// finding in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	start := time.Now()
	d := &Doctor{cfg: cfg}
	skip := map[string]bool{}
	for _, s := range cfg.Skip {
		skip[s] = true
	}
	rep := &Report{Address: cfg.Address}

	// The first connection: all versions the user allows, heart-beats
	// offered both ways at 10 s.
	const offer = 10 * time.Second
	first, err := d.dial(ctx, func(o *client.Options) { o.HeartBeatSend, o.HeartBeatRecv = offer, offer })
	if err != nil {
		return nil, &ConnectError{Err: err}
	}
	d.server = first.c.Server()
	rep.Server, rep.Version, rep.Session = first.c.Server(), first.c.Version(), first.c.Session()
	server := rep.Server
	if server == "" {
		server = "(no server header)"
	}
	rep.Results = append(rep.Results, Result{ID: "server", Feature: "server", Result: server,
		Detail: fmt.Sprintf("%s, STOMP %s when offered %s", cfg.Address, first.c.Version(), offered(cfg.Options.Versions))})
	if !skip["heart-beats"] {
		rep.Results = append(rep.Results, heartBeats(first.c, offer))
	}
	first.close()

	ps := probes()
	results := make([]Result, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		if skip[p.id] {
			continue
		}
		wg.Go(func() {
			r := p.run(d, ctx)
			r.ID, r.Feature = p.id, p.feature
			results[i] = r
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.ID != "" {
			rep.Results = append(rep.Results, r)
		}
	}
	if !skip["max-frame"] {
		r := d.maxFrame(ctx)
		r.ID, r.Feature = "max-frame", "largest frame"
		rep.Results = append(rep.Results, r)
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

func offered(vs []string) string {
	if len(vs) == 0 {
		return "1.0,1.1,1.2"
	}
	return strings.Join(vs, ",")
}

// WriteTable writes the report as an aligned table.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tRESULT\tDETAIL")
	for _, x := range r.Results {
		// The broker's texts (its server header, its ERROR messages) go
		// to a terminal: control characters made visible. JSON keeps them.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Feature, render.VisibleLine(oneLine(x.Result)), render.VisibleLine(oneLine(x.Detail)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d probes in %.1fs\n", len(r.Results), float64(r.ElapsedMS)/1000)
	return err
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return s
}

// brief words an error for the detail column: the broker's message, one
// line, not too long.
func brief(err error) string {
	if err == nil {
		return ""
	}
	var be *client.BrokerError
	s := err.Error()
	if errors.As(err, &be) {
		s = "ERROR " + be.Error()
	}
	s = oneLine(s)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
