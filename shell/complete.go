package shell

import (
	"strings"

	"github.com/stomp-cli/stomp/commands"
	"github.com/stomp-cli/stomp/internal/render"
)

// Completer completes command names from the command table, then each
// command's arguments as the command offers them (Spec.Complete: from the
// live session, destinations subscribed to, message ids awaiting an ack,
// file paths). It implements readline.AutoCompleter.
type Completer struct {
	Env *commands.Env
}

// Do returns the candidate suffixes for the word before pos and the length
// of what they replace, as readline wants.
func (c *Completer) Do(line []rune, pos int) ([][]rune, int) {
	before := string(line[:pos])
	words := strings.Fields(before)
	if len(words) == 0 || !strings.HasSuffix(before, " ") && len(words) == 1 {
		prefix := ""
		if len(words) == 1 {
			prefix = words[0]
		}
		return suffixes(prefix, commands.Commands().Names(), " ")
	}
	current := ""
	if !strings.HasSuffix(before, " ") {
		current = words[len(words)-1]
		words = words[:len(words)-1]
	}
	var candidates []string
	if spec, ok := commands.Commands().Lookup(words[0]); ok && spec.Complete != nil {
		candidates = spec.Complete(c.Env, positional(words[1:]), current)
	}
	return suffixes(current, candidates, " ")
}

// positional counts the positional arguments among the words after a
// command's name, skipping --header options (which come before the
// destination).
func positional(words []string) int {
	n := 0
	for i := 0; i < len(words); i++ {
		switch {
		case words[i] == "--header" || words[i] == "-H":
			i++
		case strings.HasPrefix(words[i], "--header="), words[i] == "--":
		default:
			n++
		}
	}
	return n
}

// Hint is what the shell shows dimmed after the line being typed, as
// redis-cli does: the arguments of the command not typed yet
// ("<destination> <message>" after "send "). Each disappears as its word
// is begun. "" when there is nothing to show.
func (c *Completer) Hint(line string) string {
	words := strings.Fields(line)
	if c.Env == nil || len(words) == 0 || strings.ContainsAny(line, "\r\n") {
		return ""
	}
	spec, ok := commands.Commands().Lookup(words[0])
	if !ok {
		return ""
	}
	// A word being typed counts as typed: its hint is gone at its first
	// letter, and the rest follow after a space.
	lead := ""
	if !strings.HasSuffix(line, " ") {
		lead = " "
		if len(words) == 1 && c.ambiguous(words[0]) {
			return "" // send could yet become sendfile: wait for the space
		}
	}
	return hintFrom(spec.Args, positional(words[1:]), lead)
}

// ambiguous says whether another command's name begins with name.
func (c *Completer) ambiguous(name string) bool {
	for _, n := range commands.Commands().Names() {
		if n != name && strings.HasPrefix(n, name) {
			return true
		}
	}
	return false
}

// hintFrom is the arguments from index i on, after lead.
func hintFrom(args []commands.Arg, i int, lead string) string {
	if i >= len(args) {
		return ""
	}
	parts := make([]string, 0, len(args)-i)
	for _, a := range args[i:] {
		if a.Optional {
			parts = append(parts, "["+a.Name+"]")
		} else {
			parts = append(parts, "<"+a.Name+">")
		}
	}
	return lead + strings.Join(parts, " ")
}

// suffixes keeps the candidates that start with prefix and returns what
// each adds; a complete word gets the trailing space (not a directory or a
// destination prefix, which the user goes on typing). A candidate holding
// control characters (a message id is the broker's text) is left out: the
// completion list must not carry escapes to the terminal, and an escaped
// form would complete to a word that names nothing.
func suffixes(prefix string, candidates []string, space string) ([][]rune, int) {
	var out [][]rune
	for _, c := range candidates {
		if !strings.HasPrefix(c, prefix) || c == prefix && strings.HasSuffix(c, "/") || render.VisibleLine(c) != c {
			continue
		}
		rest := c[len(prefix):]
		if !strings.HasSuffix(c, "/") {
			rest += space
		}
		out = append(out, []rune(rest))
	}
	return out, len([]rune(prefix))
}
