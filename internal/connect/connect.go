// Package connect decides where a connection goes and how: Resolve turns
// the connection flags, the STOMP_* environment and the --context file into
// a Config (brokers, failover, login, TLS, WebSocket); Start starts the
// embedded broker for --embedded (the one place it is started, for the
// shell and the modes, doctor and bench alike); Redirect sends a second
// connection elsewhere (shovel's --to-*). It sits above the session layer
// so that the protocol packages know nothing of a broker or of flags: the
// session dials, fails over and redials wherever the Config that Start
// returns points.
package connect

import (
	"fmt"
	"net"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Config is a session's config and whether to start the embedded broker
// for it.
type Config struct {
	session.Config
	// Embedded: start the embedded broker in-process on a free loopback
	// port and connect to it instead of Brokers.
	Embedded bool
}

// Start starts the embedded broker when c asks for it and returns the
// session config pointed at it, else c's own. stop closes the broker (a
// no-op without one); every redial of a session opened with the returned
// config goes to that same broker.
func (c Config) Start() (cfg session.Config, stop func(), err error) {
	if !c.Embedded {
		return c.Config, func() {}, nil
	}
	// Quiet: its log lines would land in the middle of the output.
	b, err := broker.Start(broker.Config{HeartBeat: broker.DefaultHeartBeat})
	if err != nil {
		return c.Config, func() {}, fmt.Errorf("cannot start the embedded broker: %w", err)
	}
	host, port, _ := net.SplitHostPort(b.Addr())
	cfg = c.Config
	cfg.Brokers = []client.Endpoint{{Host: host, Port: port}}
	return cfg, func() { b.Close() }, nil
}
