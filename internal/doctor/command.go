package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// CommandOptions are what `stomp doctor` was asked, beyond the connection.
type CommandOptions struct {
	JSON        bool          // print the report as JSON, not a table
	FrameLimit  int           // the largest SEND body to try; 0 skips the frame size search
	FrameBudget time.Duration // how long the frame size search may take
	Verbose     bool          // show every probe frame on standard error
}

// Command is `stomp doctor`: it starts the embedded broker if conn asks for
// it, probes each broker of conn in turn (a failover list has several; the
// session would connect to any of them) and prints a report for each to
// stdio.Out, one after the other (--json: one object each). A broker that
// cannot be reached is worded as any failed connection is; the others are
// probed all the same, and the run fails with the first such error, the
// others' reasons appended.
func Command(ctx context.Context, conn connect.Config, o CommandOptions, stdio *iostreams.IOStreams) error {
	cc, stop, err := conn.Start()
	if err != nil {
		return err
	}
	defer stop()
	var unreachable error
	reported := 0
	for _, b := range cc.Brokers {
		one := cc
		one.Brokers = []client.Endpoint{b}
		rep, err := Run(ctx, commandConfig(one, o, stdio))
		var ce *ConnectError
		if errors.As(err, &ce) {
			if derr := one.DialError(ce.Err); unreachable == nil {
				unreachable = derr
			} else {
				unreachable = fmt.Errorf("%w; %v", unreachable, derr)
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := writeReport(stdio.Out, rep, o.JSON, reported > 0); err != nil {
			return err
		}
		reported++
	}
	return unreachable
}

// commandConfig is the Config that probes the one broker of cc.
func commandConfig(cc session.Config, o CommandOptions, stdio *iostreams.IOStreams) Config {
	cfg := Config{
		Dial: func(ctx context.Context, opts client.Options) (*client.Conn, error) {
			return client.Dial(ctx, cc.Brokers[0], cc.ConnectTimeout, opts)
		},
		Options:     cc.Client,
		Address:     cc.Describe(),
		Host:        cc.Brokers[0].Host,
		MaxFrame:    o.FrameLimit,
		FrameBudget: o.FrameBudget,
	}
	if o.FrameLimit == 0 {
		cfg.Skip = []string{"max-frame"}
	}
	if o.Verbose {
		theme := render.NewTheme(stdio.ErrColorEnabled())
		var mu sync.Mutex
		cfg.Trace = func(d client.Direction, f *frame.Frame) {
			var buf bytes.Buffer
			render.Frame(&buf, f, d == client.Out, theme)
			mu.Lock()
			defer mu.Unlock()
			_, _ = stdio.Err.Write(buf.Bytes())
		}
	}
	return cfg
}

// writeReport writes rep as JSON or a table; a table after another is set
// apart by a blank line.
func writeReport(w io.Writer, rep *Report, asJSON, another bool) error {
	if asJSON {
		return rep.WriteJSON(w)
	}
	if another {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	return rep.WriteTable(w)
}
