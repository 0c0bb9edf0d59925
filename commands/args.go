package commands

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// optionWords counts the leading words of n that are --header options
// (with their values) and a closing --.
func optionWords(n int, word func(i int) string) int {
	i := 0
	for i < n {
		switch a := word(i); {
		case a == "--":
			return i + 1
		case a == "--header" || a == "-H":
			i = min(i+2, n)
		case strings.HasPrefix(a, "--header="):
			i++
		default:
			return i
		}
	}
	return i
}

// headerOpts splits leading --header key=value options off args.
func headerOpts(args []string) (headers [][2]string, rest []string, err error) {
	n := optionWords(len(args), func(i int) string { return args[i] })
	for i := 0; i < n; i++ {
		var kv string
		switch a := args[i]; {
		case a == "--":
			continue
		case a == "--header" || a == "-H":
			if i+1 == n {
				return nil, nil, exitcode.Usagef("--header needs key=value")
			}
			i++
			kv = args[i]
		default:
			kv = strings.TrimPrefix(a, "--header=")
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, nil, exitcode.Usagef("bad header %q: write it as key=value", kv)
		}
		headers = append(headers, [2]string{k, v})
	}
	return headers, args[n:], nil
}

// headerArgs splits the call's leading --header options off its arguments
// and checks that at least n arguments remain (stomp.py's Expecting error
// when they do not).
func (c *Call) headerArgs(n int) (headers [][2]string, args []string, err error) {
	headers, args, err = headerOpts(c.Args)
	if err == nil && len(args) < n {
		err = c.Expecting()
	}
	return headers, args, err
}

// joinWords rebuilds a message from its words, one space apart, as
// stomp.py does.
func joinWords(words []string) string { return strings.Join(words, " ") }

// parseDuration reads a script's duration: a bare number is seconds, as
// in sleep(1) and stomp.py scripts; otherwise Go's form (500ms, 2s, 1m).
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > float64(math.MaxInt64/int64(time.Second)) || f != f {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}
