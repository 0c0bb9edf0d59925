package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/stomp-cli/stomp/internal/render"
)

// The shell shows a broker's ERROR whole (WholeErrors) in its error
// colour: control characters from the broker show as visible escapes, but
// the colour's own escape sequences must reach the terminal as colour,
// not as the text "^[[2m". They did: the frame was rendered with its
// headers dimmed and the result made visible as a whole.
func TestWholeErrorInColourShowsOnlyTheBrokersEscapes(t *testing.T) {
	var out, errOut bytes.Buffer
	env := &Env{Out: NewPrinter(&out, &errOut, render.NewTheme(true)), WholeErrors: true}
	f := frame.New(frame.ERROR, frame.Message, "Unknown destination\x1b]0;owned\x07")
	f.Body = []byte("not valid\x1b[2J")
	if err := env.Show(f, 0); err != nil {
		t.Fatal(err)
	}
	got := errOut.String()
	for _, want := range []string{"message: Unknown destination^[]0;owned^G", "not valid^[[2J", "\x1b[31"} {
		if !strings.Contains(got, want) {
			t.Errorf("standard error lacks %q:\n%q", want, got)
		}
	}
	if strings.Contains(got, "^[[2m") || strings.Contains(got, "^[[22m") || strings.Contains(got, "^[[0m") {
		t.Errorf("the colour's own escapes were shown as text:\n%q", got)
	}
	if strings.Count(got, "\x1b") != strings.Count(render.NewTheme(true).Error("x"), "\x1b") {
		t.Errorf("escape sequences other than the error colour's reached the terminal:\n%q", got)
	}
}
