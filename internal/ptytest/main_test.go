package ptytest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// stompBin is the stomp binary built once for all tests ("" when the build
// failed; buildErr says why).
var (
	stompBin string
	buildErr error
	tmuxBin  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stomp-ptytest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ptytest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	stompBin, buildErr = build(dir)
	if buildErr != nil {
		fmt.Fprintln(os.Stderr, "ptytest:", buildErr)
		return 1
	}
	tmuxBin, _ = exec.LookPath("tmux")
	return m.Run()
}

// build compiles the module's main package into dir.
func build(dir string) (string, error) {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the source tree")
	}
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(dir, "stomp")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}
