package commands

import (
	"bytes"
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
