// Package commands is the one table of stomp's commands. The shell, -F
// scripts and `run` dispatch through it, and help is generated from it.
// Names, aliases and argument order are stomp.py's, so its users' habits and
// scripts carry over (reference §7).
package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// Arg documents one argument of a command.
type Arg struct {
	Name     string
	Desc     string
	Optional bool
}

// Spec describes a command.
type Spec struct {
	Name        string
	Aliases     []string
	Group       string
	Usage       string // after the name: "<destination> <message>"
	Summary     string // one line for the command list
	Args        []Arg
	Description string
	Example     string
	// How Prepare reads the words after the name (see there).
	Own        bool // not a stomp.py command: every quoted word loses its quotes
	HeaderOpts bool // takes --header key=value options before its arguments
	MessageArg int  // the 1-based argument where the message (the rest of the line) starts; 0: none
	MaxArgs    int  // arguments beyond this many are ignored with a warning; 0: no limit, NoArgs: none
	// OnExtra, when set, decides what to keep when there are extra words,
	// and adds to the warning.
	OnExtra func(args []string) (kept []string, note string)
	// Broker: the command talks to the broker, so while the connection is
	// down it gets one line saying so (and when the next try is) instead.
	Broker bool
	// Run executes the command with the words after its name.
	Run func(ctx context.Context, env *Env, args []string) error
}

// NoArgs is MaxArgs for a command that takes no arguments.
const NoArgs = -1

// Prepare turns the words after a command's name into its arguments.
//
// A stomp.py command (send, subscribe, ...) must read a stomp.py script as
// stomp.py does, where quotes are ordinary characters. So a quoted word
// loses its quotes only when that cannot have been meant as typed:
//   - a --header value (stomp.py has no --header);
//   - an argument quoted with whitespace inside ("my file.txt"), which
//     stomp.py would have cut in two;
//   - the whole message quoted with whitespace inside
//     (send /queue/a "two  spaces"), which keeps its spaces.
//
// Any other quote stays as typed, and the message is its words joined by
// one space, byte for byte what stomp.py sends: {"a": "b c"}, "id","name",
// he said "hello there", 'test' message. Commands of stomp's own (raw,
// echo, wait, sleep) unquote every quoted word.
//
// Words beyond MaxArgs are dropped with a warning on standard error, as
// stomp.py drops them silently (begin mytx, unsubscribe /queue/a now).
func (s *Spec) Prepare(env *Env, words []Word) []string {
	args := make([]string, 0, len(words))
	if s.Own {
		for _, w := range words {
			args = append(args, w.Text)
		}
		return args
	}
	n := 0
	if s.HeaderOpts {
		n = optionWords(len(words), func(i int) string { return words[i].Text })
		for _, w := range words[:n] {
			args = append(args, w.Text)
		}
	}
	positional := words[n:]
	if s.MessageArg > 0 && len(positional) >= s.MessageArg {
		fixed, msg := positional[:s.MessageArg-1], positional[s.MessageArg-1:]
		args = appendStrict(args, fixed)
		if len(msg) == 1 && msg[0].Spaced {
			return append(args, msg[0].Text)
		}
		for _, w := range msg {
			args = append(args, Fields(w.Raw)...)
		}
		return args
	}
	pos := appendStrict(nil, positional)
	if s.MaxArgs != 0 {
		limit := max(s.MaxArgs, 0)
		if len(pos) > limit {
			kept, note := pos[:limit], ""
			if s.OnExtra != nil {
				kept, note = s.OnExtra(pos)
			}
			env.Out.Warn(fmt.Sprintf("%s: ignored the extra words %q%s, as stomp.py does", s.Name, strings.Join(pos[limit:], " "), note))
			pos = kept
		}
	}
	return append(args, pos...)
}

// appendStrict adds the arguments of a stomp.py command: a quoted word with
// whitespace inside is one argument without its quotes; any other word is
// as typed.
func appendStrict(args []string, words []Word) []string {
	for _, w := range words {
		if w.Spaced {
			args = append(args, w.Text)
		} else {
			args = append(args, w.Raw)
		}
	}
	return args
}

// UsageLine is the command and its arguments, as help and errors show it.
func (s *Spec) UsageLine() string {
	if s.Usage == "" {
		return s.Name
	}
	return s.Name + " " + s.Usage
}

// UsageError is a command typed wrongly; the shell shows it and goes on, a
// script stops (exit 2 from a one-shot run).
type UsageError = exitcode.UsageError

// expecting is stomp.py's usage error ("Expecting: send <destination>
// <message>"), with the real usage rather than its bound-method repr
// (reference §11.2).
func (s *Spec) expecting() error {
	return &UsageError{Msg: "Expecting: " + s.UsageLine() + " (see help " + s.Name + ")"}
}

