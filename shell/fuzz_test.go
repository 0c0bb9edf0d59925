package shell

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/broker"
	"github.com/stomp-cli/stomp/internal/render"
	"github.com/stomp-cli/stomp/internal/stomp/client"
	"github.com/stomp-cli/stomp/internal/stomp/session"
)

var scriptSeeds = []string{
	"",
	"echo one\n\n# comment\nnosuch thing\necho two\n",
	"subscribe /queue/a client-individual\nsend /queue/a hello\nwait 1 200ms\nack 1\n",
	"subscribe /queue/a client\nsend /queue/a \"two  spaces\"\nwait 1 200ms\nnack x\nunsubscribe /queue/a\n",
	"begin\nsend /queue/t in tx\nsendrec /queue/t rec\ncommit\nbegin\nabort\nrollback\ncommit\n",
	"send --header a=b --header=c=d /queue/h body\nsend --header /q\nsend --header =x /q b\n",
	"sendreply /queue/r corr reply\nsendfile /queue/f nosuchfile\nsendfile /queue/f fuzz_test.go\n",
	"stats on\nsend /queue/s x\nstats\nstats off\nstats\nstats sideways\n",
	"help\nhelp send\n?send\nhelp nosuch\nversion\nver\n",
	"sleep 1ms\nsleep -1s\nsleep x\nwait x\nwait 1 0s\nwait 99999999999999999999\n",
	"subscribe /topic/t\nsubscribe /topic/t\nunsubscribe /topic/t\nunsubscribe /topic/t\nunsubscribe\n",
	"send \"unterminated\nsend '\nsend /q \"\\\n\"\"\n''\n",
	"run\nrun nosuchfile\nrun .\nquit\necho after quit\n",
	"ack\nnack\nack 1 2 3\nbegin\nbegin\n",
	"send /queue/a " + strings.Repeat("x", 10000) + "\n",
	"subscribe /queue/a auto\n" + strings.Repeat("send /queue/a m\n", 50) + "wait 50 300ms\n",
	"exit\n",
	"EOF\n",
	"\r\n\t\v\f\u00a0\u0085 \n",
	"send\x00/q\n",
	"subscribe /queue/f\nsendfile /queue/f fuzz_test.go\nwait 1 200ms\n",
}

// FuzzScript runs fuzzed script text through the shell loop against an
// embedded broker: it must never panic and must stop in bounded time with
// an error of the documented kind.
func FuzzScript(f *testing.F) {
	for _, s := range scriptSeeds {
		f.Add(s, true, false)
		f.Add(s, false, false)
	}
	f.Add("nosuch\necho on\nnosuch\n", true, true)
	f.Fuzz(func(t *testing.T, text string, script, continueOnError bool) {
		// Device and kernel files could block or never end (run /dev/stdin).
		for _, bad := range []string{"/dev", "/proc", "/sys"} {
			if strings.Contains(text, bad) {
				t.Skip("touches " + bad)
			}
		}
		b, err := broker.Start(broker.Config{MaxFrameSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		host, port := splitHostPort(t, b.Addr())
		conn, err := client.Dial(context.Background(), client.Endpoint{Host: host, Port: port}, 5*time.Second, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var out bytes.Buffer
		p := commands.NewPrinter(&out, &out, render.NewTheme(false)) // Printer serialises writes
		sess := session.New(conn, 500*time.Millisecond)
		env := commands.NewEnv(p, sess, render.Style{Separator: true}, "stomp fuzz")
		env.SaveDir = t.TempDir()
		received := make(chan struct{})
		go func() {
			defer close(received)
			for fr := range conn.Incoming() {
				sess.Observe(fr)
				env.Show(fr, 0)
			}
		}()

		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		o := Options{Script: script, Name: "fuzz.txt", ContinueOnError: continueOnError}
		err = Run(ctx, newScriptReader(strings.NewReader(text)), env, o)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Run took %v with a 300ms context", d)
		}
		lines := strings.Count(text, "\n") + 1
		var se *ScriptError
		switch {
		case err == nil, errors.Is(err, ErrQuit), errors.Is(err, context.DeadlineExceeded):
		case errors.As(err, &se):
			if !script {
				t.Fatalf("interactive run returned a ScriptError: %v", err)
			}
			if se.Line < 1 || se.Line > lines || !strings.HasPrefix(err.Error(), "fuzz.txt, line ") {
				t.Fatalf("bad location in %q (script has %d lines)", err, lines)
			}
		case script && continueOnError && strings.HasSuffix(err.Error(), " line(s) of fuzz.txt failed"):
		case !script:
			// Interactive mode ends only by input, quit, ctx or a reader error.
			if !strings.Contains(err.Error(), "NUL") && !strings.Contains(err.Error(), "64 MiB") {
				t.Fatalf("interactive run ended with %T %v", err, err)
			}
		default:
			t.Fatalf("script run ended with %T %v", err, err)
		}
		conn.Close()
		select {
		case <-received:
		case <-time.After(3 * time.Second):
			t.Fatal("Incoming not closed after Close")
		}
	})
}
