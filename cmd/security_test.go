package cmd_test

// Process-level tests of TLS, credentials and profiles: they run the real
// `stomp` (set up on $PATH by testscript.Main in TestMain) as a child
// process, in a new session so it has no controlling terminal, unless a
// test gives it one (a pty).

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
	"github.com/stomp-cli/stomp/internal/testing/testpki"
)

// secResult is what a run of stomp left.
type secResult struct {
	stdout, stderr string
	code           int
}

// runStomp runs stomp with args in dir, with only the environment given
// (plus PATH and HOME=dir), standard input stdin and no terminal.
func runStomp(t *testing.T, dir string, env []string, stdin string, args ...string) secResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "stomp", args...)
	c.Dir = dir
	c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "NO_COLOR=1"}, env...)
	c.Stdin = strings.NewReader(stdin)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no /dev/tty
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running stomp: %v", err)
	}
	return secResult{out.String(), errb.String(), code}
}

func (r secResult) String() string {
	return "exit " + string(rune('0'+r.code)) + "\nstdout:\n" + r.stdout + "stderr:\n" + r.stderr
}

// wantRun checks the exit code and that stderr matches re ("" = empty).
func wantRun(t *testing.T, r secResult, code int, re string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\n%v", r.code, code, r)
		return
	}
	if re == "" {
		if r.stderr != "" {
			t.Errorf("unexpected stderr:\n%v", r)
		}
		return
	}
	if !regexp.MustCompile(re).MatchString(r.stderr) {
		t.Errorf("stderr does not match %q\n%v", re, r)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
		t.Errorf("stderr has more than two lines:\n%v", r)
	}
}

// --- a throwaway PKI (internal/testing/testpki) ---------------------------------

type testCA struct {
	*testpki.CA
	pem string // path of ca.pem
	dir string
}

func newTestCA(t *testing.T) *testCA {
	ca := testpki.New(t)
	return &testCA{CA: ca, pem: ca.PEM, dir: ca.Dir}
}

// issue signs a certificate for names (DNS names or IPs), valid from
// notBefore to notAfter, and writes NAME.pem and NAME.key.
func (ca *testCA) issue(t *testing.T, name string, names []string, notBefore, notAfter time.Time, client bool) tls.Certificate {
	t.Helper()
	return ca.Issue(t, name, names, notBefore, notAfter, client)
}

func (ca *testCA) pool() *x509.CertPool { return ca.Pool() }

// tlsProxy terminates TLS with cert (requiring a client certificate
// signed by clientCA when it is set) and forwards the plain bytes to
// backend. It records the SNI and the client certificates' names.
type tlsProxy struct {
	addr    string
	mu      sync.Mutex
	sni     []string
	clients []string
}

func startTLSProxy(t *testing.T, cert tls.Certificate, clientCA *x509.CertPool, backend string) *tlsProxy {
	t.Helper()
	p := &tlsProxy{}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			p.mu.Lock()
			p.sni = append(p.sni, h.ServerName)
			p.mu.Unlock()
			return nil, nil
		},
	}
	if clientCA != nil {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, clientCA
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c.(*tls.Conn), backend)
		}
	}()
	return p
}

func (p *tlsProxy) serve(c *tls.Conn, backend string) {
	defer c.Close()
	if err := c.Handshake(); err != nil {
		return
	}
	p.mu.Lock()
	for _, pc := range c.ConnectionState().PeerCertificates {
		p.clients = append(p.clients, pc.Subject.CommonName)
	}
	p.mu.Unlock()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	go func() { _, _ = io.Copy(b, c); b.Close() }()
	_, _ = io.Copy(c, b)
}

func (p *tlsProxy) seen() (sni, clients []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sni...), append([]string(nil), p.clients...)
}

// --- TLS against a throwaway PKI in front of the embedded broker ----------

