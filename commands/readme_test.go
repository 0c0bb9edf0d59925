package commands

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's table of shell commands from the command table")

const (
	readmeStart = "<!-- shell commands: generated from the command table by go test ./commands -run README -update -->\n"
	readmeEnd   = "<!-- end of shell commands -->\n"
)

// readmeTable is the README's table of shell commands, made from the
// table: the group (on its first row), the usage and aliases, the summary.
func readmeTable() string {
	var b strings.Builder
	b.WriteString(readmeStart)
	b.WriteString("| group | command | what it does |\n|---|---|---|\n")
	group := ""
	for _, s := range Commands().Specs() {
		g := ""
		if s.Group != group {
			group, g = s.Group, s.Group
		}
		cmd := "`" + s.UsageLine() + "`"
		for _, a := range visibleAliases(s) {
			cmd += ", `" + a + "`"
		}
		b.WriteString("| " + g + " | " + strings.ReplaceAll(cmd, "|", `\|`) + " | " + strings.ReplaceAll(s.Summary, "|", `\|`) + " |\n")
	}
	b.WriteString(readmeEnd)
	return b.String()
}

// TestREADMEListsTheCommands: the README's table of shell commands is the
// command table, so a new command needs no hand edit there (go test
// ./commands -run README -update rewrites it).
func TestREADMEListsTheCommands(t *testing.T) {
	path := "../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, readmeStart), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no generated table of shell commands (%q ... %q)", readmeStart, readmeEnd)
	}
	if s[i:j+len(readmeEnd)] == readmeTable() {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(s[:i]+readmeTable()+s[j+len(readmeEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's table of shell commands is not the command table: run go test ./commands -run README -update")
}
