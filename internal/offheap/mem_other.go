//go:build !unix

package offheap

// mapBytes falls back to the Go heap where anonymous mappings are not
// available through package syscall.
func mapBytes(n int) ([]byte, error) { return make([]byte, n), nil }

func unmapBytes([]byte) {}