func TestTLSVerification(t *testing.T) {
	tg := testbroker.Embedded(t)
	ca := newTestCA(t)
	now := time.Now()
	good := startTLSProxy(t, ca.issue(t, "good", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour), false), nil, tg.Addr())
	wrongHost := startTLSProxy(t, ca.issue(t, "elsewhere", []string{"broker.example"}, now.Add(-time.Hour), now.Add(time.Hour), false), nil, tg.Addr())
	expired := startTLSProxy(t, ca.issue(t, "expired", []string{"127.0.0.1"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false), nil, tg.Addr())
	ca.issue(t, "client", nil, now.Add(-time.Hour), now.Add(time.Hour), true)
	mutual := startTLSProxy(t, ca.issue(t, "mutual", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour), false), ca.pool(), tg.Addr())
	dir := t.TempDir()
	hostPort := func(p *tlsProxy) []string {
		h, port, _ := net.SplitHostPort(p.addr)
		return []string{"-H", h, "-P", port}
	}
	run := func(p *tlsProxy, extra ...string) secResult {
		return runStomp(t, dir, nil, "ver\n", append(hostPort(p), extra...)...)
	}

	t.Run("verified", func(t *testing.T) {
		r := run(good, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 0, "")
		_, port, _ := net.SplitHostPort(good.addr)
		r = runStomp(t, dir, nil, "ver\n", "-H", "localhost", "-P", port, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 0, "")
		if sni, _ := good.seen(); !contains(sni, "localhost") {
			t.Errorf("SNI seen %q, want localhost among them", sni)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		r := run(good, "--ssl")
		wantRun(t, r, 1, `^stomp: TLS to 127\.0\.0\.1:\d+: certificate signed by unknown authority "throwaway-test-ca" \(give its CA with --ssl-ca-file, or --ssl-insecure to skip verification\)\n$`)
	})
	t.Run("wrong host", func(t *testing.T) {
		r := run(wrongHost, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 1, `^stomp: TLS to 127\.0\.0\.1:\d+: certificate is not valid for host "127\.0\.0\.1" \(connect with a name it lists: \[broker\.example\]\)\n$`)
	})
	t.Run("expired", func(t *testing.T) {
		r := run(expired, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 1, `^stomp: TLS to 127\.0\.0\.1:\d+: certificate has expired or is not yet valid`)
	})
	t.Run("insecure warns", func(t *testing.T) {
		for _, p := range []*tlsProxy{good, wrongHost, expired} {
			r := run(p, "--ssl-insecure")
			wantRun(t, r, 0, `^stomp: warning: --ssl-insecure: the broker's certificate is not verified`)
		}
	})
	t.Run("client certificate", func(t *testing.T) {
		r := run(mutual, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 1, `^stomp: TLS to 127\.0\.0\.1:\d+: .*(certificate required|bad certificate).*--ssl-cert-file`)
		r = run(mutual, "--ssl-ca-file", ca.pem, "--ssl-cert-file", filepath.Join(ca.dir, "client.pem"), "--ssl-key-file", filepath.Join(ca.dir, "client.key"))
		wantRun(t, r, 0, "")
		if _, clients := mutual.seen(); !contains(clients, "client") {
			t.Errorf("client certificates seen: %q", clients)
		}
	})
	t.Run("TLS 1.2 minimum", func(t *testing.T) {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
			Certificates: []tls.Certificate{ca.issue(t, "old", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour), false)},
			MinVersion:   tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
			}
		}()
		h, port, _ := net.SplitHostPort(ln.Addr().String())
		r := runStomp(t, dir, nil, "ver\n", "-H", h, "-P", port, "--ssl-ca-file", ca.pem)
		wantRun(t, r, 1, `^stomp: TLS to .*protocol version`)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// --- TLS against the real brokers -----------------------------------------

func TestTLSRealBrokers(t *testing.T) {
	for _, name := range []string{testbroker.NameRabbitMQ, testbroker.NameActiveMQ} {
		t.Run(name, func(t *testing.T) {
			tg, _ := testbroker.RequireTLS(t, name)
			tlsDir := testbroker.TLSDir(t)
			ca := filepath.Join(tlsDir, "ca.pem")
			dir := t.TempDir()
			env := []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode, "STOMP_PORT=" + tg.Port}
			run := func(host string, args ...string) secResult {
				return runStomp(t, dir, env, "ver\n", append([]string{"-H", host}, args...)...)
			}
			wantRun(t, run(tg.Host, "--ssl-ca-file", ca), 0, "")
			wantRun(t, run("localhost", "--ssl-ca-file", ca), 0, "")
			wantRun(t, run(tg.Host, "--ssl"), 1, `^stomp: TLS to \S+: certificate signed by unknown authority "[^"]+" \(give its CA with --ssl-ca-file, or --ssl-insecure to skip verification\)\n$`)
			wantRun(t, run(tg.Host, "--ssl-ca-file", ca, "--ssl-cert-file", filepath.Join(tlsDir, "client.pem"), "--ssl-key-file", filepath.Join(tlsDir, "client.key")), 0, "")
			wantRun(t, run(tg.Host, "--ssl-insecure"), 0, `^stomp: warning: --ssl-insecure: `)
			r := runStomp(t, dir, env, "ver\n", "stomp+ssl://"+net.JoinHostPort(tg.Host, tg.Port), "--ssl-ca-file", ca)
			wantRun(t, r, 0, "")
			// A name that reaches the broker but is not in its certificate
			// (127.0.0.1, ::1, localhost): this machine's host name, when it
			// resolves to the broker's address.
			if alias := loopbackAlias(tg.Host); alias != "" {
				wantRun(t, run(alias, "--ssl-ca-file", ca), 1, `^stomp: TLS to \S+: certificate is not valid for host "`+regexp.QuoteMeta(alias)+`" \(connect with a name it lists: `)
			}
			// The plain port with --ssl, the TLS port without it.
			plain := testbroker.Require(t, name)
			r = runStomp(t, dir, []string{"STOMP_USER=" + tg.Login, "STOMP_PASSWORD=" + tg.Passcode}, "ver\n", "-H", plain.Host, "-P", plain.Port, "--ssl-ca-file", ca, "--connect-timeout", "2s")
			wantRun(t, r, 1, `^stomp: TLS to \S+: .*drop --ssl or use the TLS port`)
			r = runStomp(t, dir, env, "ver\n", "-H", tg.Host)
			wantRun(t, r, 1, `try --ssl`)
		})
	}
}

