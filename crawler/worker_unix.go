//go:build unix

package crawler

import (
	"os"
	"syscall"
)

// flockNB takes an exclusive flock on f without waiting.
func flockNB(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }
