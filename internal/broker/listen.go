package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/stomp-cli/stomp/internal/stomp/wsstream"
)

// Listener specs (Config.Listen, `stomp serve --listen`):
//
//	127.0.0.1:61613, tcp://HOST:PORT   STOMP over TCP
//	ssl://HOST:PORT                    STOMP over TLS (Config.TLS)
//	ws://HOST:PORT/PATH                STOMP over WebSocket, one frame per message
//	wss://HOST:PORT/PATH               the same over TLS
//
// A ws:// spec without a path serves /ws, RabbitMQ web-stomp's path.

// listenSpec is a parsed listener spec.
type listenSpec struct {
	scheme string // "tcp", "ssl", "ws" or "wss"
	addr   string // host:port
	path   string // ws and wss only
}

func (s listenSpec) tls() bool { return s.scheme == "ssl" || s.scheme == "wss" }
func (s listenSpec) ws() bool  { return s.scheme == "ws" || s.scheme == "wss" }

// defaultWSPath is RabbitMQ web-stomp's, which browser examples use.
const defaultWSPath = "/ws"

func parseListen(spec string) (listenSpec, error) {
	if !strings.Contains(spec, "://") {
		if _, _, err := net.SplitHostPort(spec); err != nil {
			return listenSpec{}, fmt.Errorf("listen address %q: want HOST:PORT, tcp://HOST:PORT, ssl://HOST:PORT or ws://HOST:PORT/PATH", spec)
		}
		return listenSpec{scheme: "tcp", addr: spec}, checkPort(spec, spec)
	}
	u, err := url.Parse(spec)
	if err != nil || u.Host == "" || u.Port() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return listenSpec{}, fmt.Errorf("listen address %q: want HOST:PORT, tcp://HOST:PORT, ssl://HOST:PORT or ws://HOST:PORT/PATH", spec)
	}
	s := listenSpec{scheme: strings.ToLower(u.Scheme), addr: u.Host, path: u.Path}
	switch s.scheme {
	case "tcp", "ssl":
		if s.path != "" && s.path != "/" {
			return listenSpec{}, fmt.Errorf("listen address %q: a %s:// listener has no path (a path is for ws://)", spec, s.scheme)
		}
		s.path = ""
	case "ws", "wss":
		if s.path == "" {
			s.path = defaultWSPath
		}
	default:
		return listenSpec{}, fmt.Errorf("listen address %q: unknown scheme %q (use tcp://, ssl://, ws:// or wss://)", spec, u.Scheme)
	}
	return s, checkPort(spec, s.addr)
}

// checkPort refuses a port that is no port number before listening, which
// would say so as a Go error chain.
func checkPort(spec, addr string) error {
	_, port, _ := net.SplitHostPort(addr)
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("listen address %q: the port must be a number from 1 to 65535 (0 picks a free one)", spec)
	}
	return nil
}

// CheckListen validates a listener spec and refuses to expose an
// unauthenticated broker beyond the local machine: the host must be
// loopback unless a login is configured. It holds for every transport.
func CheckListen(spec, login string) error {
	s, err := parseListen(spec)
	if err != nil {
		return err
	}
	if login != "" {
		return nil
	}
	host, _, _ := net.SplitHostPort(s.addr)
	if isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without --user/--password: only loopback addresses (127.0.0.0/8, ::1, localhost) may be used without authentication", spec)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// listener is one open listener and the URL it serves.
type listener struct {
	spec listenSpec
	l    net.Listener
	http *http.Server // ws and wss
}

func (l *listener) url() string {
	return l.spec.scheme + "://" + l.l.Addr().String() + l.spec.path
}

// open listens for one spec. TLS specs need cfg.TLS.
func (b *Broker) open(spec string) (*listener, error) {
	s, err := parseListen(spec)
	if err != nil {
		return nil, err
	}
	if s.tls() && b.cfg.TLS == nil {
		return nil, fmt.Errorf("listen address %q needs a certificate and key (--ssl-cert-file, --ssl-key-file)", spec)
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, err
	}
	if s.tls() {
		l = tls.NewListener(l, b.cfg.TLS)
	}
	ln := &listener{spec: s, l: l}
	if s.ws() {
		ln.http = b.webSocketServer(s.path)
	}
	return ln, nil
}

// serveListener runs one listener until Close. A permanent accept error
// (not a closed listener, not a temporary shortage of descriptors or
// memory) is returned: the broker cannot go on listening there.
func (b *Broker) serveListener(ln *listener) error {
	if ln.http != nil {
		err := ln.http.Serve(ln.l)
		if b.isClosed() || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
	return b.Serve(ln.l)
}

// Accept back-off, as net/http's: a temporary failure (EMFILE "too many
// open files" above all) must not stop the broker listening for good.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// temporaryAcceptError reports errors after which accepting again later
// may succeed: out of descriptors, memory or buffers, or a connection
// that died in the accept queue.
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// webSocketServer serves STOMP over WebSocket at path. The HTTP request
// must arrive within ConnectTimeout (net/http's own slowloris guard);
// the CONNECT deadline then counts from when the TCP connection was
// accepted, as on the other transports.
func (b *Broker) webSocketServer(path string) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.Error(w, "STOMP over WebSocket is served at "+path, http.StatusNotFound)
			return
		}
		if !b.originAllowed(r) {
			b.cfg.Logf("WebSocket from %s refused: origin %q is not a local page and the broker has no login", r.RemoteAddr, r.Header.Get("Origin"))
			http.Error(w, "origin not allowed: without --user/--password this broker accepts WebSockets only from pages on localhost", http.StatusForbidden)
			return
		}
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols:       wsstream.Subprotocols,
			InsecureSkipVerify: true, // origins are checked above
		})
		if err != nil {
			return // Accept has answered the HTTP request
		}
		// Frames are bounded by the decoder, which reads messages as one stream.
		ws.SetReadLimit(-1)
		accepted, _ := r.Context().Value(acceptedAtKey{}).(time.Time)
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		remote, _ := net.ResolveTCPAddr("tcp", r.RemoteAddr)
		var ra net.Addr
		if remote != nil {
			ra = remote
		}
		b.accept(wsstream.New(ws, local, ra), accepted)
	})
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: b.cfg.ConnectTimeout,
		IdleTimeout:       b.cfg.ConnectTimeout,
		MaxHeaderBytes:    preLoginMaxFrame,
		ErrorLog:          log.New(logWriter(b.cfg.Logf), "", 0),
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, acceptedAtKey{}, time.Now())
		},
	}
}

type acceptedAtKey struct{}

// originAllowed keeps web pages from elsewhere off an unauthenticated
// broker: a browser lets any page open a WebSocket to 127.0.0.1, so
// without a login only pages served from loopback (and clients that send
// no Origin, which browsers always do) may connect. With a login, the
// login is the guard, as on RabbitMQ.
func (b *Broker) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || b.cfg.Login != "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null": sandboxed frames and file:// pages
	}
	return isLoopbackHost(u.Hostname())
}

// logWriter adapts Logf for net/http's error log.
type logWriter func(format string, args ...any)

func (f logWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
