package connect

import (
	"slices"
	"strconv"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

// Redirect sends a second connection elsewhere than the first (stomp
// shovel's --to-host, --to-port, --to-user, --to-password, --to-vhost):
// the fields given replace the first connection's, empty ones keep them.
type Redirect struct {
	Host, Port, User, Password, Vhost string
}

// Check is a usage error for a Port that is not one.
func (r Redirect) Check() error {
	if r.Port != "" && portNumber(r.Port) == 0 {
		return exitcode.Usagef("invalid --to-port %q: give a number from 1 to 65535", r.Port)
	}
	return nil
}

// Apply is cfg sent where r says: its first broker's host and port, and
// the login (user and password together: one without the other would mix
// two accounts' credentials). The embedded broker, TLS, WebSocket and
// timeouts stay cfg's.
func (r Redirect) Apply(cfg session.Config) session.Config {
	cfg.Brokers = slices.Clone(cfg.Brokers)
	if r.Host != "" {
		cfg.Brokers[0].Host = r.Host
	}
	if r.Port != "" {
		cfg.Brokers[0].Port = r.Port
	}
	if r.User != "" || r.Password != "" {
		cfg.Client.Login, cfg.Client.Passcode = r.User, r.Password
	}
	if r.Vhost != "" {
		cfg.Client.Vhost = r.Vhost
	}
	return cfg
}

// portNumber is s as a TCP port number, 0 when it is not one.
func portNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0
	}
	return n
}
