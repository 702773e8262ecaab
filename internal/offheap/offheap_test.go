package offheap

import "testing"

// TestAllocFree: Alloc hands out n zeroed, writable bytes (a fresh
// mapping after a Free reads zero again), and nothing for n <= 0.
func TestAllocFree(t *testing.T) {
	for range 2 {
		b, err := Alloc(3 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 3<<20 {
			t.Fatalf("len %d, want %d", len(b), 3<<20)
		}
		for i := 0; i < len(b); i += 4096 {
			if b[i] != 0 {
				t.Fatalf("byte %d is %d, want 0", i, b[i])
			}
			b[i] = 0xff
		}
		Free(b)
	}
	if b, err := Alloc(0); b != nil || err != nil {
		t.Fatalf("Alloc(0) = %d bytes, %v", len(b), err)
	}
	Free(nil)
}