// loopbackAlias is a host name other than localhost that resolves to
// addr, or "".
func loopbackAlias(addr string) string {
	name, err := os.Hostname()
	if err != nil || name == "localhost" {
		return ""
	}
	addrs, err := net.LookupHost(name)
	if err != nil || !contains(addrs, addr) {
		return ""
	}
	return name
}

// --- credentials -----------------------------------------------------------

// authBroker starts an embedded broker that wants login/passcode.
func authBroker(t *testing.T, login, passcode string) (host, port string) {
	t.Helper()
	b, err := broker.Start(broker.Config{Login: login, Passcode: passcode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	host, port, _ = net.SplitHostPort(b.Addr())
	return host, port
}

// TestPasscodeNeverShown runs verbose sessions that log in every way there
// is and looks for the passcode in everything they leave behind.
func TestPasscodeNeverShown(t *testing.T) {
	const pass = "Zq7-very-secret-pw"
	host, port := authBroker(t, "alice", pass)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte("stats on\nsubscribe /queue/pw\nsend /queue/pw hello\nwait 1\nstats\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var all []secResult
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"-V", "-H", host, "-P", port, "-U", "alice", "-W", pass, "-F", "s.txt"}},
		{[]string{"STOMP_PASSWORD=" + pass}, []string{"-V", "-H", host, "-P", port, "-U", "alice", "-F", "s.txt"}},
		{[]string{"STOMP_URL=stomp://alice:" + pass + "@" + net.JoinHostPort(host, port)}, []string{"-V", "-F", "s.txt"}},
		{nil, []string{"-V", "stomp://alice:" + pass + "@" + net.JoinHostPort(host, port), "-F", "s.txt"}},
	} {
		r := runStomp(t, dir, tc.env, "", tc.args...)
		if r.code != 0 || !strings.Contains(r.stdout, "passcode: ********") {
			t.Errorf("%v: %v", tc.args, r)
		}
		all = append(all, r)
	}
	// Piped standard input, as a user pipes commands in.
	r := runStomp(t, dir, []string{"STOMP_PASSWORD=" + pass}, "subscribe /queue/pw\nsend /queue/pw hi\nwait 1\n", "-V", "-H", host, "-P", port, "-U", "alice")
	wantRun(t, r, 0, "")
	all = append(all, r)
	// Failures: a wrong password, an unreachable broker, a bad URL.
	for _, args := range [][]string{
		{"-V", "-H", host, "-P", port, "-U", "alice", "-W", pass + "x", "-F", "s.txt"},
		{"-V", "-H", host, "-P", "1", "-U", "alice", "-W", pass, "-F", "s.txt"},
		{"stomp://alice:" + pass + "@" + host + ":99999"},
		{"stomp://alice:" + pass + "@" + host + ":1/%zz"},
		{"stomp://alice:" + pass + "@" + host, "extra"},
	} {
		r := runStomp(t, dir, nil, "", args...)
		if r.code == 0 {
			t.Errorf("%v succeeded", args)
		}
		all = append(all, r)
	}
	// An interactive shell on a terminal, keeping history.
	out := runInPty(t, dir, []string{"STOMP_PASSWORD=" + pass}, []string{"-V", "-H", host, "-P", port, "-U", "alice"},
		[]ptyStep{{expect: "1.2>", send: "subscribe /queue/pw\r"}, {expect: "1.2>", send: "send /queue/pw hello there\r"}, {expect: "hello there", send: "quit\r"}})
	all = append(all, secResult{stdout: out})
	for _, r := range all {
		if strings.Contains(r.stdout, pass) || strings.Contains(r.stderr, pass) {
			t.Errorf("the passcode shows:\n%v", r)
		}
	}
	hist, err := os.ReadFile(filepath.Join(dir, "state", "stomp", "history"))
	if err != nil {
		t.Fatalf("no history file: %v", err)
	}
	if !strings.Contains(string(hist), "subscribe /queue/pw") {
		t.Errorf("history lacks the commands:\n%s", hist)
	}
	if strings.Contains(string(hist), pass) {
		t.Errorf("history holds the passcode:\n%s", hist)
	}
}

