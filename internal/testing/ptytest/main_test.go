package ptytest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stomp-cli/stomp/internal/testing/testbin"
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
	stompBin, buildErr = testbin.Build(dir, false)
	if buildErr != nil {
		fmt.Fprintln(os.Stderr, "ptytest:", buildErr)
		return 1
	}
	tmuxBin, _ = exec.LookPath("tmux")
	return m.Run()
}
