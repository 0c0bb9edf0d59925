// Package rawstream runs `stomp raw`: it sends frames written by hand,
// read from a stream, exactly as written, and shows every frame the broker
// sends back. The shell's one-frame raw command is commands' raw; both
// read a frame's command and headers with commands.RawCommand and
// RawHeader.
package rawstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// rawWatch prints what comes back and notes what the end depends on.
type rawWatch struct {
	mu          sync.Mutex
	receipts    map[string]bool // receipt-ids seen
	brokerError *frame.Frame
	arrived     chan struct{} // a frame came (capacity 1)
	done        chan struct{} // the connection ended and everything is printed
}

func (w *rawWatch) sawReceipt(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.receipts[id]
}

// Run sends the frames read from in as they are read (so a pipe can pace
// them) and shows every frame that comes back, CONNECTED first, until the
// broker confirmed a DISCONNECT from the input (its receipt, or closing
// the connection) or no frame came for wait after the input ended; then it
// disconnects itself, unless the input did. It fails on an ERROR from the
// broker, a lost connection, or input that is not a valid frame (a usage
// error). A ctx ended by a signal ends the run with that signal's error.
func Run(ctx context.Context, env *commands.Env, in io.Reader, wait time.Duration) error {
	conn := env.Session.Conn()
	verbose := env.Style.Verbose
	show := func(f *frame.Frame) {
		var buf bytes.Buffer
		render.Frame(&buf, f, false, env.Out.Theme)
		buf.WriteByte('\n')
		_, _ = env.Out.Write(buf.Bytes())
	}
	if !verbose { // -V traced it already
		show(conn.Connected())
	}
	w := &rawWatch{receipts: map[string]bool{}, arrived: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for f := range conn.Incoming() {
			// -V traces every frame but MESSAGE, which it leaves to us.
			if !verbose || f.Command == frame.MESSAGE {
				show(f)
			}
			w.mu.Lock()
			switch f.Command {
			case frame.RECEIPT:
				w.receipts[f.Header.Get(frame.ReceiptId)] = true
			case frame.ERROR:
				w.brokerError = f
			}
			w.mu.Unlock()
			select {
			case w.arrived <- struct{}{}:
			default:
			}
		}
	}()

	// Send the frames as they are read, so a pipe can pace them.
	rr := newRawReader(in)
	var (
		disconnect   *frame.Frame
		inputErr     error
		lostMidInput bool
	)
	for {
		f, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			inputErr = err
			break
		}
		if err := conn.Send(ctx, f); err != nil {
			if ctx.Err() != nil {
				break
			}
			lostMidInput = true
			break
		}
		if f.Command == frame.DISCONNECT {
			disconnect = f // anything after it is not sent
			break
		}
	}

	// Wait for the end: the DISCONNECT's receipt or the broker closing, or
	// a quiet --wait.
	receiptID := ""
	if disconnect != nil {
		receiptID = disconnect.Header.Get(frame.Receipt)
	}
	unconfirmed := false
	if inputErr == nil && !lostMidInput {
		limit := wait
		if receiptID != "" {
			limit = env.Session.ReceiptTimeout()
		}
		timer := time.NewTimer(limit)
	waiting:
		for {
			select {
			case <-w.done:
				break waiting
			case <-ctx.Done():
				break waiting
			case <-w.arrived:
				if receiptID == "" {
					timer.Reset(wait)
				} else if w.sawReceipt(receiptID) {
					break waiting
				}
			case <-timer.C:
				unconfirmed = receiptID != ""
				break waiting
			}
		}
		timer.Stop()
	}

	// Leave: the input's DISCONNECT already asked the broker to; otherwise
	// we disconnect cleanly ourselves.
	var closeErr error
	select {
	case <-w.done:
	default:
		if disconnect != nil {
			conn.Close()
		} else {
			closeErr = env.Session.Close(context.Background())
		}
	}
	<-w.done
	w.mu.Lock()
	brokerError := w.brokerError
	w.mu.Unlock()
	switch {
	case inputErr != nil:
		return inputErr
	case brokerError != nil:
		return fmt.Errorf("the broker sent an ERROR: %s", strings.TrimPrefix(render.BrokerError(brokerError), "broker error: "))
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case unconfirmed:
		return fmt.Errorf("no receipt for DISCONNECT within %v (raise --receipt-timeout if the broker is slow)", env.Session.ReceiptTimeout())
	case disconnect != nil:
		return nil // the broker closing after our DISCONNECT is the normal end
	}
	if err := conn.Err(); err != nil && !errors.Is(err, client.ErrClosed) {
		return err
	}
	if closeErr != nil && !errors.Is(closeErr, client.ErrClosed) {
		return fmt.Errorf("disconnect not confirmed by the broker: %w", closeErr)
	}
	return nil
}