type ptyStep struct{ expect, send string }

// runInPty runs stomp on a new terminal, waits for each step's text and
// types its answer, and returns everything the terminal showed.
func runInPty(t *testing.T, dir string, env, args []string, steps []ptyStep) string {
	t.Helper()
	c := exec.Command("stomp", args...)
	c.Dir = dir
	c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "NO_COLOR=1", "TERM=dumb"}, env...)
	f, err := pty.StartWithSize(c, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer f.Close()
	var mu sync.Mutex
	var seen bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			mu.Lock()
			seen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	from := 0
	for _, s := range steps {
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			i := strings.Index(seen.String()[from:], s.expect)
			mu.Unlock()
			if i >= 0 {
				from += i + len(s.expect)
				break
			}
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				_ = c.Process.Kill()
				t.Fatalf("no %q on the terminal; it shows:\n%s", s.expect, seen.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := f.WriteString(s.send); err != nil {
			t.Fatal(err)
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			mu.Lock()
			t.Errorf("stomp on a terminal: %v\n%s", err, seen.String())
			mu.Unlock()
		}
	case <-time.After(15 * time.Second):
		_ = c.Process.Kill()
		t.Fatal("stomp on a terminal did not exit")
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	return seen.String()
}

// TestPasswordPrompt: -W - and a login without a password on a terminal
// ask for the password without echoing it; without a terminal, -W - is a
// usage error and a missing password is not asked for.
func TestPasswordPrompt(t *testing.T) {
	const pass = "Typed-Secret-42"
	host, port := authBroker(t, "bob", pass)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-H", host, "-P", port, "-U", "bob", "-W", "-"},
		{"-H", host, "-P", port, "-U", "bob"},
		{"stomp://bob@" + net.JoinHostPort(host, port)},
	} {
		out := runInPty(t, dir, nil, args, []ptyStep{{expect: "Password for bob: ", send: pass + "\r"}, {expect: "1.2>", send: "quit\r"}})
		if strings.Contains(out, pass) {
			t.Errorf("%v: the typed password was echoed:\n%s", args, out)
		}
	}
	// -W - reads the terminal, not standard input, which can be a script.
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte("echo script ran\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runInPty(t, dir, nil, []string{"-H", host, "-P", port, "-U", "bob", "-W", "-", "-F", "s.txt"},
		[]ptyStep{{expect: "Password for bob: ", send: pass + "\r"}})
	if strings.Contains(out, pass) || !strings.Contains(out, "script ran") {
		t.Errorf("-W - with -F:\n%s", out)
	}

	r := runStomp(t, dir, nil, "ver\n", "-H", host, "-P", port, "-U", "bob", "-W", "-")
	wantRun(t, r, 2, `^stomp: -W -: cannot ask for the password: no terminal to ask for the password on \(set STOMP_PASSWORD instead\)\n$`)
	r = runStomp(t, dir, nil, "ver\n", "-H", host, "-P", port, "-U", "bob")
	wantRun(t, r, 77, `^stomp: broker \S+ refused the connection`) // EX_NOPERM: a refused login`
}

// TestConnectionUsageExitCodes: mistakes in URLs, contexts and TLS files
// are usage errors (exit 2), found before any connection.
func TestConnectionUsageExitCodes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg", "stomp")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "config.toml"), []byte("[contexts.a]\nhost = \"h\"\n[contexts.b]\nport = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "cfg")}
	for _, tc := range []struct {
		args []string
		re   string
	}{
		{[]string{"--context", "nope"}, `^stomp: unknown context "nope": \S+ defines a, b\n$`},
		{[]string{"ftp://h"}, `unknown URL scheme "ftp"`},
		{[]string{"stomp://h", "x"}, `unexpected argument "x"`},
		{[]string{"-H", "ws://h:0/ws"}, `invalid port "0"`},
		{[]string{"--ssl-ca-file", "nope.pem"}, `cannot read --ssl-ca-file`},
	} {
		wantRun(t, runStomp(t, dir, env, "ver\n", tc.args...), 2, tc.re)
	}
}
