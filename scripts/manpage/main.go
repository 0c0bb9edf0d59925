// Command manpage writes stomp's manual pages, man/stomp.1 and one per
// subcommand (man/stomp-serve.1, ...), from the cobra command tree (every
// flag) and the shell command table (every command): `make man`, or
//
//	go run ./scripts/manpage -out man
//
// The output depends only on the code: the page date is docDate unless
// SOURCE_DATE_EPOCH is set, and no build version appears in it, so a test can
// insist that the committed pages are current.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/stomp-cli/stomp/cmd"
	"github.com/stomp-cli/stomp/commands"
)

// docDate is the date the pages carry. Bump it when the documented
// behaviour changes (the test does not ask for it).
const docDate = "2026-11-23"

// pageDate is docDate, or the UTC day of SOURCE_DATE_EPOCH when it is set
// (https://reproducible-builds.org/specs/source-date-epoch/).
func pageDate(getenv func(string) string) (string, error) {
	v := getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return docDate, nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "", fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", v)
	}
	return time.Unix(secs, 0).UTC().Format(time.DateOnly), nil
}

var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// generate renders the pages for the current code.
func generate(date string) ([]Page, error) {
	return Pages(cmd.CommandTree(), commands.Commands(), date)
}

func main() {
	out := flag.String("out", "man", "directory to write the pages to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "manpage: "+err.Error())
		os.Exit(1)
	}
}

func run(dir string) error {
	date, err := pageDate(os.Getenv)
	if err != nil {
		return err
	}
	if !dateRE.MatchString(date) {
		return fmt.Errorf("page date %q is not YYYY-MM-DD", date)
	}
	pages, err := generate(date)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		if err := os.WriteFile(filepath.Join(dir, p.Name), p.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
