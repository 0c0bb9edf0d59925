// Package endpoint reads how a user writes where a broker is: broker URLs
// (Parse), -H's host lists and ActiveMQ's failover: URLs (FailoverList),
// and hides their passwords in messages (Redact). The URLs:
//
//	stomp://[user[:password]@]host[:port][/vhost]      plain STOMP (port 61613)
//	stomp+ssl://...  (also stomp+tls://, stomps://)     STOMP over TLS (port 61614)
//	ws://[user[:password]@]host[:port]/path[?vhost=V]  STOMP over WebSocket (port 80)
//	wss://...                                          STOMP over WebSocket with TLS (port 443)
//
// For stomp URLs the path is the virtual host (the CONNECT host header), as
// in AMQP URIs: "stomp://h/prod" is vhost "prod" and "stomp://h/%2F" is "/".
// For WebSocket URLs the path is the HTTP path (RabbitMQ web-stomp: /ws) and
// the virtual host, if any, is the vhost query parameter.
package endpoint

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/stomp-cli/stomp/internal/secret"
)

// URL is a parsed broker URL. Empty fields were not given.
type URL struct {
	Scheme      string // stomp, stomp+ssl, ws or wss (aliases normalised)
	Host        string
	Port        string // "" when the URL has none; see DefaultPort
	User        string
	Password    string
	HasPassword bool // a password was written in the URL (discouraged)
	Vhost       string
	HasVhost    bool
	Path        string // WebSocket HTTP path (with its leading slash)
}

// TLS reports whether the scheme asks for TLS.
func (u URL) TLS() bool { return u.Scheme == "stomp+ssl" || u.Scheme == "wss" }

// WebSocket reports whether the scheme is ws or wss.
func (u URL) WebSocket() bool { return u.Scheme == "ws" || u.Scheme == "wss" }

// DefaultPort is the port a URL of scheme means when it names none.
func DefaultPort(scheme string) string {
	switch scheme {
	case "stomp+ssl":
		return "61614"
	case "ws":
		return "80"
	case "wss":
		return "443"
	}
	return "61613"
}

var schemes = map[string]string{
	"stomp": "stomp", "tcp": "stomp",
	"stomp+ssl": "stomp+ssl", "stomp+tls": "stomp+ssl", "stomps": "stomp+ssl", "ssl": "stomp+ssl",
	"ws": "ws", "wss": "wss",
}

// LooksLikeURL reports whether s has a scheme, so it is meant as a URL and
// not as a host name.
func LooksLikeURL(s string) bool { return strings.Contains(s, "://") }

// Parse parses a broker URL. Its errors never contain the password.
func Parse(s string) (URL, error) {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return URL{}, fmt.Errorf("%q is not a broker URL: expecting stomp://, stomp+ssl://, ws:// or wss://", s)
	}
	norm, known := schemes[strings.ToLower(scheme)]
	if !known {
		return URL{}, fmt.Errorf("unknown URL scheme %q: use stomp://, stomp+ssl://, ws:// or wss://", scheme)
	}
	pu, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole URL, password included: word it ourselves.
		return URL{}, fmt.Errorf("malformed %s URL %s", norm, Redact(s))
	}
	u := URL{Scheme: norm, Host: pu.Hostname(), Port: pu.Port()}
	if u.Host == "" {
		return URL{}, fmt.Errorf("%s URL %s names no host", norm, Redact(s))
	}
	if u.Port != "" {
		if n, err := strconv.Atoi(u.Port); err != nil || n < 1 || n > 65535 {
			return URL{}, fmt.Errorf("invalid port %q in URL %s: give a number from 1 to 65535", u.Port, Redact(s))
		}
	}
	if pu.User != nil {
		u.User = pu.User.Username()
		u.Password, u.HasPassword = pu.User.Password()
	}
	q := pu.Query()
	if u.WebSocket() {
		u.Path = pu.EscapedPath()
		if u.Path == "" {
			u.Path = "/"
		}
		if q.Has("vhost") {
			u.Vhost, u.HasVhost = q.Get("vhost"), true
		}
		return u, nil
	}
	if p := pu.Path; p != "" && p != "/" {
		u.Vhost, u.HasVhost = strings.TrimPrefix(p, "/"), true
	}
	if q.Has("vhost") {
		u.Vhost, u.HasVhost = q.Get("vhost"), true
	}
	return u, nil
}

// Redact returns s with any password in its user information replaced by
// secret.Mask, for messages.
func Redact(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(auth[:at], ":")
	if !hasPass {
		return s
	}
	return scheme + "://" + user + ":" + secret.Mask + rest[at:]
}

// FailoverList reads the brokers given as -H values: each may be a host,
// host:port, a comma-separated list of them, or ActiveMQ's
// failover:(tcp://a:61613,...). A URL (stomp://, ws://) stays whole, and
// only alone: a list of several takes host or host:port entries.
func FailoverList(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		if inner, ok := strings.CutPrefix(v, "failover:"); ok {
			inner = strings.TrimSuffix(strings.TrimPrefix(inner, "("), ")")
			if i := strings.Index(inner, ")?"); i >= 0 { // failover:(...)?options
				inner = inner[:i]
			}
			v = inner
		}
		if LooksLikeURL(v) && !strings.HasPrefix(v, "tcp://") {
			out = append(out, v)
			continue
		}
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimPrefix(strings.TrimSpace(h), "tcp://")
			if h == "" {
				return nil, fmt.Errorf("empty broker in -H %q: write -H a,b or -H a -H b", v)
			}
			out = append(out, h)
		}
	}
	if len(out) > 1 {
		for _, h := range out {
			if LooksLikeURL(h) {
				return nil, fmt.Errorf("failover lists take host or host:port entries, not URLs (%q)", Redact(h))
			}
		}
	}
	return out, nil
}
