package commands

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestHeadersJSONWritesValuesAsStompPyDoes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.json")
	json := `{"s": "text", "i": 5, "f": 1000.0, "g": 0.5, "e": 1e20, "small": 0.00001, "t": true, "n": false, "z": null}`
	if err := os.WriteFile(path, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readHeadersJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"e", "1e+20"}, {"f", "1000.0"}, {"g", "0.5"}, {"i", "5"}, {"n", "False"},
		{"s", "text"}, {"small", "1e-05"}, {"t", "True"}, {"z", "None"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if err := os.WriteFile(path, []byte(`{"nested": {"a": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readHeadersJSON(path); err == nil {
		t.Fatal("a nested object was accepted")
	}
	if err := os.WriteFile(path, []byte(`not json`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readHeadersJSON(path); err == nil {
		t.Fatal("invalid JSON was accepted")
	}
}
