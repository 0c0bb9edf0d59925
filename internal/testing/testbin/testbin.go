// Package testbin builds the stomp binary for tests that run it as a
// separate process (in a terminal, or next to stomp.py), and starts such a
// process and waits until it is ready (StartAndWaitFor).
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles the module's main package into dir and returns the
// binary's path. With race, the binary has the race detector too, so a
// data race that a test provokes in it fails that test.
func Build(dir string, race bool) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stomp")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", root, err, out)
	}
	return bin, nil
}

// RepoRoot is the directory holding go.mod.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	p := strings.TrimSpace(string(out))
	if p == "" || p == os.DevNull {
		return "", fmt.Errorf("not inside the stomp module")
	}
	return filepath.Dir(p), nil
}
