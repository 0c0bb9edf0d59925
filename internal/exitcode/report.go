package exitcode

import (
	"fmt"
	"io"
	"strings"

	"github.com/stomp-cli/stomp/internal/render"
)

// Report prints err once to stderr, as "stomp: " and one line (a usage
// error whole: it may list the choices), control characters made visible
// (an error may quote the broker: listen --browse names its server
// header), and returns its exit code from Table. An error already shown is
// not printed again.
func Report(err error, stderr io.Writer) int {
	switch {
	case err == nil, IsShown(err): // already shown, once
	case Is(err, Usage):
		fmt.Fprintln(stderr, "stomp: "+render.Visible(err.Error()))
	default:
		fmt.Fprintln(stderr, "stomp: "+oneLine(err.Error()))
	}
	return Code(err)
}

// oneLine is an error's first line, control characters made visible: an
// error may quote the broker.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return render.VisibleLine(s)
}

// InvalidFlagValue is the usage error for value given to --flag, whose
// value type (pflag's name for it: int, duration, ...) it is not, in
// command (its path, for "see ... --help"): one line that says what to
// give, not a strconv error chain.
func InvalidFlagValue(value, flag, valueType, command string) error {
	what, ok := flagValueKinds[valueType]
	if !ok {
		what = "a " + valueType
	}
	return Usagef("invalid value %q for --%s: give %s (see %s --help)", value, flag, what, command)
}

// flagValueKinds say, by pflag value type, what a flag takes.
var flagValueKinds = map[string]string{
	"int":      "a whole number",
	"duration": "a duration such as 5s, 500ms or 1m",
	"bool":     "true or false",
	"float64":  "a number",
}
