package main

import (
	"fmt"
	"regexp"
	"strings"
)

// roff builds a man(7) page. Text given to it is plain: it escapes what
// troff would read as markup, so no input can produce a groff warning.
type roff struct{ b strings.Builder }

// esc escapes plain text for a text line or a macro argument: backslashes,
// hyphens (as \- so options stay copy-pasteable ASCII minus signs) and
// anything outside printable ASCII, which is spelled out or dropped.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\t':
			b.WriteByte(' ')
		case r == '\u2014':
			b.WriteString(`\(em`)
		case r == '\u2013':
			b.WriteString(`\(en`)
		case r == '\u2018', r == '\u2019':
			b.WriteByte('\'')
		case r == '\u201c', r == '\u201d':
			b.WriteByte('"')
		case r < 0x20 || r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bold(s string) string   { return `\fB` + esc(s) + `\fR` }
func italic(s string) string { return `\fI` + esc(s) + `\fR` }

// line writes one input line of already-escaped text, protected against
// being read as a request.
func (r *roff) line(s string) {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	r.b.WriteString(s + "\n")
}

// macro writes a request; its arguments are escaped and quoted when needed.
func (r *roff) macro(name string, args ...string) {
	r.b.WriteString("." + name)
	for _, a := range args {
		a = esc(a)
		if a == "" || strings.ContainsAny(a, ` "`) {
			a = `"` + strings.ReplaceAll(a, `"`, `""`) + `"`
		}
		r.b.WriteString(" " + a)
	}
	r.b.WriteByte('\n')
}

// text writes prose: hard line breaks in the source are joined, blank lines
// start a new paragraph, and troff fills the result.
func (r *roff) text(s string) {
	for i, para := range paragraphs(s) {
		if i > 0 {
			r.macro("PP")
		}
		r.line(esc(para))
	}
}

// paragraphs splits text on blank lines and joins each paragraph's lines.
func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.TrimSpace(s), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// verbatim writes lines exactly as they are (examples), indented.
func (r *roff) verbatim(s string) {
	r.macro("RS", "4")
	r.macro("nf")
	for l := range strings.SplitSeq(strings.Trim(s, "\n"), "\n") {
		l = strings.TrimRight(l, " ")
		if l == "" {
			r.line(`\&`) // a blank line in the input would be a warning for some checkers
			continue
		}
		r.line(esc(l))
	}
	r.macro("fi")
	r.macro("RE")
}

var placeholderRE = regexp.MustCompile(`<([^<>]+)>`)

// usage renders a shell command's usage line: the name and flags bold,
// <placeholders> and the named optional arguments italic, the rest roman.
func usage(name, u string, argNames []string) string {
	out := bold(name)
	if u == "" {
		return out
	}
	isArg := map[string]bool{}
	for _, a := range argNames {
		isArg[a] = true
	}
	var words []string
	for w := range strings.FieldsSeq(u) {
		words = append(words, usageWord(w, isArg))
	}
	return out + " " + strings.Join(words, " ")
}

// usageWord marks up one word of a usage line: "[--header", "key=value]...",
// "<destination>", "[ack]", "[on|off]".
func usageWord(w string, isArg map[string]bool) string {
	lead := len(w) - len(strings.TrimLeft(w, "["))
	core := strings.TrimLeft(w, "[")
	trail := ""
	for _, suf := range []string{"]...", "...", "]"} {
		if strings.HasSuffix(core, suf) {
			core, trail = strings.TrimSuffix(core, suf), suf
			break
		}
	}
	var m string
	switch {
	case placeholderRE.MatchString(core) && placeholderRE.FindString(core) == core:
		m = italic(core[1 : len(core)-1])
	case strings.HasPrefix(core, "-"):
		m = bold(core)
	case isArg[core] && !strings.Contains(core, "|"):
		m = italic(core)
	case strings.Contains(core, "=") && !strings.ContainsAny(core, "|<>"):
		k, v, _ := strings.Cut(core, "=")
		m = italic(k) + "=" + italic(v)
	case strings.Contains(core, "|"):
		var alts []string
		for a := range strings.SplitSeq(core, "|") {
			alts = append(alts, bold(a))
		}
		m = strings.Join(alts, "|")
	default:
		m = esc(core)
	}
	return strings.Repeat("[", lead) + m + esc(trail)
}

// md marks up hand-written prose: `code` is bold, <name> is italic, the rest
// is escaped.
func md(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString(bold(part))
			continue
		}
		last := 0
		for _, m := range placeholderRE.FindAllStringSubmatchIndex(part, -1) {
			b.WriteString(esc(part[last:m[0]]))
			b.WriteString(italic(part[m[2]:m[3]]))
			last = m[1]
		}
		b.WriteString(esc(part[last:]))
	}
	return b.String()
}

// prose writes hand-written text (see md): paragraphs split on blank lines.
func (r *roff) prose(s string) {
	for i, para := range paragraphs(s) {
		if i > 0 {
			r.macro("PP")
		}
		r.line(md(para))
	}
}

// comment writes a roff comment line.
func (r *roff) comment(s string) {
	r.b.WriteString(`.\" ` + s + "\n")
}
