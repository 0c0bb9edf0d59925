// Package testbroker picks the STOMP brokers that tests run against.
//
// Real brokers are configured by environment variables, which scripts/ci-brokers.sh prints:
//
//	scripts/ci-brokers.sh start && eval "$(scripts/ci-brokers.sh env)"
//
//	STOMP_TEST_RABBITMQ=127.0.0.1:61613        RabbitMQ STOMP (guest/guest, vhost "/")
//	STOMP_TEST_ACTIVEMQ=127.0.0.1:61623        ActiveMQ STOMP (admin/admin)
//	STOMP_TEST_RABBITMQ_TLS=127.0.0.1:61614    RabbitMQ STOMP over TLS
//	STOMP_TEST_ACTIVEMQ_TLS=127.0.0.1:61624    ActiveMQ STOMP over TLS
//	STOMP_TEST_TLS_DIR=/tmp/stomp-brokers/tls  ca.pem, client.pem, client.key
//	STOMP_TEST_RABBITMQ_WS=ws://127.0.0.1:15674/ws  RabbitMQ web-stomp
//
// STOMP_TEST_<NAME>_LOGIN and STOMP_TEST_<NAME>_PASSCODE override the default credentials.
// Tests that need a broker which is not configured are skipped, never failed.
package testbroker

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

// Names of the brokers.
const (
	NameEmbedded = "embedded" // the in-process broker of internal/broker (see Embedded)
	NameRabbitMQ = "rabbitmq"
	NameActiveMQ = "activemq"
)

// Target is one broker a test can connect to.
type Target struct {
	Name     string // "embedded", "rabbitmq", "activemq"
	Host     string // "127.0.0.1"
	Port     string
	Login    string // rabbitmq guest/guest, activemq admin/admin, embedded none
	Passcode string
	// Vhost is the CONNECT host header to send: "/" for RabbitMQ (it refuses any other name unless that
	// vhost exists); "" (send the default) otherwise.
	Vhost string
}

// Addr returns "host:port".
func (t Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

type realDef struct {
	name, env, login, pass, vhost string
}

var reals = []realDef{
	{NameRabbitMQ, "STOMP_TEST_RABBITMQ", "guest", "guest", "/"},
	{NameActiveMQ, "STOMP_TEST_ACTIVEMQ", "admin", "admin", ""},
}

func lookup(name string) (realDef, bool) {
	for _, d := range reals {
		if d.name == name {
			return d, true
		}
	}
	return realDef{}, false
}

// target builds the Target for d from the address in env variable suffix ("" for plain, "_TLS" for TLS).
// ok is false when the variable is unset; err is set when it is set but malformed.
func (d realDef) target(suffix string) (Target, bool, error) {
	v := strings.TrimSpace(os.Getenv(d.env + suffix))
	if v == "" {
		return Target{}, false, nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return Target{}, true, err
	}
	if host == "" {
		host = "127.0.0.1"
	}
	t := Target{Name: d.name, Host: host, Port: port, Login: d.login, Passcode: d.pass, Vhost: d.vhost}
	if s, ok := os.LookupEnv(d.env + "_LOGIN"); ok {
		t.Login = s
	}
	if s, ok := os.LookupEnv(d.env + "_PASSCODE"); ok {
		t.Passcode = s
	}
	return t, true, nil
}

// Real returns the real brokers named by STOMP_TEST_RABBITMQ / STOMP_TEST_ACTIVEMQ that are set (none when
// unset), in that order. Malformed values are left out.
func Real() []Target {
	var ts []Target
	for _, d := range reals {
		if t, ok, err := d.target(""); ok && err == nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// Embedded starts an embedded broker (internal/broker, default config, no login) on a free loopback port
// for this test and closes it when the test ends.
//
// internal/broker's own in-package tests must not import testbroker (that would be an import cycle);
// external test packages (package broker_test) may.
func Embedded(t testing.TB) Target {
	t.Helper()
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatalf("testbroker: start embedded broker: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("testbroker: close embedded broker: %v", err)
		}
	})
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatalf("testbroker: embedded broker address %q: %v", b.Addr(), err)
	}
	return Target{Name: NameEmbedded, Host: host, Port: port}
}

