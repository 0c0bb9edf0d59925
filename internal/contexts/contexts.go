// Package contexts keeps named connections ("contexts", as natscli calls
// them): it reads them for --context and changes them for `stomp context`.
// They live in $XDG_CONFIG_HOME/stomp/config.toml
// (~/.config/stomp/config.toml when XDG_CONFIG_HOME is unset):
//
//	[contexts.prod]
//	url = "stomp+ssl://orders@broker.example.com"
//	ssl_ca_file = "/etc/stomp/ca.pem"
//
//	[contexts.local]
//	host = "localhost"
//	port = 61613
//	user = "guest"
//	password = "guest"   # allowed; the file should then be chmod 600
//	vhost = "/"
//
// `stomp --context prod` uses one, and so does every run without
// --context once `stomp context use prod` wrote `default = "prod"` at the
// top. Fields: host, port, user, password, password_command, vhost, ssl,
// ssl_ca_file, ssl_cert_file, ssl_key_file, url; the separate fields win
// over the parts of url. password_command (e.g. "pass show broker") is run
// by the shell for the password, so none need be stored.
//
// `stomp context add|rm|use` rewrite the file through Save (mode 0600);
// comments in it are not kept. What each `stomp context` subcommand does
// is in manage.go; cmd/context.go only registers them.
package contexts

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Context is one named connection. Empty fields are unset.
type Context struct {
	Host            string `toml:"host,omitempty"`
	Port            Port   `toml:"port,omitempty"`
	User            string `toml:"user,omitempty"`
	Password        string `toml:"password,omitempty"`
	PasswordCommand string `toml:"password_command,omitempty"`
	Vhost           string `toml:"vhost,omitempty"`
	SSL             bool   `toml:"ssl,omitempty"`
	SSLCAFile       string `toml:"ssl_ca_file,omitempty"`
	SSLCertFile     string `toml:"ssl_cert_file,omitempty"`
	SSLKeyFile      string `toml:"ssl_key_file,omitempty"`
	URL             string `toml:"url,omitempty"`
}

// Port accepts a TOML integer or string.
type Port string

// UnmarshalTOML implements toml.Unmarshaler.
func (p *Port) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		*p = Port(strconv.FormatInt(x, 10))
	case string:
		*p = Port(x)
	default:
		return fmt.Errorf("port must be a number, not %T", v)
	}
	return nil
}

// MarshalTOML writes a numeric port as a TOML integer.
func (p Port) MarshalTOML() ([]byte, error) {
	if _, err := strconv.Atoi(string(p)); err == nil {
		return []byte(p), nil
	}
	return []byte(strconv.Quote(string(p))), nil
}

// File is a loaded configuration file.
type File struct {
	Path string `toml:"-"`
	// Default is the context used when none is named (`stomp context use`).
	Default  string             `toml:"default,omitempty"`
	Contexts map[string]Context `toml:"contexts"`
	// Exposed is true when the file holds a password and its permissions
	// let the group or others read it.
	Exposed bool `toml:"-"`
}

// ErrNoFile is returned by Load when the file does not exist.
var ErrNoFile = errors.New("no configuration file")

// Load reads and checks the file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s", ErrNoFile, path)
	}
	if err != nil {
		return nil, err
	}
	f := &File{Path: path}
	md, err := toml.Decode(string(data), f)
	if err != nil {
		// toml's messages quote a line and column, not the file's contents.
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("%s, line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown setting %s (known: default at the top; host, port, user, password, password_command, vhost, ssl, ssl_ca_file, ssl_cert_file, ssl_key_file, url under [contexts.NAME])", path, strings.Join(keys, ", "))
	}
	if f.holdsPassword() {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o044 != 0 {
			f.Exposed = true
		}
	}
	return f, nil
}

func (f *File) holdsPassword() bool {
	for _, c := range f.Contexts {
		if c.Password != "" {
			return true
		}
		if scheme, rest, ok := strings.Cut(c.URL, "://"); ok && scheme != "" {
			if auth, _, _ := strings.Cut(rest, "/"); strings.Contains(auth, "@") && strings.Contains(strings.SplitN(auth, "@", 2)[0], ":") {
				return true
			}
		}
	}
	return false
}

// Names lists the contexts, sorted.
func (f *File) Names() []string {
	return slices.Sorted(maps.Keys(f.Contexts))
}

// Get returns the context called name.
func (f *File) Get(name string) (Context, bool) {
	c, ok := f.Contexts[name]
	return c, ok
}

// Save writes f to its Path, readable by the owner only (0600: a context
// may hold a password), creating the directory (0700) if need be. It writes
// a temporary file and renames it, so a crash leaves the old file whole.
func (f *File) Save() error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".config.toml.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if f.Contexts == nil {
		f.Contexts = map[string]Context{}
	}
	enc := toml.NewEncoder(tmp)
	enc.Indent = ""
	if err := enc.Encode(f); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	f.Exposed = false
	return nil
}

// loadOrEmpty is Load, with an empty file (to be saved at path) when
// there is none yet.
func loadOrEmpty(path string) (*File, error) {
	f, err := Load(path)
	if errors.Is(err, ErrNoFile) {
		return &File{Path: path, Contexts: map[string]Context{}}, nil
	}
	return f, err
}

// validName says whether name can be a context's name: it becomes a TOML
// key and a word on the command line.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
