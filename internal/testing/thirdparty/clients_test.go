package thirdparty

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// The scenario every program in testdata/ runs on one connection, with queues PREFIX-a and
// PREFIX-b, printing one transcript line per event in the order the library reports them:
//
//	CONNECTED
//	SEND one, SEND two to -a, each with a receipt       RECEIPT send-1, RECEIPT send-2
//	SUBSCRIBE -a client-individual, with a receipt      RECEIPT sub-a, MESSAGE one, MESSAGE two
//	BEGIN, ACK one in it, ABORT (one stays unacked)
//	NACK two, wait 1.5s for its redelivery              MESSAGE two redelivered
//	ACK the redelivery with a receipt                   RECEIPT ack-again
//	UNSUBSCRIBE with a receipt                          RECEIPT unsub-a
//	SUBSCRIBE -a again (its ACK was aborted, so one     RECEIPT sub-c, MESSAGE one redelivered
//	  comes back), BEGIN, ACK one in it, COMMIT
//	UNSUBSCRIBE with a receipt                          RECEIPT unsub-c
//	SEND end to -a with a receipt                       RECEIPT send-end
//	SUBSCRIBE -a auto, with a receipt                   RECEIPT sub-d, MESSAGE end
//	BEGIN, SEND tx-committed to -b, COMMIT; BEGIN, SEND tx-aborted, ABORT;
//	SEND after with a receipt                           RECEIPT send-after
//	SUBSCRIBE -b auto, with a receipt                   RECEIPT sub-b, MESSAGE tx-committed, MESSAGE after
//	DISCONNECT with a receipt                           RECEIPT disconnect
//	DONE
//
// A wait that ends without what it waited for prints TIMEOUT. The receipt of a SUBSCRIBE comes
// before the messages already waiting in the queue, as RabbitMQ and ActiveMQ send them: clients
// such as PHP's extension drop whatever arrives before the receipt they wait for. A leak shows
// as an extra line: "one" before "end" if the committed ACK was lost, "tx-aborted" before "after"
// if the ABORT was not.

// client is one third-party library and how to run its program.
type client struct {
	name string
	// ws: the library also speaks STOMP over WebSocket, so it runs against the ws:// listeners too.
	ws bool
	// noDisconnectReceipt: the library cannot ask for a receipt on DISCONNECT (its transcript has
	// no "RECEIPT disconnect").
	noDisconnectReceipt bool
	// missing says why the library cannot run here and how to install it; "" when it can.
	missing func() string
	// command is the program and its arguments for a run against tg with queue prefix prefix.
	command func(tg target, prefix string) []string
}

// hostPortArgs are the arguments of the programs that take HOST PORT LOGIN PASSCODE PREFIX.
func hostPortArgs(tg target, prefix string) []string {
	return []string{tg.host, tg.port, tg.login, tg.passcode, prefix}
}

// probe runs a command that checks a library is installed; the result is why it is not, or "".
func probe(install string, name string, args ...string) func() string {
	return func() string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("%s %s failed (%v: %s): install with %s", name, strings.Join(args, " "), err, lastLine(string(out)), install)
		}
		return ""
	}
}

var clients = []client{
	{
		name:    "stomp.py",
		missing: probe("apt-get install python3-stomp", "/usr/bin/python3", "-c", "import stomp"),
		command: func(tg target, prefix string) []string {
			return append([]string{"/usr/bin/python3", filepath.Join(testdataDir, "client.py")}, hostPortArgs(tg, prefix)...)
		},
	},
	{
		name:    "ruby-stomp",
		missing: probe("apt-get install ruby-stomp", "ruby", "-e", "require 'stomp'"),
		command: func(tg target, prefix string) []string {
			return append([]string{"ruby", filepath.Join(testdataDir, "client.rb")}, hostPortArgs(tg, prefix)...)
		},
	},
	{
		name:    "perl-Net-Stomp",
		missing: probe("apt-get install libnet-stomp-perl", "perl", "-MNet::Stomp", "-e", "1"),
		command: func(tg target, prefix string) []string {
			return append([]string{"perl", filepath.Join(testdataDir, "client.pl")}, hostPortArgs(tg, prefix)...)
		},
	},
	{
		name:                "php-stomp",
		noDisconnectReceipt: true, // no disconnect call: its destructor sends a plain DISCONNECT
		missing:             probe("apt-get install php-cli php-stomp", "php", "-r", `exit(class_exists("Stomp") ? 0 : 1);`),
		command: func(tg target, prefix string) []string {
			return append([]string{"php", filepath.Join(testdataDir, "client.php")}, hostPortArgs(tg, prefix)...)
		},
	},
	{
		name:    "stompjs",
		ws:      true,
		missing: missingNodeModules,
		command: func(tg target, prefix string) []string {
			return []string{"node", filepath.Join(testdataDir, "client.mjs"), tg.url, tg.login, tg.passcode, prefix}
		},
	},
}

// missingNodeModules says why the npm clients cannot run: no node, or `npm ci` not run.
func missingNodeModules() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed (apt-get install nodejs npm)"
	}
	for _, m := range []string{"@stomp/stompjs", "@stomp/tcp-wrapper", "ws"} {
		if _, err := os.Stat(filepath.Join(testdataDir, "node_modules", m, "package.json")); err != nil {
			return fmt.Sprintf("npm package %s is not installed: run npm ci in internal/testing/thirdparty/testdata", m)
		}
	}
	return ""
}

