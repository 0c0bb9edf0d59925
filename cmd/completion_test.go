package cmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/iostreams"
)

// runCaptured runs the CLI in-process with args and returns its exit code,
// standard output and standard error.
func runCaptured(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	stdio, out, errOut := iostreams.Test()
	code := Run(context.Background(), args, stdio)
	return code, out.String(), errOut.String()
}

// completionValues are the candidates of a `stomp __complete ...` answer:
// the lines before the ":<directive>" line.
func completionValues(out string) (values []string, directive string) {
	for line := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(line, ":") {
			return values, line
		}
		v, _, _ := strings.Cut(line, "\t") // "value\tdescription"
		values = append(values, v)
	}
	return values, ""
}

func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(sh, func(t *testing.T) {
			code, out, errOut := runCaptured(t, "completion", sh)
			if code != 0 || errOut != "" {
				t.Fatalf("stomp completion %s: exit %d, stderr %q", sh, code, errOut)
			}
			// Every script asks the binary itself for candidates.
			if !strings.Contains(out, "stomp") || !strings.Contains(out, "__complete") {
				t.Fatalf("stomp completion %s does not look like a completion script:\n%.400s", sh, out)
			}
			// Syntax-check with the shell itself when it is installed.
			check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}[sh]
			if check == nil {
				return
			}
			if _, err := exec.LookPath(check[0]); err != nil {
				t.Logf("%s not installed: script syntax not checked", check[0])
				return
			}
			f := filepath.Join(t.TempDir(), "stomp."+sh)
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(check[0], append(check[1:], f)...).CombinedOutput(); err != nil {
				t.Fatalf("%s rejects the completion script: %v\n%s", check[0], err, b)
			}
		})
	}
}

// TestCompletionUnknownShell: a shell stomp has no script for is a usage
// error naming those it has (cobra printed its help and exited 0); no shell
// at all still shows the help.
func TestCompletionUnknownShell(t *testing.T) {
	code, out, errOut := runCaptured(t, "completion", "tcsh")
	if want := "stomp: completion: no script for \"tcsh\": stomp has one for bash, fish, powershell, zsh (stomp completion SHELL)\n"; code != 2 || out != "" || errOut != want {
		t.Errorf("stomp completion tcsh: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, out, errOut, want)
	}
	code, out, errOut = runCaptured(t, "completion")
	if code != 0 || !strings.Contains(out, "Available Commands:") || errOut != "" {
		t.Errorf("stomp completion: exit %d, stdout %q, stderr %q; want its help, exit 0", code, out, errOut)
	}
}

// The bash script is dynamic (it asks `stomp __complete`), so the flags it
// offers are the answers to __complete; the static v1 script names them.
func TestCompletionMentionsFlags(t *testing.T) {
	flags := []string{"--host", "--port", "--user", "--password", "--protocol", "--listen", "--verbose",
		"--file", "--heartbeats", "--ssl", "--ssl-ca-file", "--ssl-cert-file", "--ssl-key-file",
		"--ack", "--embedded", "--count", "--no-history"}

	code, out, _ := runCaptured(t, "__complete", "--")
	if code != 0 {
		t.Fatalf("stomp __complete --: exit %d", code)
	}
	offered, _ := completionValues(out)
	for _, f := range flags {
		if !contains(offered, f) {
			t.Errorf("stomp __complete -- does not offer %s; it offers %v", f, offered)
		}
	}

	root := CommandTree()
	registerCompletions(root)
	var v1 strings.Builder
	if err := root.GenBashCompletion(&v1); err != nil {
		t.Fatal(err)
	}
	for _, f := range flags {
		if !strings.Contains(v1.String(), f) {
			t.Errorf("bash completion does not mention %s", f)
		}
	}
}

// registeredByRoot reports whether newRoot itself calls registerCompletions.
func registeredByRoot() bool {
	_, ok := CommandTree().GetFlagCompletionFunc("protocol")
	return ok
}

func TestFlagValueCompletion(t *testing.T) {
	if !registeredByRoot() {
		t.Skip("newRoot does not call registerCompletions(root) yet: flag values are not completed")
	}
	for _, tc := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"-S", ""}, []string{"1.0", "1.1", "1.2"}, ":4"},
		{[]string{"--protocol", "1.1"}, []string{"1.1"}, ":4"},
		{[]string{"--prot", ""}, []string{"1.0", "1.1", "1.2"}, ":4"}, // abbreviated, as stomp.py allows
		{[]string{"--ack", ""}, []string{"auto", "client", "client-individual"}, ":4"},
		{[]string{"--ack", "client-"}, []string{"client-individual"}, ":4"},
		{[]string{"--heartbeats", ""}, nil, ":4"},
		{[]string{"-F", ""}, nil, ":0"},
		{[]string{"--file", ""}, nil, ":0"},
		{[]string{"--ssl-ca-file", ""}, nil, ":0"},
		{[]string{"--ssl-cert-file", ""}, nil, ":0"},
		{[]string{"--ssl-key-file", ""}, nil, ":0"},
		// A subcommand's own flags complete too, not as file names.
		{[]string{"listen", "--ack", ""}, []string{"auto", "client", "client-individual"}, ":4"},
		{[]string{"listen", "/queue/a", "--ack", "client-"}, []string{"client-individual"}, ":4"},
		{[]string{"listen", "/queue/a", "--format", "j"}, []string{"json"}, ":4"},
		{[]string{"send", "/queue/a", "--file", ""}, nil, ":0"},
	} {
		code, out, errOut := runCaptured(t, append([]string{"__complete"}, tc.args...)...)
		if code != 0 {
			t.Errorf("stomp __complete %q: exit %d, stderr %q", tc.args, code, errOut)
			continue
		}
		got, directive := completionValues(out)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") || directive != tc.directive {
			t.Errorf("stomp __complete %q = %q %s, want %q %s", tc.args, got, directive, tc.want, tc.directive)
		}
	}
}

func TestRegisterCompletionsTwice(t *testing.T) {
	root := CommandTree()
	registerCompletions(root)
	registerCompletions(root) // harmless when newRoot already did it
	for _, fc := range flagCompletions {
		if root.Flag(fc.flag) == nil {
			continue // not (or no longer) a flag: nothing to complete
		}
		if _, ok := root.GetFlagCompletionFunc(fc.flag); !ok {
			t.Errorf("--%s has no completion", fc.flag)
		}
	}
	for _, must := range []string{"protocol", "ack", "file", "heartbeats"} {
		if root.Flag(must) == nil {
			t.Errorf("stomp has no --%s flag any more: update flagCompletions", must)
		}
	}
}

// Subcommands inherit the root's persistent flags, and their completions.
func TestRegisteredCompletionsRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-S", ""}, "1.0 1.1 1.2 :4"},
		{[]string{"--ack", "client-"}, "client-individual :4"},
		{[]string{"--heartbeats", ""}, ":4"},
		{[]string{"-F", ""}, ":0"},
		{[]string{"--ssl-key-file", ""}, ":0"},
		{[]string{"serve", "-S", ""}, "1.0 1.1 1.2 :4"},
	} {
		root := CommandTree()
		registerCompletions(root)
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs(expandPrefixes(root, append([]string{"__complete"}, tc.args...)))
		if err := root.Execute(); err != nil {
			t.Fatalf("__complete %q: %v", tc.args, err)
		}
		values, directive := completionValues(out.String())
		if got := strings.TrimSpace(strings.Join(values, " ") + " " + directive); got != tc.want {
			t.Errorf("__complete %q = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