// ErrQuit is returned by quit, exit and EOF: the caller ends the loop.
var ErrQuit = errors.New("quit")

const quotingHelp = `
Words are split on whitespace, and a message is its words joined by one
space, as in stomp.py. Quotes are ordinary characters ({"a": "b"}, it's),
except that a whole message quoted with whitespace inside keeps its spaces:
send /queue/a "two  spaces" (inside double quotes \n, \t, \" and \\ are
escapes). Words a command does not take are ignored with a warning. Lines
starting with # are comments. send, sendrec, sendreply, sendfile and
subscribe take --header key=value (repeatable) before the destination.
`

// Groups in the order help lists them.
var groupOrder = []string{"Sending", "Receiving", "Transactions", "Scripting", "Session"}

// Table is every command.
type Table struct {
	specs  []*Spec
	byName map[string]*Spec
}

// NewTable builds the table of all commands.
func NewTable() *Table {
	t := &Table{byName: map[string]*Spec{}}
	for _, s := range allSpecs(t) {
		t.specs = append(t.specs, s)
		t.byName[s.Name] = s
		for _, a := range s.Aliases {
			t.byName[a] = s
		}
	}
	return t
}

// Lookup finds a command by name or alias. Names are case-sensitive, as in
// stomp.py.
func (t *Table) Lookup(name string) (*Spec, bool) {
	s, ok := t.byName[name]
	return s, ok
}

// Specs lists the commands in table order.
func (t *Table) Specs() []*Spec { return t.specs }

// Names lists every name and alias, sorted.
func (t *Table) Names() []string {
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownCommand is the error for a name not in the table, with the nearest
// name as a suggestion when one is close.
func (t *Table) UnknownCommand(name string) error {
	msg := "Unknown command: " + name
	if s := t.nearest(name); s != "" {
		msg += " (did you mean " + s + "?)"
	} else {
		msg += " (type help for the list)"
	}
	return &UsageError{Msg: msg}
}

func (t *Table) nearest(name string) string {
	lower := strings.ToLower(name)
	if _, ok := t.byName[lower]; ok {
		return lower
	}
	best, bestDist := "", 3
	for n := range t.byName {
		if n == "EOF" {
			continue
		}
		d := editDistance(lower, n)
		if d < bestDist || (d == bestDist && n < best) {
			best, bestDist = n, d
		}
	}
	if best == "" && len(name) >= 3 {
		for _, n := range t.Names() {
			if strings.HasPrefix(n, lower) {
				return n
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Help writes the command list (no topic) or one command's help.
func (t *Table) Help(topic string) (string, error) {
	var b strings.Builder
	if topic == "" {
		b.WriteString("Commands (type help <command> for details):\n")
		for _, g := range groupOrder {
			fmt.Fprintf(&b, "\n%s:\n", g)
			for _, s := range t.specs {
				if s.Group != g {
					continue
				}
				name := s.Name
				if len(s.Aliases) > 0 {
					name += " (" + strings.Join(visibleAliases(s), ", ") + ")"
				}
				fmt.Fprintf(&b, "  %-28s %s\n", name, s.Summary)
			}
		}
		b.WriteString(quotingHelp)
		return b.String(), nil
	}
	s, ok := t.Lookup(topic)
	if !ok {
		return "", &UsageError{Msg: "No help on " + topic + " (type help for the list)"}
	}
	fmt.Fprintf(&b, "Usage:\n    %s\n", s.UsageLine())
	if len(s.Aliases) > 0 {
		fmt.Fprintf(&b, "\nAliases: %s\n", strings.Join(visibleAliases(s), ", "))
	}
	var req, opt []Arg
	for _, a := range s.Args {
		if a.Optional {
			opt = append(opt, a)
		} else {
			req = append(req, a)
		}
	}
	for _, part := range []struct {
		title string
		args  []Arg
	}{{"Required Parameters", req}, {"Optional Parameters", opt}} {
		if len(part.args) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", part.title)
		for _, a := range part.args {
			fmt.Fprintf(&b, "    %s - %s\n", a.Name, a.Desc)
		}
	}
	fmt.Fprintf(&b, "\nDescription:\n    %s\n", strings.ReplaceAll(s.Description, "\n", "\n    "))
	if s.Example != "" {
		fmt.Fprintf(&b, "\nExample:\n    %s\n", strings.ReplaceAll(s.Example, "\n", "\n    "))
	}
	return b.String(), nil
}

func visibleAliases(s *Spec) []string {
	var out []string
	for _, a := range s.Aliases {
		if a != "EOF" {
			out = append(out, a)
		}
	}
	return out
}
