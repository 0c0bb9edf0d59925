// Package commands is the one table of stomp's shell commands: each command
// is a file here that registers its Spec at init. The shell, -F scripts,
// `run`, help, Tab completion and the man page all read the table, so a
// command added here appears in each of them. Names, aliases and argument
// order are stomp.py's, so its users' habits and scripts carry over
// (reference §7). Env is what a command runs with; Open connects and builds
// it for the output a run asks for (Output), in the shell, -F, -L and the
// one-shot subcommands alike.
package commands

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
	// OneShot makes the command a subcommand of stomp too: `stomp NAME
	// ARGS` runs it once on a fresh connection made with stomp's flags,
	// with the arguments as the shell that ran stomp split them (stomp's
	// flags are read there, so not for a HeaderOpts command). cmd builds
	// these subcommands from the table.
	OneShot bool
	// Run executes one call of the command.
	Run func(ctx context.Context, c *Call) error
	// Complete, when set, offers the candidates for the arg-th argument
	// (from 0, --header options not counted) of which typed is typed so
	// far; the shell keeps those that start with typed.
	Complete func(env *Env, arg int, typed string) []string
}

// Call is one run of a command. The loop makes a fresh one for each line,
// so nothing a command does lives on into the next call.
type Call struct {
	Spec *Spec
	Env  *Env
	Args []string // the words after the name, as Prepare made them
	// Scripts runs a script file through the loop that made this call
	// (`run`). It is nil where no loop runs the command.
	Scripts ScriptRunner
}

// ScriptRunner runs the lines of a script file as commands: what `run`
// asks of the loop that called it, so nesting depth and error handling
// stay the loop's.
type ScriptRunner interface {
	RunScript(ctx context.Context, path string) error
}

// Arg is the i-th argument, or "" when there are fewer.
func (c *Call) Arg(i int) string {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return ""
}

// Expecting is stomp.py's usage error ("Expecting: send <destination>
// <message>"), with the real usage rather than its bound-method repr
// (reference §11.2).
func (c *Call) Expecting() error {
	return exitcode.Usagef("Expecting: %s (see help %s)", c.Spec.UsageLine(), c.Spec.Name)
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
			if !w.Spaced { // no whitespace in it: Fields would return it whole
				args = append(args, w.Raw)
				continue
			}
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

const quotingHelp = `
Words are split on whitespace, and a message is its words joined by one
space, as in stomp.py. Quotes are ordinary characters ({"a": "b"}, it's),
except that a whole message quoted with whitespace inside keeps its spaces:
send /queue/a "two  spaces" (inside double quotes \n, \t, \r, \" and \\ are
escapes). Words a command does not take are ignored with a warning. Lines
starting with # are comments. A command's name ends at the first character
that is not a letter, digit or _, as in stomp.py: send/queue/a hi is
send /queue/a hi. send, sendrec, sendreply, sendfile and subscribe take
--header key=value (repeatable) before the destination.
`

// GroupOrder is the order help and the man page list the groups in: the
// one place it is kept. A Spec's Group must be one of these.
var GroupOrder = []string{"Sending", "Receiving", "Transactions", "Scripting", "Session"}

// Table is every command. It is filled by Register as the package
// initialises and only read afterwards.
type Table struct {
	specs  []*Spec // by group in GroupOrder, then by name
	byName map[string]*Spec
}

var table = &Table{byName: map[string]*Spec{}}

// Commands is the table of every registered command.
func Commands() *Table { return table }

// Register adds a command to the table; each command's file calls it from
// init. A name or alias taken twice, a group not in GroupOrder or a spec
// without Run is a programming error, so it panics when the package loads
// (any test of the package shows it).
func Register(s *Spec) {
	if s.Run == nil {
		panic("commands: " + s.Name + " has no Run")
	}
	if !slices.Contains(GroupOrder, s.Group) {
		panic(fmt.Sprintf("commands: %s's group %q is not in GroupOrder", s.Name, s.Group))
	}
	for _, n := range append([]string{s.Name}, s.Aliases...) {
		if prev, dup := table.byName[n]; dup {
			panic(fmt.Sprintf("commands: %s and %s are both called %q", prev.Name, s.Name, n))
		}
		table.byName[n] = s
	}
	table.specs = append(table.specs, s)
	// Sorted here, not in registration order, so the order does not
	// depend on the files' names.
	slices.SortStableFunc(table.specs, func(a, b *Spec) int {
		if d := slices.Index(GroupOrder, a.Group) - slices.Index(GroupOrder, b.Group); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Lookup finds a command by name or alias. Names are case-sensitive, as in
// stomp.py.
func (t *Table) Lookup(name string) (*Spec, bool) {
	s, ok := t.byName[name]
	return s, ok
}

// Specs lists the commands group by group (GroupOrder), by name within a
// group.
func (t *Table) Specs() []*Spec { return t.specs }

// Names lists every name and alias, sorted.
func (t *Table) Names() []string {
	return slices.Sorted(maps.Keys(t.byName))
}

// UnknownCommand is the error for a line whose first word is word and whose
// name (SplitName) is not in the table, with the nearest name as a
// suggestion when one is close.
func (t *Table) UnknownCommand(word string) error {
	msg := "Unknown command: " + word
	name, _ := SplitName(word)
	if name == "" {
		name = word
	}
	if s := t.nearest(name); s != "" {
		msg += " (did you mean " + s + "?)"
	} else {
		msg += " (type help for the list)"
	}
	return exitcode.Usagef("%s", msg)
}

func (t *Table) nearest(name string) string {
	lower := strings.ToLower(name)
	if _, ok := t.byName[lower]; ok {
		return lower
	}
	// A name cut short ("sub") means the command it begins, before any
	// name a letter or two away ("run").
	if len(name) >= 3 {
		for _, n := range t.Names() {
			if strings.HasPrefix(n, lower) {
				return n
			}
		}
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
		group := ""
		for _, s := range t.specs {
			if s.Group != group {
				group = s.Group
				fmt.Fprintf(&b, "\n%s:\n", group)
			}
			name := s.Name
			if len(s.Aliases) > 0 {
				name += " (" + strings.Join(visibleAliases(s), ", ") + ")"
			}
			fmt.Fprintf(&b, "  %-28s %s\n", name, s.Summary)
		}
		b.WriteString(quotingHelp)
		return b.String(), nil
	}
	s, ok := t.Lookup(topic)
	if !ok {
		return "", exitcode.Usagef("No help on %s (type help for the list)", topic)
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
