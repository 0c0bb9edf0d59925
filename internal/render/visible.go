package render

import (
	"fmt"
	"unicode/utf8"
)

// Text from the network must never drive the user's terminal: an ESC in a
// message body could retitle the window, clear the screen or write the
// clipboard (OSC 52). Text output therefore shows control characters as
// visible escapes, the way `less` and `cat -v` do:
//
//   - C0 controls and DEL in caret notation: ESC is ^[, NUL ^@, BEL ^G,
//     DEL ^?; newline and tab are kept (in a body; a header value is one
//     line, so there a newline shows as ^J), and so is CR right before LF;
//   - C1 controls (U+0080..U+009F: some terminals take U+009B as CSI) and
//     the bidirectional overrides, which reorder what is shown, as <U+XXXX>;
//   - bytes that are not UTF-8 as U+FFFD, as stomp.py's
//     decode(errors="replace") shows them.
//
// Machine formats (raw, json, templates) keep their bytes: they are for
// programs, and a program asked for exactly what was sent. JSON escapes
// every control character (the same string to its reader: see
// escapeHidden).

// AppendVisible appends b to dst with control characters made visible;
// multiline keeps newlines and tabs (a body) or escapes them too (a header
// value). Plain printable text, the common case, is copied in one go.
func AppendVisible(dst, b []byte, multiline bool) []byte {
	i := safePrefix(b, multiline)
	if i == len(b) {
		return append(dst, b...)
	}
	dst = append(dst, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' && multiline, c == '\t':
				dst = append(dst, c)
			case c == '\r' && multiline && i+1 < len(b) && b[i+1] == '\n':
				dst = append(dst, c)
			case c < 0x20:
				dst = append(dst, '^', c+'@')
			case c == 0x7f:
				dst = append(dst, '^', '?')
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case hidden(r):
			dst = fmt.Appendf(dst, "<U+%04X>", r)
		default:
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}

// Visible returns s with control characters made visible, keeping
// newlines and tabs: for one-line messages built from network text (a
// broker's ERROR, a receipt id) on their way to a terminal.
func Visible(s string) string {
	if safePrefix([]byte(s), true) == len(s) {
		return s
	}
	return string(AppendVisible(nil, []byte(s), true))
}

// VisibleLine is Visible for one line: a newline shows as ^J too.
func VisibleLine(s string) string {
	if safePrefix([]byte(s), false) == len(s) {
		return s
	}
	return string(AppendVisible(nil, []byte(s), false))
}

// safePrefix is the length of b's leading run of printable ASCII (and
// newlines and tabs when multiline), which needs no escaping.
func safePrefix(b []byte, multiline bool) int {
	for i, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' && multiline {
			continue
		}
		return i
	}
	return len(b)
}

// hidden says whether r is a C1 control or a bidirectional control (the
// "Trojan Source" characters): shown as <U+XXXX> rather than obeyed.
func hidden(r rune) bool {
	return r >= 0x80 && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