// All returns an embedded broker (started for this test) followed by Real(): the targets a test that
// should pass everywhere loops over.
func All(t testing.TB) []Target {
	t.Helper()
	return append([]Target{Embedded(t)}, Real()...)
}

// Require returns the broker named: "embedded" starts one (see Embedded); "rabbitmq" or "activemq" is
// the real broker configured by the environment, or the test is skipped with the reason when it is not.
func Require(t testing.TB, name string) Target {
	t.Helper()
	if name == NameEmbedded {
		return Embedded(t)
	}
	d, ok := lookup(name)
	if !ok {
		t.Fatalf("testbroker.Require: unknown broker %q (want %q, %q or %q)", name, NameEmbedded, NameRabbitMQ, NameActiveMQ)
	}
	tg, ok, err := d.target("")
	if !ok {
		testenv.Missing(t, d.env+" not set: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	if err != nil {
		t.Fatalf("%s=%q: want host:port: %v", d.env, os.Getenv(d.env), err)
	}
	return tg
}

// RequireTLS returns the TLS listener of the real broker named (STOMP_TEST_<NAME>_TLS) and a client TLS
// config that trusts the test CA and presents the test client certificate from STOMP_TEST_TLS_DIR, or
// skips the test when either is not configured.
func RequireTLS(t testing.TB, name string) (Target, *tls.Config) {
	t.Helper()
	d, ok := lookup(name)
	if !ok {
		t.Fatalf("testbroker.RequireTLS: unknown broker %q", name)
	}
	tg, ok, err := d.target("_TLS")
	if !ok {
		testenv.Missing(t, d.env+"_TLS not set: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	if err != nil {
		t.Fatalf("%s_TLS=%q: want host:port: %v", d.env, os.Getenv(d.env+"_TLS"), err)
	}
	return tg, TLSConfig(t)
}

// TLSDir returns STOMP_TEST_TLS_DIR (holding ca.pem, client.pem and client.key), or skips the test.
func TLSDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("STOMP_TEST_TLS_DIR")
	if dir == "" {
		testenv.Missing(t, "STOMP_TEST_TLS_DIR not set: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	return dir
}

// TLSConfig returns a client TLS config for the test brokers: RootCAs = STOMP_TEST_TLS_DIR/ca.pem, client
// certificate client.pem/client.key, ServerName 127.0.0.1 (the server certificate names 127.0.0.1, ::1
// and localhost). Skips when STOMP_TEST_TLS_DIR is unset; fails when its files are unreadable.
func TLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	dir := TLSDir(t)
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatalf("testbroker: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("testbroker: no certificate in %s", filepath.Join(dir, "ca.pem"))
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatalf("testbroker: client certificate: %v", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// RequireWebSocket returns the web-stomp URL of the real broker named (STOMP_TEST_<NAME>_WS, e.g.
// ws://127.0.0.1:15674/ws for NameRabbitMQ), or skips the test when it is not configured.
func RequireWebSocket(t testing.TB, name string) string {
	t.Helper()
	d, ok := lookup(name)
	if !ok {
		t.Fatalf("testbroker.RequireWebSocket: unknown broker %q", name)
	}
	u := os.Getenv(d.env + "_WS")
	if u == "" {
		testenv.Missing(t, d.env+"_WS not set: run scripts/ci-brokers.sh start && eval \"$(scripts/ci-brokers.sh env)\"")
	}
	return u
}

// maxNameLen bounds the sanitised test name inside a destination.
const maxNameLen = 80

// Unique returns a destination name unique to this test run: prefix + "stomptest-" + the test name
// sanitised (letters, digits, '_' and '-' kept, anything else, such as the '/' of subtests, becomes '-')
// + "-" + 8 random hex digits. An empty prefix means "/queue/". Example:
//
//	Unique(t, "/queue/") == "/queue/stomptest-TestSend-basic-1f0c9a7e"
func Unique(t testing.TB, prefix string) string {
	t.Helper()
	if prefix == "" {
		prefix = "/queue/"
	}
	var b strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("testbroker: random: %v", err)
	}
	return prefix + "stomptest-" + name + "-" + hex.EncodeToString(rnd[:])
}
