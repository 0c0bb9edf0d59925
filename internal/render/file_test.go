package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSaveFileNames: a received file goes into dir under its base name
// only, never over an existing file, and a name that is no usable file
// name (empty, a directory, control characters) is refused.
func TestSaveFileNames(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1700000000, 0)
	body := []byte("aGVsbG8=") // "hello"
	for filename, want := range map[string]string{"../../etc/evil": "evil", "/etc/passwd": "passwd", `a\b`: `a\b`} {
		got, err := SaveFile(dir, filename, body, now)
		if err != nil || got != filepath.Join(dir, want) {
			t.Errorf("SaveFile(%q) = %q, %v; want %q", filename, got, err, want)
		}
	}
	if got, err := SaveFile(dir, "evil", body, now); err != nil || got != filepath.Join(dir, "evil.1700000000") {
		t.Errorf("a second evil: %q, %v", got, err)
	}
	for _, filename := range []string{"", ".", "..", "/", "a\nb", "x\x1b]0;title\x07", "tab\there"} {
		if got, err := SaveFile(dir, filename, body, now); err == nil || !strings.Contains(err.Error(), "no usable name") {
			t.Errorf("SaveFile(%q) = %q, %v; want it refused", filename, got, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files saved, want 4", len(entries))
	}
}
