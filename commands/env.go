package commands

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
	"github.com/stomp-cli/stomp/stats"
)

// Printer serialises everything written to the user: command output and
// frames arriving in the background never interleave mid-line. In the
// shell, Out and Err are readline's writers, which redraw the prompt and
// the half-typed line after each write.
type Printer struct {
	mu        sync.Mutex
	out       io.Writer
	buffered  *bufio.Writer // when set, standard output goes through it
	err       io.Writer
	infoToErr bool
	quiet     bool // status lines go nowhere (-q)
	Theme     *render.Theme
}

// Quiet drops status lines (Info): only messages and errors are written.
func (p *Printer) Quiet() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.quiet = true
}

// StatusToStderr sends Info lines to standard error.
func (p *Printer) StatusToStderr() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.infoToErr = true
}

// NewPrinter writes to out and errOut.
func NewPrinter(out, errOut io.Writer, theme *render.Theme) *Printer {
	return &Printer{out: out, err: errOut, Theme: theme}
}

// stdout is where standard output goes now; p.mu is held.
func (p *Printer) stdout() io.Writer {
	if p.buffered != nil {
		return p.buffered
	}
	return p.out
}

// Buffer batches standard output (listen mode into a file or pipe): the
// caller flushes when no message is waiting and before every ack.
func (p *Printer) Buffer() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buffered = bufio.NewWriterSize(p.out, 64*1024)
}

// Flush writes out what Buffer held back.
func (p *Printer) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buffered == nil {
		return nil
	}
	return p.buffered.Flush()
}

// Print writes s to standard output.
func (p *Printer) Print(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.stdout(), s)
}

// Write writes b to standard output in one piece.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout().Write(b)
}

// Info writes a status line ("Subscribing to ...") to standard output,
// as stomp.py does, or to standard error when standard output carries
// machine-readable messages (--format json, raw or a template), or nowhere
// with -q. Control characters in it (a receipt id is the broker's text)
// are made visible.
func (p *Printer) Info(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	s = render.Visible(s)
	w := p.stdout()
	if p.infoToErr {
		w = p.err
	}
	_, _ = io.WriteString(w, s)
}

// Trace writes b to standard error as it is (--trace output).
func (p *Printer) Trace(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = p.err.Write(b)
}

// FrameTracer shows every frame for -V (verbose: on standard output,
// stomp.py's place) and --trace (wire: wire form, on standard error); nil
// when neither is asked for.
func (p *Printer) FrameTracer(verbose, wire bool) func(client.Direction, *frame.Frame) {
	if !verbose && !wire {
		return nil
	}
	return func(d client.Direction, f *frame.Frame) {
		var buf bytes.Buffer
		if wire {
			render.Wire(&buf, f, d == client.Out)
			p.Trace(buf.Bytes())
			buf.Reset()
		}
		if verbose && (d == client.Out || f.Command != frame.MESSAGE) { // a MESSAGE is shown in full anyway
			render.Frame(&buf, f, d == client.Out, p.Theme)
			_, _ = p.Write(buf.Bytes())
		}
	}
}

// Warn writes one warning line to standard error, control characters
// made visible.
func (p *Printer) Warn(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.err, "warning: "+render.Visible(msg)+"\n")
}

// Error writes one error line to standard error, in red on a terminal,
// control characters made visible (errors quote the broker and the network).
func (p *Printer) Error(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.err, p.Theme.Error(render.Visible(msg))+"\n")
}

// SetOutput swaps the writers (the shell does when readline starts).
func (p *Printer) SetOutput(out, errOut io.Writer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out, p.err = out, errOut
}

// Env is what a command runs with.
type Env struct {
	Out           *Printer
	Session       *session.Session
	Stats         *stats.Recorder
	Style         render.Style
	Format        render.Format
	ClientVersion string
	// SaveDir is where received files go; NoSave shows them instead.
	SaveDir string
	NoSave  bool
	// DestinationWhenMany shows each message's destination while more
	// than one subscription is open (the shell); scripts and -L keep
	// stomp.py's look.
	DestinationWhenMany bool
	// WholeErrors shows a broker's ERROR frame whole, headers and body, as
	// stomp.py's shell does (the body often says what to do); elsewhere an
	// error is one line.
	WholeErrors bool
	Now         func() time.Time

	takers  takers // messages a command consumes itself (Take)
	shownMu sync.Mutex
	shown   uint64        // messages written out so far
	shownCh chan struct{} // closed and replaced each time one is
}

