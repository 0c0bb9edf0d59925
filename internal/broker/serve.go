package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"syscall"

	"github.com/stomp-cli/stomp/internal/render"
)

// Serve runs a broker in the foreground, as `stomp serve` does: it logs to
// logTo, announces its listeners with version (the program's name and
// version), and runs until ctx ends (then closes the broker and returns its
// Close error) or a listener fails (then returns that error, so that a
// supervisor restarts the broker rather than it staying alive without
// listening). cfg.Logf is replaced by logTo's logger.
func Serve(ctx context.Context, cfg Config, logTo io.Writer, version string) error {
	logger := log.New(logTo, "", log.LstdFlags)
	// A log line can quote a client (a command, a header, a destination):
	// its control characters show visibly rather than drive the terminal.
	cfg.Logf = func(format string, args ...any) { logger.Print(render.Visible(fmt.Sprintf(format, args...))) }
	b, err := Start(cfg)
	if err != nil {
		return listenError(err)
	}
	logger.Printf("%s embedded broker listening on %s (Ctrl-C to stop)", version, strings.Join(b.URLs(), ", "))
	select {
	case <-ctx.Done():
		logger.Printf("stopping")
		return b.Close()
	case err := <-b.Failed():
		b.Close()
		return err
	}
}

// listenError words a failure to listen: a port already taken says which
// address and what to do.
func listenError(err error) error {
	var op *net.OpError
	if errors.Is(err, syscall.EADDRINUSE) && errors.As(err, &op) && op.Addr != nil {
		addr := op.Addr.String()
		host, _, _ := net.SplitHostPort(addr)
		return fmt.Errorf("cannot listen on %s: the address is already in use (another broker or stomp serve?): stop it, or pick a free port with --listen %s", addr, net.JoinHostPort(host, "PORT"))
	}
	return fmt.Errorf("cannot listen: %w", err)
}
