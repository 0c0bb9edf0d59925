package commands

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestHeadersJSONWritesValuesAsStompPyDoes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.json")
	json := `{"s": "text", "i": 5, "f": 1000.0, "g": 0.5, "e": 1e20, "small": 0.00001, "t": true, "n": false, "z": null}`
	if err := os.WriteFile(path, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := readHeadersJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"e", "1e+20"}, {"f", "1000.0"}, {"g", "0.5"}, {"i", "5"}, {"n", "False"},
		{"s", "text"}, {"small", "1e-05"}, {"t", "True"}} // null: no header, as stomp.py sends none
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if err := os.WriteFile(path, []byte(`{"nested": {"a": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readHeadersJSON(path); err == nil {
		t.Fatal("a nested object was accepted")
	}
	if err := os.WriteFile(path, []byte(`not json`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readHeadersJSON(path); err == nil {
		t.Fatal("invalid JSON was accepted")
	}
}

// TestHeadersJSONShownAsStompPy: sendfile prints "Using headers" with the
// object as stomp.py prints it, Python's str() of what json.load returns.
func TestHeadersJSONShownAsStompPy(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	for _, js := range []string{
		`{"x-source": "corpus", "priority-label": "high", "count": 3}`,
		`{"b": 2.5, "a": true, "n": null, "f": false, "big": 123456789012345678901234567890}`,
		`{"q": "it's", "d": "say \"hi\"", "both": "it's \"x\"", "nl": "a\nb\tc\\", "u": "ü✓ 日本", "c": "\u0001\u007f"}`,
		`{"a": 1, "b": 2, "a": 3}`,
		`{}`,
	} {
		path := filepath.Join(t.TempDir(), "h.json")
		if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := exec.Command(py, "-c", "import json,sys; print(str(json.load(open(sys.argv[1]))))", path).Output()
		if err != nil {
			t.Fatal(err)
		}
		_, shown, err := readHeadersJSON(path)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if shown != strings.TrimSuffix(string(want), "\n") {
			t.Errorf("%s: shown as %s, stomp.py shows %s", js, shown, want)
		}
	}
}
