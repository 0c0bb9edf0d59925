package commands

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/render"
)

// TestTakeRoutesASubscriptionsMessages: while a command takes a
// subscription's messages they go to it, not to the screen; other
// subscriptions' messages are shown; after release they are shown again.
func TestTakeRoutesASubscriptionsMessages(t *testing.T) {
	var out bytes.Buffer
	env := &Env{Out: NewPrinter(&out, &out, render.NewTheme(false))}
	message := func(sub, body string) *frame.Frame {
		f := frame.New(frame.MESSAGE, frame.Subscription, sub, frame.MessageId, "m-"+body, frame.Destination, "/queue/a")
		f.Body = []byte(body)
		return f
	}
	msgs, release := env.Take("7")
	if err := env.Show(message("7", "taken"), 1); err != nil {
		t.Fatal(err)
	}
	if got := <-msgs; string(got.Body) != "taken" {
		t.Errorf("took %q", got.Body)
	}
	if err := env.Show(message("8", "shown-other"), 2); err != nil {
		t.Fatal(err)
	}
	release()
	release() // twice is harmless
	if err := env.Show(message("7", "shown-after"), 3); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "taken") || !strings.Contains(s, "shown-other") || !strings.Contains(s, "shown-after") {
		t.Errorf("shown:\n%s", s)
	}
}

// BenchmarkShow is the listener's path for one message: what Take adds to
// it (one atomic load while no command takes messages) must not show.
func BenchmarkShow(b *testing.B) {
	env := &Env{Out: NewPrinter(io.Discard, io.Discard, render.NewTheme(false))}
	f := frame.New(frame.MESSAGE, frame.Subscription, "1", frame.MessageId, "m-1", frame.Destination, "/queue/a")
	f.Body = []byte("hello world")
	b.ReportAllocs()
	for b.Loop() {
		if err := env.Show(f, 1); err != nil {
			b.Fatal(err)
		}
	}
}
