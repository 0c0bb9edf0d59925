package corpus

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/commands"
)

// Improvement is a difference between stomp.py and stomp that is intended: what turns
// stomp.py's results into stomp's. Everything else must be the same.
type Improvement struct {
	ID  string
	Doc string // the README's line for it
	// Always: every stomp.py run shows it; otherwise scripts declare it in the manifest.
	Always bool
	// Stdout rewrites stomp.py's standard output as stomp prints it; StompStdout rewrites
	// stomp's, for what stomp adds.
	Stdout, StompStdout func(string) string
	// Bodies maps a message body as stomp.py sends it to stomp's (printed and on the broker).
	Bodies map[string]string
	// Stderr matches the lines stomp may write on standard error for it, StompPyStderr
	// those stomp.py may.
	Stderr, StompPyStderr *regexp.Regexp
	// ExitNonZero: stomp exits non-zero.
	ExitNonZero bool
}

var (
	redLineRE      = regexp.MustCompile("(?m)^(?:> )*\x1b\\[1m\x1b\\[31m.*\x1b\\[0m\n")
	commentRE      = regexp.MustCompile("(?m)^(?:> )*\x1b\\[1m\x1b\\[31mUnknown command: #.*\x1b\\[0m\n")
	savedFileRE    = regexp.MustCompile(`(?m)^Saved file: files/(.+?)\.1[0-9]{9}$`)
	stompVersionRE = regexp.MustCompile(`(?m)^stomp \S+ (\[Protocol version [0-9.]+\])$`)
	rabbitErrorRE  = regexp.MustCompile("(?m)^(?:> )*(?:NOT_FOUND - no exchange .*|\x1b\\[1m\x1b\\[31mlost connection\x1b\\[0m)\n")
	// pyTracebackRE is Python's report of an exception, as stomp.py's logging writes it.
	pyTracebackRE = regexp.MustCompile(`^(Error sending frame|Traceback \(most recent call last\):|  .*|[A-Za-z.]*(Error|Exception): .*)$`)
	receiptLineRE = regexp.MustCompile(`(?m)^Receipt: \S+\n`)
	versionRE     = regexp.MustCompile("(?m)^(?:> )*\x1b\\[1m[0-9.]+ (\\[Protocol version [0-9.]+\\])\x1b\\[0m$")
	heartbeatsRE  = regexp.MustCompile(`(?m)^((?:> )*Heartbeats received: )[0-9]+$`)
	// stomp.py's help: Python cmd's table of names, and one command's page (coloured
	// headings, tab-indented, ending in a line of eight spaces).
	helpListRE = regexp.MustCompile(`(?m)^(?:> )*Documented commands \(type help <topic>\):\n=+\n(?:.*\S.*\n)+`)
	helpPageRE = regexp.MustCompile("(?ms)^(?:> )*\x1b\\[1m\x1b\\[32mUsage:\x1b\\[0m\n.*?^ {8}\n")
)

// withoutStompHelp takes out of stomp's output every text its help prints.
func withoutStompHelp(s string) string {
	table := commands.Commands()
	for _, spec := range table.Specs() {
		if page, err := table.Help(spec.Name); err == nil {
			s = strings.ReplaceAll(s, page, "<help>\n")
		}
	}
	list, _ := table.Help("")
	return strings.ReplaceAll(s, list, "<help>\n")
}

