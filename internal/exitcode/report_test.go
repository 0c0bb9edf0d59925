package exitcode

import (
	"errors"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
		code int
	}{
		{"nil", nil, "", 0},
		{"first line only, control bytes visible", errors.New("broker said \x1b[2J\nsecond line"), "stomp: broker said ^[[2J\n", Code(errors.New(""))},
		{"usage error whole", Usagef("choose one of:\n  a\n  b"), "stomp: choose one of:\n  a\n  b\n", Code(Usagef(""))},
		{"usage error, control bytes visible", Usagef("--browse is not supported by %s", "evil\x1b]0;pwned\x07"), "stomp: --browse is not supported by evil^[]0;pwned^G\n", Code(Usagef(""))},
		{"already shown", Shown(errors.New("ERROR frame")), "", Code(errors.New(""))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if code := Report(tc.err, &b); code != tc.code {
				t.Errorf("code %d, want %d", code, tc.code)
			}
			if b.String() != tc.want {
				t.Errorf("printed %q, want %q", b.String(), tc.want)
			}
		})
	}
}

func TestInvalidFlagValue(t *testing.T) {
	err := InvalidFlagValue("5x", "timeout", "duration", "stomp listen")
	want := `invalid value "5x" for --timeout: give a duration such as 5s, 500ms or 1m (see stomp listen --help)`
	if err.Error() != want || !Is(err, Usage) {
		t.Errorf("got %q (usage: %v), want %q", err, Is(err, Usage), want)
	}
	if err := InvalidFlagValue("x", "n", "uint16", "stomp"); !strings.Contains(err.Error(), "give a uint16") {
		t.Errorf("an unlisted type names itself: %q", err)
	}
}
