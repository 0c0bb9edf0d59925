package model

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the child killed when the test process dies (a panic, a
// -timeout), so that no broker or listener outlives the test.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
