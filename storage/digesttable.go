package storage

// digestTable is the digest index's memory: an open-addressing hash table
// from the first 8 bytes of a body's SHA-256 to a packed block position,
// in two pointer-free slices (16 bytes a slot, at most 3/4 full: 21–43
// bytes per body, and nothing for the garbage collector to scan). Keys are
// already uniformly random, so they are their own hash. A key of 0 marks an
// empty slot; a digest whose prefix is 0 is stored as 1 (the caller
// confirms every hit against the stored record's full digest anyway).
type digestTable struct {
	keys []uint64
	vals []uint64
	n    int
}

func tableKey(k digestKey) uint64 {
	v := uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32 |
		uint64(k[4])<<24 | uint64(k[5])<<16 | uint64(k[6])<<8 | uint64(k[7])
	if v == 0 {
		v = 1
	}
	return v
}

func (t *digestTable) get(k uint64) (uint64, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	mask := uint64(len(t.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}

// put stores v under k unless k is there; it reports whether it stored.
func (t *digestTable) put(k, v uint64) bool {
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return false
		case 0:
			t.keys[i], t.vals[i] = k, v
			t.n++
			return true
		}
	}
}

func (t *digestTable) grow() {
	size := max(1024, 2*len(t.keys))
	old := *t
	*t = digestTable{keys: make([]uint64, size), vals: make([]uint64, size)}
	for i, k := range old.keys {
		if k != 0 {
			t.put(k, old.vals[i])
		}
	}
}
