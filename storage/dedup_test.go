package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestDedupStoresIdenticalBodiesOnce: the second and third copies of a body
// are revisits of the first (smaller blocks); the reader gives every
// record its body and names the original; rotation does not break refs.
func TestDedupStoresIdenticalBodiesOnce(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{SegmentSize: 30 << 10})
	a, b, c, d := testRecord(1, 20<<10), testRecord(2, 20<<10), testRecord(3, 20<<10), testRecord(4, 100)
	b.Body, c.Body = a.Body, a.Body
	d2 := testRecord(5, 100)
	d2.Body = d.Body // below MinDedupBody: stored twice
	cps := dedupRecs(t, s, a, b, c, d, d2)
	closeAt(t, s, cps[len(cps)-1])
	if b.Revisit == nil || c.Revisit == nil || a.Revisit != nil || d2.Revisit != nil {
		t.Fatalf("revisits: a %v b %v c %v d2 %v", a.Revisit, b.Revisit, c.Revisit, d2.Revisit)
	}
	got := scanAll(t, dir)
	for i, want := range []*Record{a, b, c, d, d2} {
		if !bytes.Equal(got[i].Body, want.Body) || got[i].SHA256 != want.SHA256 {
			t.Errorf("record %d: body %d bytes, want %d", i, len(got[i].Body), len(want.Body))
		}
	}
	for _, i := range []int{1, 2} {
		rv := got[i].Revisit
		if rv == nil || rv.Profile != ProfileIdenticalPayload || rv.URL != a.URL || !rv.FetchedAt.Equal(a.FetchedAt) || rv.Status != a.Status {
			t.Errorf("record %d: revisit %+v, want one of %s", i, rv, a.URL)
		}
	}
	// Stored bytes: the two copies cost a few hundred bytes each, not 20 KB.
	r, _ := OpenReader(dir)
	if _, n := r.Count(); n > 2*(20<<10) {
		t.Fatalf("store holds %d bytes for two distinct 20 KB bodies", n)
	}
}

