// Package offheap hands out zeroed byte slices from anonymous memory
// mappings outside the Go heap, for large pointer-free tables that live as
// long as a crawl (the frontier's seen-set, the page store's digest
// index).
//
// Why: trawl's soft memory limit follows twice the live heap (cmd/trawl),
// so every byte of a long-lived table on the heap costs two bytes of RSS.
// A mapping costs its size once, the collector neither scans nor counts
// it, and unmapping returns it to the system at once. The price is
// explicit lifetime: a caller must Free what it got exactly once, and
// never touch it after (a read of an unmapped slice faults).
package offheap

// Alloc returns n zeroed bytes. On Unix they are an anonymous private
// mapping; elsewhere (and for n == 0) they are an ordinary heap slice,
// which Free ignores.
func Alloc(n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	return mapBytes(n)
}

// Free releases b, which must come from Alloc and not be used after.
func Free(b []byte) {
	if len(b) > 0 {
		unmapBytes(b)
	}
}
