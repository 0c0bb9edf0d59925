package contexts

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, text string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	p := write(t, `
[contexts.local]
host = "localhost"
port = 61613
user = "guest"
vhost = "/"

[contexts.prod]
url = "stomp+ssl://orders@broker.example.com"
port = "61614"
ssl = true
ssl_ca_file = "/etc/ca.pem"
`, 0o644)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); !reflect.DeepEqual(got, []string{"local", "prod"}) {
		t.Errorf("Names = %v", got)
	}
	c, ok := f.Get("prod")
	want := Context{URL: "stomp+ssl://orders@broker.example.com", Port: "61614", SSL: true, SSLCAFile: "/etc/ca.pem"}
	if !ok || c != want {
		t.Errorf("prod = %+v, want %+v", c, want)
	}
	if c, _ := f.Get("local"); c.Port != "61613" || c.User != "guest" {
		t.Errorf("local = %+v", c)
	}
	if f.Exposed {
		t.Error("no password, yet Exposed")
	}
}

func TestExposed(t *testing.T) {
	for _, tc := range []struct {
		text    string
		perm    os.FileMode
		exposed bool
	}{
		{"[contexts.a]\npassword = \"x\"\n", 0o644, true},
		{"[contexts.a]\npassword = \"x\"\n", 0o640, true},
		{"[contexts.a]\npassword = \"x\"\n", 0o600, false},
		{"[contexts.a]\nurl = \"stomp://u:x@h\"\n", 0o604, true},
		{"[contexts.a]\nurl = \"stomp://u@h\"\n", 0o644, false},
	} {
		f, err := Load(write(t, tc.text, tc.perm))
		if err != nil {
			t.Fatal(err)
		}
		if f.Exposed != tc.exposed {
			t.Errorf("%q %o: Exposed = %v", tc.text, tc.perm, f.Exposed)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.toml")); !errors.Is(err, ErrNoFile) {
		t.Errorf("missing file: %v", err)
	}
	_, err := Load(write(t, "[contexts.a]\nhots = \"x\"\n", 0o600))
	if err == nil || !strings.Contains(err.Error(), "contexts.a.hots") {
		t.Errorf("typo: %v", err)
	}
	_, err = Load(write(t, "[contexts.a]\npassword = \"topsecret\n", 0o600))
	if err == nil || strings.Contains(err.Error(), "topsecret") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("syntax error: %v", err)
	}
}

// Save writes what Load reads back, at mode 0600 whatever the umask, and
// keeps the default.
func TestSaveRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stomp", "config.toml")
	f, err := loadOrEmpty(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Default = "prod"
	f.Contexts["prod"] = Context{URL: "stomp+ssl://orders@broker.example.com", Port: "61614", PasswordCommand: "pass show broker"}
	f.Contexts["local"] = Context{Host: "localhost", User: "guest", Password: "guest", SSL: true}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Default != "prod" || !reflect.DeepEqual(g.Contexts, f.Contexts) {
		t.Errorf("read back %+v, wrote %+v", g, f)
	}
	if g.Exposed {
		t.Error("a 0600 file is reported exposed")
	}
}