// TestDedupIndexForgetsUncommittedBlocks: a body whose block lies past the
// committed checkpoint (a crash before the frontier commit) is no dedup
// target after reopening, because its position is reused; committed ones
// still are, and a torn log tail is ignored.
func TestDedupIndexForgetsUncommittedBlocks(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	x, y := testRecord(1, 4<<10), testRecord(2, 4<<10)
	cps := dedupRecs(t, s, x, y)
	// committed = after x only; y's block is beyond it.
	closeAt(t, s, cps[0])
	if err := os.WriteFile(filepath.Join(dir, digestsFile), append(mustRead(t, filepath.Join(dir, digestsFile)), 1, 2, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, cps[0], Options{})
	if n := s.idx.len(); n != 1 {
		t.Fatalf("index holds %d bodies after reopening at the first checkpoint, want 1", n)
	}
	x2, y2 := testRecord(3, 4<<10), testRecord(4, 4<<10)
	x2.Body, y2.Body = x.Body, y.Body
	z := testRecord(5, 4<<10)
	cps = dedupRecs(t, s, z, x2, y2)
	closeAt(t, s, cps[len(cps)-1])
	if x2.Revisit == nil {
		t.Fatal("committed body not found after reopening")
	}
	if y2.Revisit != nil {
		t.Fatalf("y2 refers to %+v: a block that was truncated away", y2.Revisit.Ref)
	}
	got := scanAll(t, dir)
	if len(got) != 4 || !bytes.Equal(got[2].Body, x.Body) || !bytes.Equal(got[3].Body, y.Body) {
		t.Fatalf("read back %d records", len(got))
	}
	// Fresh start (nil checkpoint) forgets everything.
	s = openStore(t, dir, nil, Options{})
	defer s.Close()
	if n := s.idx.len(); n != 0 {
		t.Fatalf("index holds %d bodies after a fresh start", n)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkDigestIndexMemory reports the memory one indexed body costs
// on the heap and in the table's mapping (the digest index is what dedup
// keeps in memory per stored page).
func BenchmarkDigestIndexMemory(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		dir := b.TempDir()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x, err := openDigestIndex(filepath.Join(dir, digestsFile), position{})
		if err != nil {
			b.Fatal(err)
		}
		var k digestKey
		for i := range n {
			binary.BigEndian.PutUint64(k[:], uint64(i)*0x9e3779b97f4a7c15)
			if err := x.add(k, 1, int64(i)*4096); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/body")
		b.ReportMetric(float64(len(x.m.mapped))/n, "mapped-B/body")
		x.close()
		fi, _ := os.Stat(filepath.Join(dir, digestsFile))
		b.ReportMetric(float64(fi.Size())/n, "log-B/body")
		runtime.KeepAlive(x)
	}
}

// TestDigestTable: every key put is found with its first value, across
// growth; absent keys are not; the zero key is stored as 1.
func TestDigestTable(t *testing.T) {
	var tb digestTable
	for i := uint64(1); i <= 5000; i++ {
		if !tb.put(i*0x9e3779b97f4a7c15|1, i) {
			t.Fatalf("put %d refused", i)
		}
	}
	if tb.put(1*0x9e3779b97f4a7c15|1, 99) {
		t.Fatal("a second put of a key stored")
	}
	for i := uint64(1); i <= 5000; i++ {
		if v, ok := tb.get(i*0x9e3779b97f4a7c15 | 1); !ok || v != i {
			t.Fatalf("get %d = %d, %v", i, v, ok)
		}
	}
	if _, ok := tb.get(2); ok {
		t.Fatal("absent key found")
	}
	if tableKey(digestKey{}) != 1 {
		t.Fatal("zero digest prefix not mapped to 1")
	}
}

// TestDigestTableOffHeap: a large table lives in a mapping, not on the Go
// heap (the soft memory limit counts the heap twice: cmd/trawl), and
// closing the index frees it, after which lookups find nothing.
func TestDigestTableOffHeap(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no anonymous mappings here: the table is on the heap")
	}
	const n = 150_000 // 2^18 slots: 4 MiB of table
	x, err := openDigestIndex(filepath.Join(t.TempDir(), digestsFile), position{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var k digestKey
	for i := range n {
		binary.BigEndian.PutUint64(k[:], uint64(i+1)*0x9e3779b97f4a7c15)
		if err := x.add(k, 1, int64(i)*4096); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	table := len(x.m.slots)
	if table < 4<<20 || len(x.m.mapped) != table {
		t.Fatalf("table of %d bytes, %d of them mapped: want ≥ 4 MiB, all mapped", table, len(x.m.mapped))
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > int64(table)/4 {
		t.Fatalf("heap grew %d bytes for a %d-byte table: the table is on the heap", grew, table)
	}
	binary.BigEndian.PutUint64(k[:], 1*0x9e3779b97f4a7c15)
	if _, ok := x.lookup(k); !ok {
		t.Fatal("an indexed digest is not found")
	}
	if err := x.close(); err != nil {
		t.Fatal(err)
	}
	if x.m.mapped != nil || x.m.size != 0 {
		t.Fatal("close left the table mapped")
	}
	if _, ok := x.lookup(k); ok {
		t.Fatal("a lookup after close found a digest")
	}
}

// TestDedupConfirmsFullDigest: an index entry whose 8-byte key matches but
// whose stored record has another digest (what a prefix collision would
// look like) is not used.
func TestDedupConfirmsFullDigest(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	defer s.Close()
	a := testRecord(1, 4<<10)
	dedupRecs(t, s, a)
	b := testRecord(2, 4<<10)
	sum := sha256.Sum256(b.Body)
	b.SHA256 = hex.EncodeToString(sum[:])
	var k digestKey
	copy(k[:], sum[:])
	s.idx.mu.Lock()
	s.idx.m.put(tableKey(k), packPos(1, 0)) // b's digest, a's block
	s.idx.mu.Unlock()
	if s.Dedup(b) {
		t.Fatalf("b deduplicated against a block holding another body: %+v", b.Revisit)
	}
	a2 := testRecord(3, 4<<10)
	a2.Body = a.Body
	if !s.Dedup(a2) {
		t.Fatal("a real duplicate was not found")
	}
}
