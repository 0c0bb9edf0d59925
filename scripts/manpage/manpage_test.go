package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/commands"
)

// manDir is the repository's man/, where `make man` writes.
const manDir = "../../man"

// pages generates the pages as `make man` does without SOURCE_DATE_EPOCH.
func pages(t *testing.T) []Page {
	t.Helper()
	p, err := generate(docDate)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func page(t *testing.T, name string) string {
	t.Helper()
	for _, p := range pages(t) {
		if p.Name == name {
			return string(p.Content)
		}
	}
	t.Fatalf("no page %s", name)
	return ""
}

func TestManPagesUpToDate(t *testing.T) {
	want := map[string]bool{}
	for _, p := range pages(t) {
		want[p.Name] = true
		got, err := os.ReadFile(filepath.Join(manDir, p.Name))
		if err != nil {
			t.Errorf("man page is stale: run make man (%v)", err)
			continue
		}
		if !bytes.Equal(got, p.Content) {
			t.Errorf("man page is stale: run make man (man/%s differs from what scripts/manpage generates%s)",
				p.Name, firstDifference(string(got), string(p.Content)))
		}
	}
	committed, _ := filepath.Glob(filepath.Join(manDir, "*.1"))
	for _, f := range committed {
		if !want[filepath.Base(f)] {
			t.Errorf("man page is stale: run make man and remove man/%s, which is no longer generated", filepath.Base(f))
		}
	}
}

func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "; first at line " + strconv.Itoa(i+1) + ":\n  committed: " + x + "\n  generated: " + y
		}
	}
	return ""
}

func TestDeterministic(t *testing.T) {
	a, b := pages(t), pages(t)
	if !slices.EqualFunc(a, b, func(x, y Page) bool { return x.Name == y.Name && bytes.Equal(x.Content, y.Content) }) {
		t.Fatal("two generations differ")
	}
	// No build version or build time: the .TH line is fixed.
	if th := ".TH STOMP 1 " + docDate + " stomp \"User Commands\"\n"; !strings.Contains(string(a[0].Content), th) {
		t.Errorf("stomp.1 has no %q", th)
	}
}

// roffName is how a flag or command appears in the page source.
func roffName(s string) string { return esc(s) }

func TestStompPageCoversEverything(t *testing.T) {
	src := page(t, "stomp.1")
	root := cmd.CommandTree()
	root.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if !strings.Contains(src, `\fB`+roffName("--"+f.Name)+`\fR`) {
			t.Errorf("stomp.1 does not document --%s", f.Name)
		}
		if f.Shorthand != "" && !strings.Contains(src, `\fB`+roffName("-"+f.Shorthand)+`\fR, \fB`+roffName("--"+f.Name)) {
			t.Errorf("stomp.1 does not give -%s for --%s", f.Shorthand, f.Name)
		}
	})
	for _, s := range commands.Commands().Specs() {
		if !strings.Contains(src, "\n"+usage(s.Name, s.Usage, argNames(s))+"\n") {
			t.Errorf("stomp.1 has no entry for the shell command %q", s.UsageLine())
		}
		if !strings.Contains(src, esc(sentence(upperFirst(s.Summary)))) {
			t.Errorf("stomp.1 lacks the summary of %s", s.Name)
		}
	}
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if !strings.Contains(src, ".SS "+quoteArg(esc(c.CommandPath()))) {
			t.Errorf("stomp.1 has no COMMANDS entry for %s", c.CommandPath())
		}
	}
	for _, want := range []string{
		".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH MODES", ".SH OPTIONS", ".SH COMMANDS",
		`.SH "SHELL COMMANDS"`, ".SH ENVIRONMENT", ".SH FILES", `.SH "EXIT STATUS"`, ".SH EXAMPLES", `.SH "SEE ALSO"`,
		`\fBSTOMP_HOST\fR`, `\fBSTOMP_PORT\fR`, `\fBSTOMP_USER\fR`, `\fBSTOMP_PASSWORD\fR`, `\fBNO_COLOR\fR`,
		`\fBXDG_STATE_HOME\fR`, `\fI$XDG_STATE_HOME/stomp/history\fR`,
		"\n.TP\n\\fB0\\fR\n", "\n.TP\n\\fB1\\fR\n", "\n.TP\n\\fB2\\fR\n", "\n.TP\n\\fB130\\fR\n",
		"unreachable", "refused", "ERROR frame", "connection was lost", "script line",
		`\fBstomp \-\-embedded\fR`, `\fB\-F\fR`, `\fB\-L\fR`, `\fBstomp\-serve\fR(1)`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("stomp.1 lacks %q", want)
		}
	}
}

func argNames(s *commands.Spec) []string {
	var out []string
	for _, a := range s.Args {
		out = append(out, a.Name)
	}
	return out
}

