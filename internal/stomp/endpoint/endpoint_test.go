package endpoint

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want URL
	}{
		{"stomp://broker:61613", URL{Scheme: "stomp", Host: "broker", Port: "61613"}},
		{"stomp://alice@broker/prod", URL{Scheme: "stomp", Host: "broker", User: "alice", Vhost: "prod", HasVhost: true}},
		{"stomp://alice:s3cret@broker/%2F", URL{Scheme: "stomp", Host: "broker", User: "alice", Password: "s3cret", HasPassword: true, Vhost: "/", HasVhost: true}},
		{"stomp+ssl://[::1]:61614", URL{Scheme: "stomp+ssl", Host: "::1", Port: "61614"}},
		{"STOMPS://h", URL{Scheme: "stomp+ssl", Host: "h"}},
		{"ws://127.0.0.1:15674/ws", URL{Scheme: "ws", Host: "127.0.0.1", Port: "15674", Path: "/ws"}},
		{"wss://u@h/stomp?vhost=v1", URL{Scheme: "wss", Host: "h", User: "u", Path: "/stomp", Vhost: "v1", HasVhost: true}},
		{"ws://h", URL{Scheme: "ws", Host: "h", Path: "/"}},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseErrorsHidePassword(t *testing.T) {
	for _, in := range []string{"http://h", "stomp://u:topsecret@h:99999", "stomp://u:topsecret@:1", "stomp://u:topsecret@h:1/%zz", "broker"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q): no error", in)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("Parse(%q) error shows the password: %v", in, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"stomp://u:p@h/v":    "stomp://u:********@h/v",
		"stomp://u@h":        "stomp://u@h",
		"ws://h/ws?x=a@b":    "ws://h/ws?x=a@b",
		"wss://u:p:q@h:1/ws": "wss://u:********@h:1/ws",
		"not a url":          "not a url",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFailoverList(t *testing.T) {
	ok := []struct {
		in   []string
		want string
	}{
		{[]string{"a"}, "a"},
		{[]string{"a,b:61614", "c"}, "a b:61614 c"},
		{[]string{"failover:(tcp://a:61613,tcp://b:61613)?randomize=false"}, "a:61613 b:61613"},
		{[]string{"failover:tcp://a:1"}, "a:1"},
		{[]string{"stomp://u:p@h:1/v"}, "stomp://u:p@h:1/v"},
	}
	for _, c := range ok {
		got, err := FailoverList(c.in)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("FailoverList(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := map[string][]string{
		`empty broker in -H "a,,b"`:         {"a,,b"},
		`not URLs ("stomp://u:********@h")`: {"a", "stomp://u:secret@h"},
	}
	for want, in := range bad {
		_, err := FailoverList(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("FailoverList(%q): got %v, want an error containing %q", in, err, want)
		}
	}
}