// NewEnv ties a session to its output.
func NewEnv(out *Printer, sess *session.Session, style render.Style, version string) *Env {
	return &Env{Out: out, Session: sess, Stats: &stats.Recorder{}, Style: style, ClientVersion: version,
		SaveDir: ".", Now: time.Now}
}

// Shown is called once a message was handled (written out, or not: see
// written); `wait` counts them.
func (e *Env) Shown() {
	e.shownMu.Lock()
	defer e.shownMu.Unlock()
	e.shown++
	if e.shownCh != nil { // someone waits: wake them
		close(e.shownCh)
		e.shownCh = nil
	}
}

// ShownCount is how many messages have been handled, and a channel
// closed when the next one is.
func (e *Env) ShownCount() (uint64, <-chan struct{}) {
	e.shownMu.Lock()
	defer e.shownMu.Unlock()
	if e.shownCh == nil {
		e.shownCh = make(chan struct{})
	}
	return e.shown, e.shownCh
}

// Counts gathers the counters `stats` reports.
func (e *Env) Counts() stats.Counts {
	t := e.Session.Traffic()
	msgs, errs := e.Session.Received()
	return stats.Counts{
		Connections:        t.Connections,
		Disconnects:        t.Losses,
		FramesSent:         t.FramesOut + t.BeatsOut,
		MessagesReceived:   msgs,
		HeartbeatsReceived: t.BeatsIn,
		Errors:             errs,
	}
}

// plainTheme renders without colour, control characters made visible.
var plainTheme = render.NewTheme(false)

// bufPool recycles rendering buffers: one per message adds up.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Show renders one frame that arrived from the broker, saving a sendfile
// attachment first, unless a command takes the messages of its
// subscription (Take): then the command gets it. It returns after the output is written, so a caller may
// ack the message safely afterwards; an error says the message did not
// reach its sink (not rendered, not saved, or not written) and must not be
// acked.
func (e *Env) Show(f *frame.Frame, num uint64) error {
	if e.takers.give(f) {
		return nil // a command consumes it (Take)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	switch f.Command {
	case frame.MESSAGE:
		if !e.Format.Text() {
			if err := e.Format.Write(buf, f, e.Now()); err != nil {
				return err
			}
			return e.written(e.Out.Write(buf.Bytes()))
		}
		body := f.Body
		st := e.Style
		var saveErr error
		if name, ok := f.Header.Contains("filename"); ok && !e.NoSave {
			saved, err := render.SaveFile(e.SaveDir, name, f.Body, e.Now())
			if err != nil {
				saveErr = err // shown below as it came, but not saved
			} else {
				body = []byte("Saved file: " + saved)
				st.PrettyJSON = false
			}
		}
		st.Destination = st.Destination || e.DestinationWhenMany && e.Session.SubscriptionCount() > 1
		render.Message(buf, f, num, body, st, e.Out.Theme)
		if err := e.written(e.Out.Write(buf.Bytes())); err != nil {
			return err
		}
		return saveErr
	case frame.ERROR:
		switch {
		case e.Style.Verbose:
			render.Frame(buf, f, false, e.Out.Theme)
			_, _ = e.Out.Write(buf.Bytes())
			e.Out.Error(render.BrokerError(f))
		case e.WholeErrors:
			// Rendered without colour: Error colours the whole frame and
			// makes what is left of control characters visible, which would
			// show dimmed headers' escapes as text ("^[[2m").
			render.Frame(buf, f, false, plainTheme)
			e.Out.Error(strings.TrimRight(buf.String(), "\n"))
		default:
			e.Out.Error(render.BrokerError(f))
		}
	case frame.RECEIPT:
		if !e.Style.Verbose { // verbose mode already traced it
			e.Out.Info("Receipt: " + f.Header.Get(frame.ReceiptId) + "\n")
		}
	}
	return nil
}

// written counts a message handled and says why it was not written out,
// if it was not. `wait` counts it either way: it did arrive, and the run
// fails for the output (FinishRun), not for a wait that cannot end.
func (e *Env) written(_ int, err error) error {
	e.Shown()
	if err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
