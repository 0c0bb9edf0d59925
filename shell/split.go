package shell

import "strings"

// Split breaks a command line into words the way stomp.py does (on runs of
// whitespace), plus quoting it lacks: a word that starts with " or ' runs to
// the matching quote, keeping its spaces; inside double quotes \n, \t, \r,
// \" and \\ are escapes. A quote inside a word (it's) is an ordinary
// character, and an unmatched opening quote is too, so stomp.py scripts keep
// working.
func Split(line string) []string {
	var words []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return words
		}
		if q := line[i]; q == '"' || q == '\'' {
			if end, ok := closingQuote(line, i+1, q); ok {
				var w strings.Builder
				unquote(&w, line[i+1:end], q)
				i = end + 1
				start := i
				for i < len(line) && !isSpace(line[i]) {
					i++
				}
				w.WriteString(line[start:i])
				words = append(words, w.String())
				continue
			}
		}
		// An unquoted word is a slice of the line: no copy (scripts of
		// 100,000 sends spend their time here otherwise).
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		words = append(words, line[start:i])
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// closingQuote finds the quote that ends a quoted word starting at from.
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

func unquote(w *strings.Builder, s string, q byte) {
	if q == '\'' {
		w.WriteString(s)
		return
	}
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
}