// rawReader reads frames written by hand (see stomp raw --help).
type rawReader struct {
	r    *bufio.Reader
	line int
}

func newRawReader(in io.Reader) *rawReader {
	return &rawReader{r: bufio.NewReaderSize(in, 64*1024)}
}

// readLine returns the next line without its line ending; io.EOF when
// there is none. A last line without a newline is a line.
func (rr *rawReader) readLine() (string, error) {
	s, err := rr.r.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		return "", err
	}
	rr.line++
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

func isTerminator(s string) bool { return s == "." || s == "^@" }

// frameLine reads a line within a frame; end says the frame ended there:
// at a terminator line, or at the input's end, which ends a frame too.
func (rr *rawReader) frameLine() (s string, end bool, err error) {
	s, err = rr.readLine()
	if errors.Is(err, io.EOF) {
		return "", true, nil
	}
	return s, err == nil && isTerminator(s), err
}

func (rr *rawReader) errorf(format string, args ...any) error {
	return exitcode.Usagef("raw: standard input line %d: %s", rr.line, fmt.Sprintf(format, args...))
}

// next reads one frame; io.EOF when the input holds no more.
func (rr *rawReader) next() (*frame.Frame, error) {
	var cmdLine string
	for {
		s, err := rr.readLine()
		if err != nil {
			return nil, err
		}
		if t := strings.TrimSpace(s); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if isTerminator(s) {
			return nil, rr.errorf("%s ends a frame that has no command", s)
		}
		cmdLine = strings.TrimSpace(s)
		break
	}
	cmd, err := commands.RawCommand(cmdLine)
	if err != nil {
		return nil, rr.errorf("%v", strings.TrimPrefix(err.Error(), "raw: "))
	}
	f := frame.New(cmd)
	// Headers, up to the blank line (or the terminator: no body).
	for {
		s, end, err := rr.frameLine()
		if err != nil {
			return nil, err
		}
		if end {
			return f, nil
		}
		if s == "" {
			break
		}
		k, v, err := commands.RawHeader(s)
		if err != nil {
			return nil, rr.errorf("%v", strings.TrimPrefix(err.Error(), "raw: "))
		}
		f.Header.Add(k, v)
	}
	if n, ok := f.Header.Contains(frame.ContentLength); ok {
		return rr.sizedBody(f, n)
	}
	var body []string
	for {
		s, end, err := rr.frameLine()
		if err != nil {
			return nil, err
		}
		if end {
			break
		}
		body = append(body, s)
	}
	f.Body = []byte(strings.Join(body, "\n"))
	return f, nil
}

// sizedBody reads exactly content-length bytes, then the terminator line.
func (rr *rawReader) sizedBody(f *frame.Frame, value string) (*frame.Frame, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		// Sent as written (the broker will judge it); the body is read by lines.
		return nil, rr.errorf("content-length %q is not a byte count", value)
	}
	f.Body = make([]byte, n)
	if _, err := io.ReadFull(rr.r, f.Body); err != nil {
		return nil, rr.errorf("the input ended within the %d bytes of content-length", n)
	}
	rr.line += bytes.Count(f.Body, []byte{'\n'})
	// The rest of the body's last line must be empty, and the next line
	// ends the frame.
	s, end, err := rr.frameLine()
	if err == nil && !end && s == "" {
		s, end, err = rr.frameLine()
	}
	if err != nil {
		return nil, err
	}
	if !end {
		return nil, rr.errorf("expected . or ^@ after the %d bytes of content-length, found %q", n, s)
	}
	return f, nil
}
