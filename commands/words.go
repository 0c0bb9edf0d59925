package commands

import (
	"strings"
	"unicode/utf8"
)

// Word is one word of a command line, as Split found it.
type Word struct {
	Text string // the word; for a quoted word, without its quotes and escapes
	Raw  string // as typed
	// Quoted: the word opens with " or ' and its matching quote ends it
	// ("two  spaces", 'x'). Spaced: there is whitespace between the quotes.
	Quoted, Spaced bool
}

// Split breaks a command line into words on runs of whitespace, exactly as
// stomp.py's str.split() does (Python's whitespace: ASCII space, tab, line
// feed, CR, vertical tab, form feed, \x1c-\x1f, NEL, no-break space and the
// other Unicode spaces), and marks the quoted words. A word is quoted when
// it starts with " or ' and the matching quote (not one escaped by \ inside
// double quotes) is followed by whitespace or the end of the line; it may
// then hold whitespace. Any other quote is an ordinary character: it's,
// "id","name", {"a": "b"} and 'test' followed by more text are words as
// typed. Which quoted words lose their quotes is the command's business
// (Spec.Prepare), so stomp.py scripts keep their meaning.
func Split(line string) []Word {
	// Room for a word per ASCII space: one allocation for most lines, where
	// growing from empty took five for a 15-word send (a third of a -F
	// script's time went to Split and Prepare before).
	words := make([]Word, 0, strings.Count(line, " ")+1)
	i := 0
	for {
		i = skipSpace(line, i)
		if i >= len(line) {
			return words
		}
		if q := line[i]; q == '"' || q == '\'' {
			if end, ok := closingQuote(line, i+1, q); ok && (end+1 == len(line) || spaceAt(line, end+1) > 0) {
				inner := line[i+1 : end]
				words = append(words, Word{Text: unquote(inner, q), Raw: line[i : end+1], Quoted: true,
					Spaced: strings.IndexFunc(inner, IsSpace) >= 0})
				i = end + 1
				continue
			}
		}
		start := i
		for i < len(line) {
			if c := line[i]; c < utf8.RuneSelf { // most bytes: no rune to decode
				if IsSpace(rune(c)) {
					break
				}
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(line[i:])
			if IsSpace(r) {
				break
			}
			i += n
		}
		// A plain word is a slice of the line: no copy (scripts of 100,000
		// sends spend their time here otherwise).
		words = append(words, Word{Text: line[start:i], Raw: line[start:i]})
	}
}

// SplitName cuts a command line's name off as Python's cmd module does
// (stomp.py's shell is a cmd.Cmd): the name is the run of ASCII letters,
// digits and _ the line starts with, and whatever follows is the arguments,
// with or without a space between. So "send/queue/a x" is send to /queue/a,
// "ver." is ver, "stats;on" is stats with the argument ";on", and a line
// that starts with any other character ("/send x", "!ls") has no name.
func SplitName(line string) (name, rest string) {
	i := 0
	for i < len(line) && isNameByte(line[i]) {
		i++
	}
	return line[:i], line[i:]
}

// isNameByte is Python cmd's identchars: string.ascii_letters, digits and _.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Fields splits s on whitespace as Python's str.split() does.
func Fields(s string) []string { return strings.FieldsFunc(s, IsSpace) }

// TrimSpace trims whitespace as Python's str.strip() does.
func TrimSpace(s string) string { return strings.TrimFunc(s, IsSpace) }

// IsSpace is Python's str.isspace() for one character: Go's unicode.IsSpace
// lacks \x1c-\x1f.
func IsSpace(r rune) bool {
	switch {
	case r == ' ', r >= '\t' && r <= '\r', r >= 0x1c && r <= 0x1f:
		return true
	case r < 0x85:
		return false
	}
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// spaceAt is the length in bytes of the whitespace character at line[i],
// or 0 when there is none.
func spaceAt(line string, i int) int {
	if c := line[i]; c < utf8.RuneSelf {
		if IsSpace(rune(c)) {
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(line[i:])
	if IsSpace(r) {
		return n
	}
	return 0
}

func skipSpace(line string, i int) int {
	for i < len(line) {
		n := spaceAt(line, i)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// closingQuote finds the quote that matches the one before from; inside
// double quotes a backslash escapes the next character.
func closingQuote(line string, from int, q byte) (int, bool) {
	for j := from; j < len(line); j++ {
		switch {
		case q == '"' && line[j] == '\\':
			j++
		case line[j] == q:
			return j, true
		}
	}
	return 0, false
}

// unquote reads a quoted word's content: single quotes keep everything as
// typed; inside double quotes \n, \t, \r, \" and \\ are escapes and any
// other backslash is kept.
func unquote(s string, q byte) string {
	if q == '\'' || strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var w strings.Builder
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c != '\\' || j+1 == len(s) {
			w.WriteByte(c)
			continue
		}
		j++
		switch s[j] {
		case 'n':
			w.WriteByte('\n')
		case 't':
			w.WriteByte('\t')
		case 'r':
			w.WriteByte('\r')
		case '"', '\\':
			w.WriteByte(s[j])
		default:
			w.WriteByte('\\')
			w.WriteByte(s[j])
		}
	}
	return w.String()
}