// target is one broker listener a client runs against.
type target struct {
	name            string // subtest name: serve, serve-ws, rabbitmq, rabbitmq-ws, activemq
	url             string // tcp://host:port or ws://host:port/path
	host, port      string
	login, passcode string
	cli             []string // our CLI's connection flags for the same broker
	// The differences of the real brokers, recorded so the suite shows them. stomp serve has none (see knownIssues for what it still gets wrong).
	// ActiveMQ dead-letters a NACKed message (persistent) or drops it, and never redelivers it.
	nackNeverRedelivers bool
	// RabbitMQ keeps the unacked messages of an UNSUBSCRIBEd subscription with the connection
	// until it closes, rather than giving them to the next subscriber.
	unsubscribeKeepsUnacked bool
	// RabbitMQ's web-stomp closes the WebSocket on DISCONNECT without the RECEIPT asked for.
	noDisconnectReceipt bool
}

// targets are the listeners to run against: `stomp serve` first, then the real brokers configured
// (STOMP_TEST_RABBITMQ, STOMP_TEST_ACTIVEMQ, STOMP_TEST_RABBITMQ_WS); only the WebSocket ones
// when ws, only the TCP ones otherwise.
func targets(t *testing.T, ws bool) []target {
	s := broker(t)
	var ts []target
	if ws {
		// Our CLI reaches stomp serve through its TCP listener, so a browser test crosses transports.
		ts = append(ts, target{name: "serve-ws", url: s.ws, cli: []string{"-H", s.tcp}})
		if u := os.Getenv("STOMP_TEST_RABBITMQ_WS"); u != "" {
			ts = append(ts, target{name: "rabbitmq-ws", url: u, login: "guest", passcode: "guest",
				unsubscribeKeepsUnacked: true, noDisconnectReceipt: true, cli: []string{"-H", u, "-U", "guest", "-W", "guest"}})
		}
		return ts
	}
	host, port, _ := net.SplitHostPort(s.tcp)
	ts = append(ts, target{name: "serve", url: "tcp://" + s.tcp, host: host, port: port, cli: []string{"-H", s.tcp}})
	for _, r := range testbroker.Real() {
		ts = append(ts, target{
			name: r.Name, url: "tcp://" + r.Addr(), host: r.Host, port: r.Port, login: r.Login, passcode: r.Passcode,
			nackNeverRedelivers:     r.Name == testbroker.NameActiveMQ,
			unsubscribeKeepsUnacked: r.Name == testbroker.NameRabbitMQ,
			cli:                     []string{"-H", r.Addr(), "-U", r.Login, "-W", r.Passcode},
		})
	}
	return ts
}

// expected is the transcript of the scenario for c against tg.
func expected(c client, tg target) []string {
	want := []string{"CONNECTED", "RECEIPT send-1", "RECEIPT send-2", "RECEIPT sub-a", "MESSAGE one", "MESSAGE two"}
	if tg.nackNeverRedelivers {
		want = append(want, "TIMEOUT")
	} else {
		want = append(want, "MESSAGE two redelivered", "RECEIPT ack-again")
	}
	want = append(want, "RECEIPT unsub-a", "RECEIPT sub-c")
	if tg.unsubscribeKeepsUnacked {
		want = append(want, "TIMEOUT")
	} else {
		want = append(want, "MESSAGE one redelivered")
	}
	want = append(want, "RECEIPT unsub-c", "RECEIPT send-end", "RECEIPT sub-d", "MESSAGE end",
		"RECEIPT send-after", "RECEIPT sub-b", "MESSAGE tx-committed", "MESSAGE after")
	if !c.noDisconnectReceipt && !tg.noDisconnectReceipt {
		want = append(want, "RECEIPT disconnect")
	}
	return append(want, "DONE")
}

// TestClients runs each library's program against every target and compares its transcript with
// the expected one: the same for every broker except where a difference is recorded in target.
func TestClients(t *testing.T) {
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			requireTool(t, c.missing())
			tgs := targets(t, false)
			if c.ws {
				tgs = append(tgs, targets(t, true)...)
			}
			for _, tg := range tgs {
				t.Run(tg.name, func(t *testing.T) { runClient(t, c, tg) })
			}
		})
	}
}

// knownIssues are differences of stomp serve that the suite found and that are not fixed yet, by
// client/target. While such a run fails it is skipped with the issue; once it passes it fails, so
// the entry goes with the fix.
var knownIssues = map[string]string{}

// runClient runs c's program against tg and checks its transcript and exit status.
func runClient(t *testing.T, c client, tg target) {
	prefix := strings.TrimPrefix(testbroker.Unique(t, "/queue/"), "/queue/")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := c.command(tg, prefix)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = testdataDir
	cmd.Env = cleanEnv()
	var stdout, stderr testbin.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	got := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	want := expected(c, tg)
	ok := err == nil && strings.Join(got, "\n") == strings.Join(want, "\n")
	if issue := knownIssues[c.name+"/"+tg.name]; issue != "" {
		if ok {
			t.Fatalf("known issue fixed, remove it from knownIssues: %s", issue)
		}
		t.Skipf("known issue: %s\n%s", issue, sideBySide(got, want))
	}
	if !ok {
		t.Errorf("%s against %s (%s): exit %v after %v\n%s\nstderr:\n%s", c.name, tg.name, tg.url, err,
			time.Since(start).Round(time.Millisecond), sideBySide(got, want), stderr.String())
	}
}

// sideBySide shows a transcript next to the expected one, marking the lines that differ.
func sideBySide(got, want []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-32s %s\n", "got", "want")
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := " "
		if g != w {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %-32q %q\n", mark, g, w)
	}
	return b.String()
}
