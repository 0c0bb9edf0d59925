package shell

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"send /queue/a hello   world  ", []string{"send", "/queue/a", "hello", "world"}},
		{"send /queue/a \"two  spaces\"", []string{"send", "/queue/a", "two  spaces"}},
		{"send /queue/a 'single  quoted'", []string{"send", "/queue/a", "single  quoted"}},
		{`send /q "line\nbreak \"q\" back\\slash"`, []string{"send", "/q", "line\nbreak \"q\" back\\slash"}},
		{"send /q it's fine", []string{"send", "/q", "it's", "fine"}},
		{"send /q \"unterminated quote", []string{"send", "/q", "\"unterminated", "quote"}},
		{`send /q C:\path\file`, []string{"send", "/q", `C:\path\file`}},
		{`send /q ""`, []string{"send", "/q", ""}},
		{`send /q "a b"c`, []string{"send", "/q", "a bc"}},
		{"send\t/q\tx\r", []string{"send", "/q", "x"}},
	}
	for _, c := range cases {
		if got := Split(c.line); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"send /q a", `"a\"b" 'c'`, `"\`, "'", "\"\\\"", "x\"y\" z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, w := range Split(line) {
			_ = w // must not panic or loop
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Split("send /queue/bench a hundred byte message body of plain words as a script would send it, quickly")
	}
}
