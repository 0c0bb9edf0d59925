package doctor

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/connect"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// CommandOptions are what `stomp doctor` was asked, beyond the connection.
type CommandOptions struct {
	JSON        bool          // print the report as JSON, not a table
	FrameLimit  int           // the largest SEND body to try; 0 skips the frame size search
	FrameBudget time.Duration // how long the frame size search may take
	Verbose     bool          // show every probe frame on standard error
}

// Command is `stomp doctor`: it starts the embedded broker if conn asks for
// it, probes conn's first broker and prints the report to stdio.Out. A
// broker that cannot be reached is worded as any failed connection is.
func Command(ctx context.Context, conn connect.Config, o CommandOptions, stdio *iostreams.IOStreams) error {
	cc, stop, err := conn.Start()
	if err != nil {
		return err
	}
	defer stop()
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
	rep, err := Run(ctx, cfg)
	if err != nil {
		var ce *ConnectError
		if errors.As(err, &ce) {
			return cc.DialError(ce.Err)
		}
		return err
	}
	if o.JSON {
		return rep.WriteJSON(stdio.Out)
	}
	return rep.WriteTable(stdio.Out)
}
