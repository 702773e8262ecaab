package storage

import (
	"encoding/binary"

	"github.com/trawl-crawler/trawl/internal/offheap"
)

// digestTable is the digest index's memory: an open-addressing hash table
// from the first 8 bytes of a body's SHA-256 to a packed block position,
// 16 bytes a slot (key, then value, little-endian), at most 3/4 full:
// 21–43 bytes per body. Keys are already uniformly random, so they are
// their own hash. A key of 0 marks an empty slot; a digest whose prefix is
// 0 is stored as 1 (the caller confirms every hit against the stored
// record's full digest anyway).
//
// The slots live outside the Go heap (internal/offheap) when a mapping is
// available: at a million bodies the table is 32 MiB, and on the heap it
// would count twice in RSS, since cmd/trawl's soft memory limit follows
// twice the live heap (docs/STORAGE.md, "Memory"). free must run once the
// table is no longer used (digestIndex.close).
type digestTable struct {
	slots  []byte // size*digestSlot bytes
	size   int    // slots, a power of two (0 before the first put)
	n      int    // keys held
	mapped []byte // the mapping behind slots; nil if slots is on the heap
}

const digestSlot = 16

func tableKey(k digestKey) uint64 {
	v := binary.BigEndian.Uint64(k[:8])
	if v == 0 {
		v = 1
	}
	return v
}

func (t *digestTable) key(i uint64) uint64 { return binary.LittleEndian.Uint64(t.slots[i*digestSlot:]) }

func (t *digestTable) val(i uint64) uint64 {
	return binary.LittleEndian.Uint64(t.slots[i*digestSlot+8:])
}

func (t *digestTable) set(i, k, v uint64) {
	binary.LittleEndian.PutUint64(t.slots[i*digestSlot:], k)
	binary.LittleEndian.PutUint64(t.slots[i*digestSlot+8:], v)
}

func (t *digestTable) get(k uint64) (uint64, bool) {
	if t.size == 0 {
		return 0, false
	}
	mask := uint64(t.size - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.key(i) {
		case k:
			return t.val(i), true
		case 0:
			return 0, false
		}
	}
}

// put stores v under k unless k is there; it reports whether it stored.
func (t *digestTable) put(k, v uint64) bool {
	if (t.n+1)*4 > t.size*3 {
		t.grow()
	}
	mask := uint64(t.size - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.key(i) {
		case k:
			return false
		case 0:
			t.set(i, k, v)
			t.n++
			return true
		}
	}
}

// grow moves the table to twice its slots. Where a mapping cannot be had
// (address space exhausted, a limit), the new table goes on the heap:
// dedup is worth the memory, and a failed put would only lose it.
func (t *digestTable) grow() {
	size := max(1024, 2*t.size)
	old := *t
	mapped, err := offheap.Alloc(size * digestSlot)
	slots := mapped
	if err != nil {
		mapped, slots = nil, make([]byte, size*digestSlot)
	}
	*t = digestTable{slots: slots, size: size, mapped: mapped}
	for i := range uint64(old.size) {
		if k := old.key(i); k != 0 {
			t.put(k, old.val(i))
		}
	}
	old.free()
}

// free releases the table's memory; the table is empty after.
func (t *digestTable) free() {
	if t.mapped != nil {
		offheap.Free(t.mapped)
	}
	*t = digestTable{}
}
