package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a test binary that dies (a timeout panic) take its
// server along.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
