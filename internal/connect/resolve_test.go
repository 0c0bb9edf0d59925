package connect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
	"github.com/stomp-cli/stomp/internal/iostreams"
	"github.com/stomp-cli/stomp/internal/stomp/client"
)

// flags is what the command line holds with nothing given: the flags'
// defaults, then the flags given (name=value, as on the command line).
func flags(given ...string) Flags {
	f := Flags{
		Hosts: []string{"localhost"}, Port: "61613", Vhost: "/", Heartbeats: "10000,10000",
		ReceiptTimeout: 10 * time.Second, ConnectTimeout: 10 * time.Second,
		MaxFrameSize: client.DefaultMaxFrameSize, Given: map[string]bool{},
	}
	hosts := []string(nil)
	for _, g := range given {
		name, v, _ := strings.Cut(g, "=")
		f.Given[name] = true
		switch name {
		case "url":
			delete(f.Given, name) // the argument, not a flag
			f.URL = v
		case "host":
			hosts = append(hosts, v)
			f.Hosts = hosts
		case "port":
			f.Port = v
		case "user":
			f.User = v
		case "password":
			f.Password = v
		case "vhost":
			f.Vhost = v
		case "ws":
			f.WS = true
		case "ssl-insecure":
			f.SSLInsecure = true
		case "protocol":
			f.Protocol = v
		case "heartbeats":
			f.Heartbeats = v
		case "context":
			f.Context = v
		case "embedded":
			f.Embedded = true
		default:
			panic("flags: no case for " + name)
		}
	}
	return f
}

// streams is a run with a home of its own (no contexts file unless one is
// written) and env set.
func streams(t *testing.T, env ...string) (*iostreams.IOStreams, *iostreams.Buffer) {
	t.Helper()
	ios, _, errOut := iostreams.Test()
	ios.SetEnv("HOME", t.TempDir())
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		ios.SetEnv(k, v)
	}
	return ios, errOut
}

func writeContexts(t *testing.T, ios *iostreams.IOStreams, text string) {
	t.Helper()
	p := ios.ContextsFile()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// where is a config's brokers as host:port, and its login.
func where(c Config) (brokers []string, login, passcode, vhost string) {
	for _, e := range c.Brokers {
		brokers = append(brokers, e.Addr())
	}
	return brokers, c.Client.Login, c.Client.Passcode, c.Client.Vhost
}

// TestResolveLayers: the flags over a URL over the environment over the
// context over the defaults, field by field.
func TestResolveLayers(t *testing.T) {
	const file = `
default = "dflt"
[contexts.dflt]
host = "ctx-default"
user = "dflt-user"

[contexts.prod]
url = "stomp://ctx-user:ctx-pass@ctx-host:7000/ctx-vhost"
port = 7001
`
	for _, tc := range []struct {
		name     string
		env      []string
		flags    Flags
		brokers  []string
		login    string
		passcode string
		vhost    string
	}{
		{"the default context", nil, flags(), []string{"ctx-default:61613"}, "dflt-user", "", "/"},
		{"a named broker passes over the default context", nil, flags("port=1234"), []string{"localhost:1234"}, "", "", "/"},
		{"--embedded passes over the default context", nil, flags("embedded"), []string{"localhost:61613"}, "", "", "/"},
		{"the context's fields over its url", nil, flags("context=prod"), []string{"ctx-host:7001"}, "ctx-user", "ctx-pass", "ctx-vhost"},
		{"STOMP_CONTEXT names one", []string{"STOMP_CONTEXT=prod"}, flags(), []string{"ctx-host:7001"}, "ctx-user", "ctx-pass", "ctx-vhost"},
		{"--context over STOMP_CONTEXT", []string{"STOMP_CONTEXT=nope"}, flags("context=prod"), []string{"ctx-host:7001"}, "ctx-user", "ctx-pass", "ctx-vhost"},
		{"the environment over the context", []string{"STOMP_HOST=env-host", "STOMP_USER=env-user"}, flags("context=prod"),
			[]string{"env-host:7001"}, "env-user", "ctx-pass", "ctx-vhost"},
		{"the single variables over STOMP_URL", []string{"STOMP_URL=stomp://u@url-host:1111", "STOMP_PORT=2222"}, flags(),
			[]string{"url-host:2222"}, "u", "", "/"},
		{"a URL argument over the environment, its own port or its scheme's", []string{"STOMP_PORT=2222", "STOMP_USER=env-user"}, flags("url=stomp+ssl://arg-host"),
			[]string{"arg-host:61614"}, "env-user", "", "/"},
		{"the flags over the URL", nil, flags("url=stomp://u:p@arg-host:1111/v", "host=flag-host", "user=flag-user", "password=flag-pass", "vhost=flag-vhost"),
			[]string{"flag-host:1111"}, "flag-user", "flag-pass", "flag-vhost"},
		{"-H as a URL", nil, flags("host=stomp://h-host:3333"), []string{"h-host:3333"}, "", "", "/"},
		{"a failover list: a broker without a port takes the first one's", nil, flags("host=a:1001,b:1002", "host=c"), []string{"a:1001", "b:1002", "c:1001"}, "", "", "/"},
		{"a failover list with -P", nil, flags("host=failover:(tcp://a:1001,tcp://b)?randomize=false", "port=5"), []string{"a:5", "b:5"}, "", "", "/"},
		{"1.0 sends no host header unless asked", nil, flags("port=1", "protocol=1.0"), []string{"localhost:1"}, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _ := streams(t, tc.env...)
			writeContexts(t, ios, file)
			c, err := Resolve(tc.flags, ios)
			if err != nil {
				t.Fatal(err)
			}
			brokers, login, passcode, vhost := where(c)
			if !reflect.DeepEqual(brokers, tc.brokers) || login != tc.login || passcode != tc.passcode || vhost != tc.vhost {
				t.Errorf("got %v login %q passcode %q vhost %q, want %v %q %q %q", brokers, login, passcode, vhost, tc.brokers, tc.login, tc.passcode, tc.vhost)
			}
		})
	}
}

