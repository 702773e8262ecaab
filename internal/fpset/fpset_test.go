package fpset

import (
	"math/rand/v2"
	"testing"
)

// has reports whether fp is in the set (tests only).
func (s *Set) has(fp uint64) bool {
	_, ok := s.Lookup(fp)
	return ok
}

// TestFPSet checks the set against a map: random fingerprints, then ones
// crowded into one shard and onto neighbouring slots (long probe runs,
// wrap-around, growth from heap tables into mapped ones).
func TestFPSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s Set
	defer s.Free()
	want := map[uint64]bool{}
	check := func(fp uint64) {
		t.Helper()
		fresh, err := s.Add(fp)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == want[fp] {
			t.Fatalf("add(%x) = %v, map says seen=%v", fp, fresh, want[fp])
		}
		want[fp] = true
	}
	var added []uint64
	for range 200_000 {
		fp := r.Uint64()
		if len(added) > 0 && r.IntN(10) == 0 {
			fp = added[r.IntN(len(added))] // seen already
		}
		check(fp)
		added = append(added, fp)
	}
	// 4,000 in one shard (top bits 0xabc), all starting in the last eighth
	// of the table: the cluster wraps past the last slot, and the shard
	// grows from a heap table into a mapped one.
	for i := range 4_000 {
		check(0xabc<<52 | uint64(0xe000_0000|r.Uint32()&0x1fff_ffff)<<16 | uint64(i))
	}
	if s.n != len(want) {
		t.Fatalf("n = %d, map holds %d", s.n, len(want))
	}
	var fps0 uint64
	for fp := range want {
		fps0 = fp
		break
	}
	for fp := range want {
		if !s.has(fp) {
			t.Fatalf("has(%x) = false after add", fp)
		}
	}
	misses := 0
	for range 100_000 {
		fp := r.Uint64()
		if s.has(fp) != want[fp] {
			t.Fatalf("has(%x) = %v, map says %v", fp, s.has(fp), want[fp])
		}
		if !want[fp] {
			misses++
		}
	}
	if misses == 0 {
		t.Fatal("no misses probed")
	}
	if sh := &s.shards[0xabc]; sh.mapped == nil || sh.size < 4_000 {
		t.Errorf("crowded shard: %d slots, mapped=%v; want a mapped table", sh.size, sh.mapped != nil)
	}
	if b := s.Bytes(); b < int64(len(want))*fpSlotBytes || b > int64(len(want))*fpSlotBytes*2+fpShards*fpMappedBytes {
		t.Errorf("bytes = %d for %d fingerprints", b, len(want))
	}
	s.Free()
	if s.n != 0 || s.has(fps0) {
		t.Error("set not empty after free")
	}
}

// TestFPSetKeyZero: a fingerprint whose low 48 bits are 0 is stored as 1,
// so it and the fingerprint ending in 1 count as one (a false "seen" the
// collision estimate covers), and neither reads as an empty slot.
// TestFPSetReserve: a reserved set holds what it reserved for without
// growing, and still answers like a fresh one.
func TestFPSetReserve(t *testing.T) {
	var s Set
	defer s.Free()
	if err := s.Reserve(100_000); err != nil {
		t.Fatal(err)
	}
	sizes := make([]int, fpShards)
	for i := range s.shards {
		sizes[i] = s.shards[i].size
	}
	r := rand.New(rand.NewPCG(5, 6))
	fps := make([]uint64, 80_000)
	for i := range fps {
		fps[i] = r.Uint64()
		if fresh, err := s.Add(fps[i]); err != nil || !fresh {
			t.Fatalf("add #%d: fresh=%v err=%v", i, fresh, err)
		}
	}
	grown := 0
	for i := range s.shards {
		if s.shards[i].size != sizes[i] {
			grown++
		}
	}
	if grown > fpShards/100 {
		t.Errorf("%d of %d shards grew below the reserved count", grown, fpShards)
	}
	for _, fp := range fps {
		if !s.has(fp) {
			t.Fatalf("has(%x) = false", fp)
		}
	}
}

func TestFPSetKeyZero(t *testing.T) {
	var s Set
	defer s.Free()
	if fresh, _ := s.Add(7 << 52); !fresh || !s.has(7<<52) || !s.has(7<<52|1) {
		t.Fatal("key 0 not stored as 1")
	}
	if fresh, _ := s.Add(7<<52 | 1); fresh {
		t.Error("key 1 after key 0 counted as new")
	}
	if s.has(8<<52) || s.has(7<<52|2) {
		t.Error("has: false positive in another shard or for another key")
	}
}

// BenchmarkFPSet measures lookups (90% hits, as for a page's links) in a
// set of 1M fingerprints.
func BenchmarkFPSet(b *testing.B) { benchFPSet(b, false) }

// BenchmarkFPSetPayloads is BenchmarkFPSet with payloads (a frontier
// keeping shortest depths), reading a hit's payload as a rediscovery does.
func BenchmarkFPSetPayloads(b *testing.B) { benchFPSet(b, true) }

func benchFPSet(b *testing.B, payloads bool) {
	r := rand.New(rand.NewPCG(3, 4))
	s := New(payloads)
	defer s.Free()
	fps := make([]uint64, 1_000_000)
	for i := range fps {
		fps[i] = r.Uint64() | 1
		ref, _, err := s.Find(fps[i])
		if err != nil {
			b.Fatal(err)
		}
		if payloads {
			ref.SetPayload(uint64(i + 1))
		}
	}
	b.ResetTimer()
	var sum uint64
	for i := range b.N {
		fp := fps[i%len(fps)]
		if i%10 == 9 {
			fp = r.Uint64() | 1
		}
		if ref, ok := s.Lookup(fp); ok && payloads {
			sum += ref.Payload()
		}
	}
	_ = sum
	b.ReportMetric(float64(s.Bytes())/float64(s.n), "bytes/url")
}
