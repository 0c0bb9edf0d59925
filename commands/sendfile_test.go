package commands

import (
	"encoding/base64"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// encodeFile must give exactly what stomp.py sends (standard base64 with
// padding) for every length modulo 3 and across io.Copy's buffer size.
func TestEncodeFileMatchesBase64(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 32*1024 - 1, 32 * 1024, 32*1024 + 1, 1<<20 + 2} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := encodeFile(path)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if want := base64.StdEncoding.EncodeToString(data); string(got) != want {
			t.Fatalf("%d bytes: encoding differs from base64.StdEncoding (%d vs %d bytes)", n, len(got), len(want))
		}
	}
}

// BenchmarkEncodeFile reports what sendfile allocates for a 10 MB file:
// about its 13.3 MB encoding, once.
func BenchmarkEncodeFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 10<<20), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(10 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeFile(path); err != nil {
			b.Fatal(err)
		}
	}
}
