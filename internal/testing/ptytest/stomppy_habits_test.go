package ptytest

import (
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/testing/testbroker"
)

// TestShellShowsRedelivery: in the shell a message the broker redelivers
// says so under its subscription line, so the person at the terminal knows
// it may be a duplicate (scripts and -L keep stomp.py's layout instead; see
// cmd/testdata/script/received_files.txtar). A NACKed message comes back at
// once from RabbitMQ and the embedded broker; ActiveMQ dead-letters it.
func TestShellShowsRedelivery(t *testing.T) {
	for _, tg := range targets() {
		if tg.name == testbroker.NameActiveMQ {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			sh := inProcessShell(t, NewEnv(t), tg)
			d := dest(t, tg, "redelivered")
			sh.Line("subscribe " + d + " client-individual")
			sh.WaitContains("Subscribing to '" + d + "'")
			sh.sendFrom(t, "send "+d+" deliver me twice")
			sh.WaitScrollback("[1]")
			sh.Line("nack 1")
			sh.WaitScrollback("[2]")
			sh.Line("ack 2")
			sh.WaitPrompt("")
			all := sh.All()
			first := all[strings.Index(all, "[1]"):strings.Index(all, "[2]")]
			second := all[strings.Index(all, "[2]"):]
			if strings.Contains(first, "redelivered") {
				t.Errorf("the first delivery is marked redelivered:\n%s", first)
			}
			if !strings.Contains(second, "subscription: 1\nredelivered: true\n\ndeliver me twice\n") {
				t.Errorf("the redelivery is not marked under its subscription line:\n%s", sh.Dump())
			}
		})
	}
}

// TestShellKeepsQuotesAsTyped: a JSON body typed at the prompt arrives as
// typed, quotes and all, as stomp.py sends it; only a whole message quoted
// with whitespace inside loses its quotes. Words a command does not take are
// ignored with a warning.
func TestShellKeepsQuotesAsTyped(t *testing.T) {
	sh := inProcessShell(t, NewEnv(t), target{name: testbroker.NameEmbedded})
	sh.Line("subscribe /queue/q auto   # typed by hand")
	sh.WaitContains(`warning: subscribe: ignored the extra words "# typed by hand", as stomp.py does`)
	sh.Line(`send /queue/q {"order": 42, "note": "two words"}`)
	// The shell shows a JSON body indented, which it can only do when the
	// quotes arrived: the line is proof they were kept.
	sh.WaitScrollback(`  "note": "two words"`)
	sh.Line(`send /queue/q it's a 'test' message`)
	sh.WaitScrollback(`it's a 'test' message`)
	sh.Line(`send /queue/q "two  spaces"`)
	sh.WaitScrollback(`two  spaces`)
	sh.WaitPrompt("")
}
