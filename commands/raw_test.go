package commands

import (
	"strings"
	"testing"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

func TestParseRawArgs(t *testing.T) {
	cases := []struct {
		args    []string
		command string
		headers [][2]string
		body    string
	}{
		{[]string{"SEND", "destination:/queue/a", "--", "hello", "world"}, "SEND", [][2]string{{"destination", "/queue/a"}}, "hello world"},
		// Client commands in lower case are upper-cased; unknown ones go as typed.
		{[]string{"subscribe", "destination:/queue/a", "id:1"}, "SUBSCRIBE", [][2]string{{"destination", "/queue/a"}, {"id", "1"}}, ""},
		{[]string{"Frobnicate"}, "Frobnicate", nil, ""},
		// The first colon splits; values keep theirs, empty values and duplicates are kept.
		{[]string{"SEND", "destination:/queue/a", "x:a:b", "y:", "x:again"}, "SEND",
			[][2]string{{"destination", "/queue/a"}, {"x", "a:b"}, {"y", ""}, {"x", "again"}}, ""},
		// A word after -- that looks like a header is body.
		{[]string{"SEND", "--", "k:v", "--"}, "SEND", nil, "k:v --"},
		{[]string{"BEGIN", "transaction:t1", "--"}, "BEGIN", [][2]string{{"transaction", "t1"}}, ""},
	}
	for _, tc := range cases {
		f, err := parseRawArgs(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if f.Command != tc.command {
			t.Errorf("%q: command %q, want %q", tc.args, f.Command, tc.command)
		}
		var hs [][2]string
		for i := 0; i < f.Header.Len(); i++ {
			k, v := f.Header.GetAt(i)
			hs = append(hs, [2]string{k, v})
		}
		if len(hs) != len(tc.headers) {
			t.Errorf("%q: headers %q, want %q", tc.args, hs, tc.headers)
		} else {
			for i := range hs {
				if hs[i] != tc.headers[i] {
					t.Errorf("%q: headers %q, want %q", tc.args, hs, tc.headers)
					break
				}
			}
		}
		if string(f.Body) != tc.body {
			t.Errorf("%q: body %q, want %q", tc.args, f.Body, tc.body)
		}
	}
}

func TestParseRawArgsRefuses(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "Expecting: raw <COMMAND>"},
		{[]string{"CONNECT", "accept-version:1.2"}, "CONNECT is refused: the connection is already open"},
		{[]string{"stomp"}, "STOMP is refused: the connection is already open"},
		{[]string{"SEND", "destination"}, `bad header "destination": write it as key:value`},
		{[]string{"SEND", ":value"}, `bad header ":value"`},
		{[]string{"SE ND"}, "is not a frame command"},
		{[]string{"SEND\nX"}, "is not a frame command"},
	}
	for _, tc := range cases {
		_, err := parseRawArgs(tc.args)
		if !exitcode.Is(err, exitcode.Usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}

func TestRawIsInTheTable(t *testing.T) {
	tb := Commands()
	s, ok := tb.Lookup("raw")
	if !ok {
		t.Fatal("no raw command")
	}
	help, err := tb.Help("raw")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"raw <COMMAND> [key:value]... [-- <body>]", "CONNECT and STOMP are refused", "Example:"} {
		if !strings.Contains(help, want) {
			t.Errorf("help raw lacks %q:\n%s", want, help)
		}
	}
	if s.Group != "Sending" {
		t.Errorf("group %q", s.Group)
	}
}
