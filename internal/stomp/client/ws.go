package client

// STOMP over WebSocket (RabbitMQ web-stomp, ActiveMQ's ws transport,
// stomp.js brokers).
//
// We use github.com/coder/websocket (formerly nhooyr.io/websocket): it is
// maintained and every call takes a context, so --connect-timeout and
// Ctrl-C bound the HTTP upgrade like a TCP dial. internal/stomp/wsstream turns
// the WebSocket into the byte stream Connect reads and writes, one STOMP
// frame per message.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"

	"github.com/stomp-cli/stomp/internal/stomp/wsstream"
)

// WebSocketURL is the URL Dial opens for a WebSocket endpoint.
func (e Endpoint) WebSocketURL() string {
	scheme := "ws"
	if e.TLS != nil {
		scheme = "wss"
	}
	return scheme + "://" + e.Addr() + e.WSPath
}

// subprotocols maps STOMP versions to the registered WebSocket
// subprotocol names, newest first.
func subprotocols(versions []string) []string {
	if len(versions) == 0 {
		versions = []string{"1.0", "1.1", "1.2"}
	}
	var out []string
	for i := len(versions) - 1; i >= 0; i-- {
		switch versions[i] {
		case "1.2":
			out = append(out, "v12.stomp")
		case "1.1":
			out = append(out, "v11.stomp")
		case "1.0":
			out = append(out, "v10.stomp")
		}
	}
	return out
}

// dialWebSocket opens e.WebSocketURL() and performs the STOMP handshake
// over it. ctx bounds the upgrade and the handshake.
func dialWebSocket(ctx context.Context, e Endpoint, opts Options) (*Conn, error) {
	u := e.WebSocketURL()
	tr := &http.Transport{
		Proxy:       http.ProxyFromEnvironment, // never used for loopback
		DialContext: (&net.Dialer{}).DialContext,
	}
	if e.TLS != nil {
		cfg := e.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = e.Host // SNI and the name verified
		}
		tr.TLSClientConfig = cfg
	}
	defer tr.CloseIdleConnections()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		Subprotocols: subprotocols(opts.Versions),
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &DialError{Addr: u, TLS: e.TLS != nil, Cause: fmt.Errorf(
				"the server answered HTTP %q instead of upgrading to a WebSocket (check the path: RabbitMQ web-stomp serves /ws)", resp.Status)}
		}
		var ue *url.Error // under the websocket library's "failed to WebSocket dial: ..." words
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// net/http says these two only in words.
		switch {
		case resp == nil && strings.Contains(err.Error(), "malformed HTTP response"):
			// A STOMP port answers the upgrade request with an ERROR frame.
			err = fmt.Errorf("the server on port %s does not speak HTTP, so it is no WebSocket endpoint (a STOMP port? connect to it without ws://; RabbitMQ web-stomp listens on 15674)", e.Port)
		case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
			err = fmt.Errorf("the server on port %s does not speak TLS (use ws:// rather than wss://, or its TLS port)", e.Port)
		}
		return nil, &DialError{Addr: u, Cause: err, TLS: e.TLS != nil}
	}
	// Frames are bounded by wire.Reader (--max-frame-size), which reads
	// the messages as a stream.
	ws.SetReadLimit(-1)
	return Connect(ctx, wsstream.New(ws, nil, nil), opts)
}
