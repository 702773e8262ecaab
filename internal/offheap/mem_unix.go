//go:build unix

package offheap

import "syscall"

// mapBytes returns n zeroed bytes in an anonymous private mapping outside
// the Go heap; unmapBytes releases them.
func mapBytes(n int) ([]byte, error) {
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
}

func unmapBytes(m []byte) { _ = syscall.Munmap(m) }
