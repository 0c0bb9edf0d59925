package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// Endpoint is where a broker listens and how to reach it.
type Endpoint struct {
	Host string
	Port string
	TLS  *tls.Config // nil = plain TCP
	// WSPath, when set, makes this a WebSocket endpoint (ws://, or wss://
	// with TLS): the HTTP path to upgrade, e.g. "/ws" for RabbitMQ.
	WSPath string
}

// Addr is host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, e.Port) }

// Dial opens the transport to e within timeout, then performs the STOMP
// handshake. go-stomp's Dial has no dial timeout (pitfall 8), so we dial.
func Dial(ctx context.Context, e Endpoint, timeout time.Duration, opts Options) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if e.WSPath != "" {
		return dialWebSocket(ctx, e, opts)
	}
	d := &net.Dialer{}
	nc, err := d.DialContext(ctx, "tcp", e.Addr())
	if err != nil {
		return nil, &DialError{Addr: e.Addr(), Cause: err}
	}
	if e.TLS != nil {
		cfg := e.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = e.Host // SNI, even when not verifying
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, &DialError{Addr: e.Addr(), Cause: err, TLS: true}
		}
		nc = tc
	}
	c, err := Connect(ctx, nc, opts)
	if err != nil && e.TLS != nil && isCertAlert(err) {
		// Under TLS 1.3 the broker checks our certificate after the
		// handshake: its verdict arrives as the answer to CONNECT.
		return nil, &DialError{Addr: e.Addr(), Cause: err, TLS: true}
	}
	if err != nil && e.TLS == nil {
		var lost *ConnectionLostError
		if errors.As(err, &lost) {
			// A TLS listener answers a plain CONNECT by closing the socket.
			err = fmt.Errorf("%w (is %s a TLS port? try --ssl)", err, e.Addr())
		}
	}
	return c, err
}

// DialError says the transport to the broker could not be opened.
type DialError struct {
	Addr  string
	Cause error
	TLS   bool
}

func (e *DialError) Unwrap() error { return e.Cause }

func (e *DialError) Error() string {
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(e.Cause, &dnsErr):
		return fmt.Sprintf("cannot resolve broker host %q: %v (check -H)", dnsErr.Name, dnsErr.Err)
	case errors.Is(e.Cause, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to %s: connection refused (is the broker running? check -H and -P)", e.Addr)
	case e.TLS && (errors.Is(e.Cause, context.DeadlineExceeded) || isTimeout(e.Cause)):
		return fmt.Sprintf("TLS to %s: no TLS answer from the broker in time (is this its TLS port? drop --ssl or use the TLS port, often 61614)", e.Addr)
	case errors.Is(e.Cause, context.DeadlineExceeded) || isTimeout(e.Cause):
		return fmt.Sprintf("cannot connect to %s: timed out (check -H, -P and firewalls)", e.Addr)
	case errors.As(e.Cause, &unknownCA):
		return fmt.Sprintf("TLS to %s: certificate signed by unknown authority %q (give its CA with --ssl-ca-file, or --ssl-insecure to skip verification)", e.Addr, unknownCA.Cert.Issuer.CommonName)
	case errors.As(e.Cause, &hostErr):
		return fmt.Sprintf("TLS to %s: certificate is not valid for host %q (connect with a name it lists: %v)", e.Addr, hostErr.Host, certNames(hostErr.Certificate))
	case errors.As(e.Cause, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("TLS to %s: certificate has expired or is not yet valid (%v)", e.Addr, invalid.Detail)
	case errors.As(e.Cause, &recordErr):
		return fmt.Sprintf("TLS to %s: the broker does not speak TLS on this port (drop --ssl or use the TLS port)", e.Addr)
	case e.TLS && (errors.Is(e.Cause, io.EOF) || errors.Is(e.Cause, syscall.ECONNRESET)):
		return fmt.Sprintf("TLS to %s: the broker hung up during the TLS handshake (is this its TLS port? drop --ssl or use the TLS port, often 61614)", e.Addr)
	case e.TLS && isCertAlert(e.Cause):
		return fmt.Sprintf("TLS to %s: the broker refused our client certificate or wants one: %v (check --ssl-cert-file and --ssl-key-file)", e.Addr, e.Cause)
	case e.TLS:
		return fmt.Sprintf("TLS to %s: %v", e.Addr, e.Cause)
	default:
		return fmt.Sprintf("cannot connect to %s: %v", e.Addr, e.Cause)
	}
}

// Unreachable reports a failure to reach the broker that may go away by
// itself: nothing listens on the port, the name does not resolve, the
// network times out or resets, or the broker closes the connection during
// the handshake (it is starting or shutting down). A TLS or WebSocket
// mismatch, a certificate that does not verify, or a broker that is not a
// STOMP broker will not: retrying is pointless.
func Unreachable(err error) bool {
	var (
		dial *DialError
		lost *ConnectionLostError
		te   *TimeoutError
		dns  *net.DNSError
	)
	switch {
	case errors.As(err, &dial):
		if errors.As(dial.Cause, &dns) || errors.Is(dial.Cause, syscall.ECONNREFUSED) ||
			errors.Is(dial.Cause, syscall.EHOSTUNREACH) || errors.Is(dial.Cause, syscall.ENETUNREACH) {
			return true
		}
		// A TLS handshake that times out or is hung up on is most often a
		// port that does not speak TLS: not worth retrying.
		return !dial.TLS && (isTimeout(dial.Cause) || errors.Is(dial.Cause, context.DeadlineExceeded) ||
			errors.Is(dial.Cause, syscall.ECONNRESET))
	case errors.As(err, &lost):
		return lost.Cause == nil || errors.Is(lost.Cause, io.EOF) || errors.Is(lost.Cause, io.ErrUnexpectedEOF) ||
			errors.Is(lost.Cause, syscall.ECONNRESET) || errors.Is(lost.Cause, syscall.EPIPE)
	case errors.As(err, &te):
		return true // the broker took the connection but did not answer CONNECT in time
	}
	return false
}

// isCertAlert reports a TLS alert about our client certificate.
func isCertAlert(err error) bool {
	s := err.Error()
	return strings.Contains(s, "tls: certificate required") || strings.Contains(s, "tls: bad certificate") ||
		strings.Contains(s, "tls: unknown certificate authority") || strings.Contains(s, "tls: expired certificate")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func certNames(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}