// Improvements is the table the README's compatibility section is made from.
var Improvements = []Improvement{
	{ID: "prompt", Always: true,
		Doc:    "A script's output has no prompt: stomp.py prints its `> ` prompt again after each message and receipt it shows.",
		Stdout: func(s string) string { return promptRE.ReplaceAllString(s, "") }},
	{ID: "blank-frames", Always: true,
		Doc: "Frames that have nothing to show print nothing: stomp.py prints the CONNECTED frame and each RECEIPT as blank lines (blank lines are compared only in the layout of a message: a blank line, `message-id`, `subscription`, a blank line, the body, as stomp.py prints it)."},
	{ID: "heart-beats", Always: true,
		Doc:         "stomp asks the broker for heart-beats (`--heartbeats`, 10 s each way), so a broker gone silent counts as a lost connection, and `stats` counts the heart-beats that came: stomp.py's client asks for none (its `--heartbeats` is `0,0` unless given), so its count stays 0.",
		Stdout:      func(s string) string { return heartbeatsRE.ReplaceAllString(s, "${1}<n>") },
		StompStdout: func(s string) string { return heartbeatsRE.ReplaceAllString(s, "${1}<n>") }},
	{ID: "help-text",
		Doc: "`help` lists stomp's commands by group, a line each, and `help CMD` (or `?CMD`) shows stomp.py's sections (Usage, Required and Optional Parameters, Description) uncoloured, with an Example: stomp.py lists Python cmd's table of names.",
		Stdout: func(s string) string {
			return helpPageRE.ReplaceAllString(helpListRE.ReplaceAllString(s, "<help>\n"), "<help>\n")
		},
		StompStdout: withoutStompHelp},
	{ID: "comments",
		Doc:    "Lines starting with `#` are comments: stomp.py answers each with `Unknown command: #`.",
		Stdout: func(s string) string { return commentRE.ReplaceAllString(s, "") }},
	{ID: "errors-on-stderr", Stderr: regexp.MustCompile(`^stomp: standard input, line [0-9]+: `),
		Doc:    "Errors go to standard error, one line saying what to do: stomp.py prints them in red on standard output.",
		Stdout: func(s string) string { return redLineRE.ReplaceAllString(s, "") }},
	{ID: "stops-at-error", Stderr: regexp.MustCompile(`^stomp: standard input, line [0-9]+: `), ExitNonZero: true,
		Doc: "A script stops at its first failing line and exits non-zero with that line's code (1, 2 for a usage error, 3 for a `wait` that ran out; `FILE, line N: ...`): stomp.py goes on with the next line and exits 0."},
	{ID: "extra-words-warning", Stderr: regexp.MustCompile(`^warning: [a-z]+: ignored the extra words ".*"( \(.*\))?, as stomp.py does$`),
		Doc: "Words a command does not take are ignored as stomp.py ignores them, with a warning on standard error (`begin mytx`, `unsubscribe Q now`; `sendfile Q FILE headers.json extra` sends the file without the headers, as stomp.py does, and says so)."},
	{ID: "quoted-message",
		Doc: "A whole message quoted, with whitespace inside, keeps its spaces and loses its quotes: `send Q \"two  spaces\"` sends `two  spaces`, where stomp.py sends `\"two spaces\"`. Every other quote is sent as typed, as stomp.py sends it.",
		Bodies: map[string]string{
			`"two spaces"`:                "two  spaces",
			`'single quoted, two spaces'`: "single  quoted,  two spaces",
			`"keep the gap: a b"`:         "keep the gap:   a   b",
			`'quoted start and end'`:      "quoted start and end",
			`"C:\Program Files\app"`:      `C:\Program Files\app`,
		}},
	{ID: "saved-file-basename",
		Doc:    "A received file is saved under its base name in the working directory (or `--save-dir`), never where the sender's path points: stomp.py writes to the path as sent (`files/x.bin`, or anywhere).",
		Stdout: func(s string) string { return savedFileRE.ReplaceAllString(s, "Saved file: $1") }},
	{ID: "version-name",
		Doc:         "`version` names the client it is (`stomp v1.2.3 [Protocol version 1.1]`), not stomp.py's library version (`8.0.0 [Protocol version 1.1]`).",
		Stdout:      func(s string) string { return versionRE.ReplaceAllString(s, "<client version> $1") },
		StompStdout: func(s string) string { return stompVersionRE.ReplaceAllString(s, "<client version> $1") }},
	{ID: "receipt-shown",
		Doc:         "A receipt stomp did not wait for (`sendrec` in a transaction, which RabbitMQ confirms at commit) is shown as `Receipt: ID`: stomp.py shows blank lines.",
		StompStdout: func(s string) string { return receiptLineRE.ReplaceAllString(s, "") }},
	{ID: "client-individual-1.0", Stderr: regexp.MustCompile(`^warning: client-individual is a STOMP 1.1 ack mode and this connection uses 1.0`),
		Doc: "`client-individual` under `-S 1.0` is sent as stomp.py sends it (RabbitMQ and ActiveMQ honour it), with a warning that it is a STOMP 1.1 mode."},
	// Not run by the corpus: at 1.2 a stomp.py script cannot ack what ActiveMQ shows it (the ack
	// id is printed only with -V; RabbitMQ's is the message-id), so the ack scripts run at 1.0
	// and 1.1, and at 1.2 on RabbitMQ only (manifest only=1.0,1.1,rabbitmq-1.2).
	{ID: "ack-message-id",
		Doc: "`ack` and `nack` take the `message-id` a message was shown with in every STOMP version: under 1.2 stomp.py wants the `ack` header's value, which it shows only with `-V` (ActiveMQ answers its ACK with `Unexpected ACK received for message-id [null]`)."},
	{ID: "failed-send-exits-nonzero", Stderr: regexp.MustCompile(`.`), StompPyStderr: pyTracebackRE, ExitNonZero: true,
		Doc:    "A message the broker did not take (RabbitMQ: `send /exchange/<missing>/rk x`) makes the script exit non-zero, with the broker's error on standard error: stomp.py prints the error on standard output (when it arrives before it exits) and exits 0, and when RabbitMQ has closed the connection before its next line it prints `lost connection`, may log a Python traceback, and stops there.",
		Stdout: func(s string) string { return rabbitErrorRE.ReplaceAllString(s, "") }},
}

var (
	improvementByID = map[string]Improvement{}
	alwaysIDs       []string
)

func init() {
	for _, imp := range Improvements {
		improvementByID[imp.ID] = imp
		if imp.Always {
			alwaysIDs = append(alwaysIDs, imp.ID)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the README's list of improvements from the table")

const (
	readmeStart = "<!-- corpus improvements: generated from internal/testing/corpus/improvements_test.go by go test ./internal/testing/corpus -update -->\n"
	readmeEnd   = "<!-- end of corpus improvements -->\n"
)

// readmeSection is the README's list of intended differences, made from the table.
func readmeSection() string {
	var b strings.Builder
	b.WriteString(readmeStart)
	for _, imp := range Improvements {
		b.WriteString("- " + imp.Doc + "\n")
	}
	b.WriteString(readmeEnd)
	return b.String()
}

// TestREADMEListsTheImprovements: the README's compatibility section is the table, word for word.
func TestREADMEListsTheImprovements(t *testing.T) {
	path := "../../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, readmeStart), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no generated improvements section (%q ... %q)", readmeStart, readmeEnd)
	}
	got := s[i : j+len(readmeEnd)]
	if got == readmeSection() {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i]+readmeSection()+s[j+len(readmeEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's improvements differ from internal/testing/corpus/improvements_test.go: run go test ./internal/testing/corpus -run README -update\nREADME:\n%s\ntable:\n%s", got, readmeSection())
}