// TestResolveWebSocketAndTLS: --ws means web-stomp's port and path, wss
// means TLS, and --ssl-insecure means TLS (with a warning).
func TestResolveWebSocketAndTLS(t *testing.T) {
	ios, errOut := streams(t)
	c, err := Resolve(flags("ws", "port=1"), ios)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Brokers[0]; e.WSPath != "/ws" || e.Port != "1" || e.TLS != nil {
		t.Errorf("--ws: %+v", e)
	}
	c, err = Resolve(flags("url=wss://h/stomp", "ssl-insecure"), ios)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Brokers[0]; e.WSPath != "/stomp" || e.Port != "443" || e.TLS == nil || !e.TLS.InsecureSkipVerify {
		t.Errorf("wss with --ssl-insecure: %+v", e)
	}
	if !strings.Contains(errOut.String(), "warning: --ssl-insecure") {
		t.Errorf("no warning for --ssl-insecure: %q", errOut.String())
	}
}

// TestResolveUsageErrors: every mistake is a usage error, found before any
// connection, that says what to do.
func TestResolveUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		flags Flags
		want  string
	}{
		{flags("port=0"), "invalid port"},
		{flags("host=a,,b"), "empty broker"},
		{flags("host=a", "host=stomp://b"), "failover lists take host or host:port entries"},
		{flags("url=stomp://a", "host=stomp://b"), "two broker URLs"},
		{flags("url=ftp://a"), "broker URL"},
		{flags("protocol=2.0"), "unknown protocol version"},
		{flags("heartbeats=10"), "invalid --heartbeats"},
		{flags("heartbeats=99999999999,0"), "values too large"},
		{flags("context=nope"), "unknown context"},
		{flags("password=-"), "-W -: cannot ask for the password"},
	} {
		ios, _ := streams(t)
		_, err := Resolve(tc.flags, ios)
		if err == nil || !exitcode.Is(err, exitcode.Usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want a usage error saying %q", tc.flags.Given, err, tc.want)
		}
	}
}

// TestResolvePassword: a context's password_command gives the password
// when nothing else does; a login on a terminal without one is asked for.
func TestResolvePassword(t *testing.T) {
	ios, _ := streams(t)
	writeContexts(t, ios, `
[contexts.cmd]
host = "h"
user = "u"
password_command = "printf 'from-command\nsecond line'"
`)
	c, err := Resolve(flags("context=cmd"), ios)
	if err != nil || c.Client.Passcode != "from-command" {
		t.Errorf("password_command: %q, %v", c.Client.Passcode, err)
	}
	c, err = Resolve(flags("context=cmd", "password=given"), ios)
	if err != nil || c.Client.Passcode != "given" {
		t.Errorf("-W over password_command: %q, %v", c.Client.Passcode, err)
	}

	ios.SetStdinTTY(true)
	var prompts []string
	ios.SetPasswordPrompt(func(prompt string) (string, error) {
		prompts = append(prompts, prompt)
		return "typed", nil
	})
	c, err = Resolve(flags("user=guest"), ios)
	if err != nil || c.Client.Passcode != "typed" || !reflect.DeepEqual(prompts, []string{"Password for guest: "}) {
		t.Errorf("login on a terminal: %q %q, %v", c.Client.Passcode, prompts, err)
	}
	prompts = nil
	if c, _ = Resolve(flags("user=guest", "password=pw"), ios); c.Client.Passcode != "pw" || prompts != nil {
		t.Errorf("a given password was asked for: %q %q", c.Client.Passcode, prompts)
	}
}

// TestRedirect: shovel's --to-* replace what they name and keep the rest;
// a login given replaces both user and password.
func TestRedirect(t *testing.T) {
	ios, _ := streams(t)
	c, err := Resolve(flags("host=a:1,b:2", "user=u", "password=p", "vhost=v"), ios)
	if err != nil {
		t.Fatal(err)
	}
	got := Redirect{Host: "elsewhere", User: "other"}.Apply(c.Config)
	if got.Brokers[0].Addr() != "elsewhere:1" || got.Brokers[1].Addr() != "b:2" ||
		got.Client.Login != "other" || got.Client.Passcode != "" || got.Client.Vhost != "v" {
		t.Errorf("redirected: %+v %+v", got.Brokers, got.Client)
	}
	if c.Brokers[0].Host != "a" {
		t.Errorf("Apply changed the first connection's brokers: %+v", c.Brokers)
	}
	if err := (Redirect{Port: "65536"}).Check(); !exitcode.Is(err, exitcode.Usage) {
		t.Errorf("--to-port 65536: %v", err)
	}
}
