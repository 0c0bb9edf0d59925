package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/secret"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// Config says where the brokers are, how to talk to them and what to do
// when the connection is lost. A session keeps the one it was opened with
// and never changes it: a redial goes where the first dial went.
type Config struct {
	// Brokers are tried in order, on connect and on every reconnect
	// (failover); the first is the one named in errors.
	Brokers        []client.Endpoint
	ConnectTimeout time.Duration
	ReceiptTimeout time.Duration
	Client         client.Options
	// Reconnect is the policy for a lost connection (see Receive); nil: a
	// lost connection ends the session.
	Reconnect *Backoff
}

// Describe names the first broker as a user would write it: host:port, or
// the WebSocket URL.
func (c Config) Describe() string {
	if len(c.Brokers) == 0 {
		return ""
	}
	if e := c.Brokers[0]; e.WSPath != "" {
		return e.WebSocketURL()
	}
	return c.Brokers[0].Addr()
}

// Open dials the brokers (see Dial) and returns a session on the first
// that answers; after a loss it redials the same way.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	conn, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := New(conn, cfg.ReceiptTimeout)
	s.cfg = cfg
	s.SetRedial(func(ctx context.Context) (*client.Conn, error) { return Dial(ctx, cfg) })
	return s, nil
}

// Config is what the session was opened with (the zero Config for one made
// with New).
func (s *Session) Config() Config { return s.cfg }

// Dial connects to the first of cfg's brokers that answers, trying them in
// order. Its error is one line naming every broker tried, with the exit
// kind a script needs: a broker that could not be reached (retry later),
// one that refused the login (retrying will not help), or a failure.
func Dial(ctx context.Context, cfg Config) (*client.Conn, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("no broker to connect to")
	}
	conn, err := client.Dial(ctx, cfg.Brokers[0], cfg.ConnectTimeout, cfg.Client)
	kind := connectKind(err)
	for _, e := range cfg.Brokers[1:] {
		if err == nil || ctx.Err() != nil {
			break
		}
		var altErr error
		if conn, altErr = client.Dial(ctx, e, cfg.ConnectTimeout, cfg.Client); altErr == nil {
			err = nil
		} else {
			err = fmt.Errorf("%v; %s: %v", err, e.Addr(), altErr)
			// Any refused login wins (retrying will not help), then any
			// unreachable broker (retrying might).
			if k := connectKind(altErr); k == exitcode.LoginRefused || kind == exitcode.Failure {
				kind = k
			}
		}
	}
	if err != nil {
		return nil, cfg.dialError(err, kind)
	}
	return conn, nil
}

// DialError words a failed connection as one line with a hint and its
// exit kind (see Dial). The password never appears in it, whatever the
// broker echoed.
func (c Config) DialError(err error) error { return c.dialError(err, connectKind(err)) }

func (c Config) dialError(err error, kind exitcode.Kind) error {
	var be *client.BrokerError
	if errors.As(err, &be) {
		hint := ""
		if c.Client.Login == "" {
			hint = " (no login given: try -U and -W)"
		}
		err = fmt.Errorf("broker %s refused the connection: %v%s", c.Describe(), be, hint)
	}
	return exitcode.Wrap(kind, c.Redact(err))
}

// Redact is err with the password starred out of its text, whatever the
// error; its kind, and so the exit code, stays (a refused login is still
// 77, an unreachable broker 75). Nothing else of its chain is kept: what
// unwrapped it could show the password again.
func (c Config) Redact(err error) error {
	if pw := c.Client.Passcode; len(pw) >= 3 && strings.Contains(err.Error(), pw) {
		return exitcode.Wrap(exitcode.KindOf(err), errors.New(strings.ReplaceAll(err.Error(), pw, secret.Mask)))
	}
	return err
}

// connectKind says what a failed connection means to a script: a broker
// that could not be reached, one that refused the login, or anything else
// (a TLS certificate that does not verify, a broker that is not a STOMP
// broker).
func connectKind(err error) exitcode.Kind {
	switch {
	case errors.As(err, new(*client.BrokerError)):
		return exitcode.LoginRefused
	case client.Unreachable(err):
		return exitcode.Unreachable
	}
	return exitcode.Failure
}
