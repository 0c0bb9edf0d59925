package render

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// SaveFile writes a received sendfile message: the body is base64 (as
// stomp.py sends it) and the file goes into dir under the base name of the
// sender's filename only, so a sender can never write outside dir, and an
// existing file is never overwritten: the name gets stomp.py's
// .<unix-seconds> suffix, then a counter. It returns the name written.
func SaveFile(dir, filename string, body []byte, now time.Time) (string, error) {
	base := filepath.Base(filepath.Clean("/" + filepath.ToSlash(filename)))
	// A control character in a name (a newline, an ESC) would go into
	// "Saved file: NAME" and into every listing of the directory.
	if base == "/" || base == "." || base == ".." || strings.ContainsFunc(base, unicode.IsControl) {
		return "", fmt.Errorf("received file has no usable name (%q)", filename)
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(data, trimSpace(body))
	if err != nil {
		return "", fmt.Errorf("received file %s is not valid base64: %v", base, err)
	}
	candidates := []string{base, base + "." + strconv.FormatInt(now.Unix(), 10)}
	for i := 1; i <= 100; i++ {
		candidates = append(candidates, fmt.Sprintf("%s.%d.%d", base, now.Unix(), i))
	}
	for _, name := range candidates {
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("cannot save received file %s: %v", name, err)
		}
		_, werr := f.Write(data[:n])
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", fmt.Errorf("cannot save received file %s: %v", name, werr)
		}
		if dir == "." || dir == "" {
			return name, nil
		}
		return path, nil
	}
	return "", fmt.Errorf("cannot save received file %s: too many files with that name already", base)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