func quoteArg(a string) string {
	if strings.ContainsAny(a, ` "`) {
		return `"` + a + `"`
	}
	return a
}

func TestServePage(t *testing.T) {
	src := page(t, "stomp-serve.1")
	for _, want := range []string{".TH STOMP\\-SERVE 1", `\fB\-\-listen\fR`, `\fB\-U\fR, \fB\-\-user\fR`, `\fBstomp\fR(1)`} {
		if !strings.Contains(src, want) {
			t.Errorf("stomp-serve.1 lacks %q", want)
		}
	}
}

// TestEverySubcommandHasAPage: nested subcommands (stomp bench report,
// stomp context add) get a page as their parents do, the parent lists them,
// and no page offers a root flag the command refuses.
func TestEverySubcommandHasAPage(t *testing.T) {
	root := cmd.CommandTree()
	names := map[string]string{}
	for _, p := range pages(t) {
		names[p.Name] = string(p.Content)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden || s.Name() == "help" || s.Name() == "completion" {
				continue
			}
			name := pageName(s)
			if _, ok := names[name+".1"]; !ok {
				t.Errorf("%s has no page %s.1", s.CommandPath(), name)
			}
			if c != root && !strings.Contains(names[pageName(c)+".1"], `\fB`+esc(name)+`\fR(1)`) {
				t.Errorf("%s.1 does not point to %s(1)", pageName(c), name)
			}
			walk(s)
		}
	}
	walk(root)
	report := page(t, "stomp-bench-report.1")
	if strings.Contains(report, "It also accepts") {
		t.Errorf("stomp-bench-report.1 offers root flags stomp bench report refuses")
	}
	if bench := page(t, "stomp-bench.1"); strings.Contains(bench, `\fB\-\-format\fR`) || !strings.Contains(bench, `\fB\-\-ssl\-ca\-file\fR`) {
		t.Errorf("stomp-bench.1 should offer the connection flags and not --format")
	}
}

// groff (when installed) must read every page without a warning.
func TestGroffWarnings(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed: pages not checked for warnings")
	}
	for _, p := range pages(t) {
		c := exec.Command(groff, "-man", "-ww", "-z", "-rLL=80n")
		c.Stdin = bytes.NewReader(p.Content)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("groff -man -ww on %s: %v\n%s", p.Name, err, stderr.String())
		}
	}
}

func TestNoMarkupLeaks(t *testing.T) {
	for _, p := range pages(t) {
		for i, l := range strings.Split(strings.TrimSuffix(string(p.Content), "\n"), "\n") {
			switch {
			case strings.HasPrefix(l, "'"):
				t.Errorf("%s:%d: a line starting with ' is a control line: %q", p.Name, i+1, l)
			case l == "":
				t.Errorf("%s:%d: blank line", p.Name, i+1)
			case strings.Contains(l, "`"):
				t.Errorf("%s:%d: a backquote left from the markup: %q", p.Name, i+1, l)
			}
		}
	}
}

func TestPageDate(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if d, err := pageDate(getenv); err != nil || d != docDate {
		t.Errorf("pageDate() = %q, %v; want %s", d, err, docDate)
	}
	env["SOURCE_DATE_EPOCH"] = "1700000000"
	if d, err := pageDate(getenv); err != nil || d != "2023-11-14" {
		t.Errorf("pageDate(SOURCE_DATE_EPOCH=1700000000) = %q, %v; want 2023-11-14", d, err)
	}
	env["SOURCE_DATE_EPOCH"] = "yesterday"
	if _, err := pageDate(getenv); err == nil {
		t.Error("a non-numeric SOURCE_DATE_EPOCH was accepted")
	}
}

func TestEscaping(t *testing.T) {
	for in, want := range map[string]string{
		`a\b`:                `a\eb`,
		"--host":             `\-\-host`,
		"caf\u00e9":          `caf\[u00E9]`,
		"tab\there":          "tab here",
		"\u201cquoted\u201d": `"quoted"`,
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
	r := &roff{}
	r.text(".starts with a dot\n\n'and a quote")
	if got := r.b.String(); got != "\\&.starts with a dot\n.PP\n\\&'and a quote\n" {
		t.Errorf("text() = %q", got)
	}
	if got := usage("send", "[--header key=value]... <destination> <message>", []string{"destination", "message"}); got !=
		`\fBsend\fR [\fB\-\-header\fR \fIkey\fR=\fIvalue\fR]... \fIdestination\fR \fImessage\fR` {
		t.Errorf("usage(send) = %q", got)
	}
	if got := usage("stats", "[on|off]", []string{"on|off"}); got != `\fBstats\fR [\fBon\fR|\fBoff\fR]` {
		t.Errorf("usage(stats) = %q", got)
	}
}
