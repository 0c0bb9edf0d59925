package ptytest

import (
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/testing/testbroker"
	"github.com/stomp-cli/stomp/internal/testing/testenv"
)

// TestShellKeepsGoingAfterBrokerError: on RabbitMQ, `subscribe /bogus/dest`
// gets an ERROR that closes the connection. The shell prints it whole (the
// body says which destinations are valid), reconnects by itself, restores
// the other subscription but not the refused one, and keeps working.
func TestShellKeepsGoingAfterBrokerError(t *testing.T) {
	var rabbit *target
	for _, tg := range targets() {
		if tg.name == testbroker.NameRabbitMQ {
			rabbit = &tg
		}
	}
	if rabbit == nil {
		testenv.Missing(t, "needs RabbitMQ (STOMP_TEST_RABBITMQ)")
	}
	sh := inProcessShell(t, NewEnv(t), *rabbit)
	d := dest(t, *rabbit, "kept")
	sh.subscribe(t, d)
	sh.Line("subscribe /bogus/dest")
	sh.WaitContains("Valid destination types are") // the ERROR's body, not only its message header
	sh.WaitContains("resubscribed to 1 destination(s)")
	sh.WaitPrompt("")
	sh.sendFrom(t, "send "+d+" still-here")
	sh.WaitLine("still-here")
	sh.Line("send " + d + " and-again")
	sh.WaitLine("and-again")
}

// TestShellOutlastsAnOutage: the broker is gone for longer than the old
// three attempts took (~1.5 s). The prompt says disconnected, a command
// that needs the broker says when the next try is, commands that do not
// still work, and once the broker is back `reconnect` connects at once
// with the subscription restored.
func TestShellOutlastsAnOutage(t *testing.T) {
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	host, port, _ := strings.Cut(addr, ":")
	tm := InProcess(t, NewEnv(t), "-H", host, "-P", port, "--reconnect-delay", "500ms", "--reconnect-max-delay", "20s")
	tm.WaitPrompt("")
	tm.Line("subscribe /queue/outage")
	tm.WaitContains("Subscribing to '/queue/outage'")
	b.Close()
	tm.Wait("the disconnected prompt", func(s []string) bool {
		return strings.HasPrefix(lastNonBlank(s), "127.0.0.1 disconnected>")
	})
	time.Sleep(4 * time.Second) // several failed attempts: the back-off reaches seconds
	tm.Line("send /queue/outage hello")
	// Either "next try in Ns" or, when the command lands while an attempt
	// is under way, "trying now"; never the "`connect` to try again" of a
	// shell that has stopped trying.
	screen := tm.Wait("when the next try is", func(s []string) bool {
		all := strings.Join(s, "\n")
		return strings.Contains(all, "not connected (next try in ") || strings.Contains(all, "not connected (trying now)")
	})
	if strings.Contains(strings.Join(screen, "\n"), "to try again") {
		t.Fatalf("the shell says it stopped trying:\n%s", tm.Dump())
	}
	tm.Line("echo still here")
	tm.WaitLine("still here")
	b2, err := broker.Start(broker.Config{Listen: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	tm.Line("reconnect")
	tm.WaitContains("resubscribed to 1 destination(s)")
	tm.Wait("the connected prompt", func(s []string) bool {
		return strings.HasPrefix(lastNonBlank(s), "127.0.0.1 1.2>")
	})
	tm.Line("send /queue/outage back")
	tm.WaitLine("back")
}
