package frontier

import (
	"github.com/trawl-crawler/trawl/internal/fpset"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// record reads url's record from disk (after pending writes).
func record(t *testing.T, f *Frontier, url string) urlRec {
	t.Helper()
	if _, err := f.Recount(); err != nil {
		t.Fatalf("Recount: %v", err)
	}
	var found urlRec
	ok := false
	err := f.db.View(func(tx *bolt.Tx) error {
		return forEachRecord(tx, func(r urlRec) error {
			if r.url == url {
				found, ok = r, true
			}
			return nil
		})
	})
	if err != nil || !ok {
		t.Fatalf("record of %s: found %v, err %v", url, ok, err)
	}
	return found
}

func depthOpts() Options { return Options{PerHost: 1, ShortestDepth: true, MaxDepth: 5} }

// TestLowerQueued: a queued URL found again at a smaller depth takes that
// depth and parent, and moves up its host's queue (depth, then seq); the
// lowering survives a reopen, and a larger depth changes nothing.
func TestLowerQueued(t *testing.T) {
	f, path := openNew(t, depthOpts())
	add(t, f,
		Item{URL: "http://h/1", Host: "h", Depth: 1, Parent: "p1"},
		Item{URL: "http://h/5", Host: "h", Depth: 5, Parent: "p5"},
		Item{URL: "http://h/3", Host: "h", Depth: 3, Parent: "p3"})
	if n := add(t, f, Item{URL: "http://h/5", Host: "h", Depth: 2, Parent: "short"}); n != 0 {
		t.Fatalf("Add of a known URL = %d new, want 0", n)
	}
	add(t, f, Item{URL: "http://h/5", Host: "h", Depth: 4, Parent: "longer"})
	checkCounts(t, f, Stats{Queued: 3, Hosts: 1})
	f.Close()

	f = open(t, path, depthOpts())
	defer f.Close()
	add(t, f, Item{URL: "http://h/5", Host: "h", Depth: 3, Parent: "longer"})
	var got []Lease
	for range 3 {
		l := next(t, f, t0)
		got = append(got, l)
		complete(t, f, Completion{Lease: l, Outcome: Failed})
	}
	if got[1].URL != "http://h/5" || got[1].Depth != 2 || got[1].Parent != "short" {
		t.Errorf("second lease = %s depth %d parent %q, want http://h/5 depth 2 parent short (order %s, %s, %s)",
			got[1].URL, got[1].Depth, got[1].Parent, got[0].URL, got[1].URL, got[2].URL)
	}
	checkCounts(t, f, Stats{Failed: 3, Hosts: 1})
}

// TestLowerDoneReparse: a fetched page found at a smaller depth is handed
// out again (Reparse, with its locator, before any fetch) and its
// re-extracted children lower their own known children; a page lowered to
// a depth still past MaxDepth is not. A pending
// re-extraction survives a reopen.
func TestLowerDoneReparse(t *testing.T) {
	f, path := openNew(t, depthOpts())
	add(t, f, Item{URL: "http://a/x", Host: "a", Depth: 4}, Item{URL: "http://b/y", Host: "b", Depth: 7})
	for _, want := range []string{"http://a/x", "http://b/y"} {
		l := next(t, f, t0)
		if l.URL != want {
			t.Fatalf("lease %s, want %s", l.URL, want)
		}
		complete(t, f, Completion{Lease: l, Outcome: Done, Locator: []byte("at " + l.URL),
			Children: []Item{{URL: "http://c/" + l.URL[len(l.URL)-1:], Host: "c", Depth: l.Depth + 1}}})
	}
	add(t, f, Item{URL: "http://a/x", Host: "a", Depth: 5}) // deeper: nothing
	add(t, f, Item{URL: "http://a/x", Host: "a", Depth: 1, Parent: "seed"})
	f.Close()

	f = open(t, path, depthOpts())
	defer f.Close()
	l := next(t, f, t0)
	if !l.Reparse || l.URL != "http://a/x" || l.Depth != 1 || l.Parent != "seed" || string(l.Locator) != "at http://a/x" {
		t.Fatalf("lease = %+v, want a Reparse of http://a/x at depth 1 with its locator", l)
	}
	if d, _ := f.Drained(); d {
		t.Error("Drained with a re-extraction handed out")
	}
	complete(t, f, Completion{Lease: l, Outcome: Done, Children: []Item{{URL: "http://c/x", Host: "c", Depth: 2, Parent: "http://a/x"}}})
	if r := record(t, f, "http://c/x"); r.depth != 2 || r.parent != "http://a/x" {
		t.Errorf("child after re-extraction: depth %d parent %q, want 2, http://a/x", r.depth, r.parent)
	}
	// Lowered but still past MaxDepth: the record learns it, nothing is
	// handed out.
	add(t, f, Item{URL: "http://b/y", Host: "b", Depth: 6, Parent: "z"})
	if r := record(t, f, "http://b/y"); r.depth != 6 || r.parent != "z" {
		t.Errorf("y lowered to 6: depth %d parent %q, want 6, z", r.depth, r.parent)
	}
	for _, want := range []string{"http://c/x", "http://c/y"} {
		l := next(t, f, t0)
		if l.Reparse || l.URL != want {
			t.Errorf("lease = %s reparse %v, want %s, fetched", l.URL, l.Reparse, want)
		}
		complete(t, f, Completion{Lease: l, Outcome: Done})
	}
	if _, ok, _, _ := f.Next(t0); ok {
		t.Error("a lease after everything was done")
	}
	if d, _ := f.Drained(); !d {
		t.Error("not Drained at the end")
	}
	checkCounts(t, f, Stats{Done: 4, Hosts: 3})
}

// TestLowerLeased: a URL lowered while leased keeps the lease's depth until
// its completion: Done hands it out again for re-extraction at the new
// depth, Release queues it at the new depth.
func TestLowerLeased(t *testing.T) {
	f := open(t, "", depthOpts())
	defer f.Close()
	add(t, f, Item{URL: "http://a/1", Host: "a", Depth: 3}, Item{URL: "http://b/1", Host: "b", Depth: 3})
	la, lb := next(t, f, t0), next(t, f, t0)
	add(t, f, Item{URL: "http://a/1", Host: "a", Depth: 1}, Item{URL: "http://b/1", Host: "b", Depth: 2})
	complete(t, f, Completion{Lease: la, Outcome: Done})
	complete(t, f, Completion{Lease: lb, Outcome: Release})
	seen := map[string]Lease{}
	for range 2 {
		l := next(t, f, t0)
		seen[l.URL] = l
	}
	if l := seen["http://a/1"]; !l.Reparse || l.Depth != 1 {
		t.Errorf("a/1 after Done = %+v, want a Reparse at depth 1", l)
	}
	if l := seen["http://b/1"]; l.Reparse || l.Depth != 2 {
		t.Errorf("b/1 after Release = %+v, want a fetch at depth 2", l)
	}
	// A re-extraction lowered again while out is handed out once more.
	add(t, f, Item{URL: "http://a/1", Host: "a", Depth: 0})
	complete(t, f, Completion{Lease: seen["http://a/1"], Outcome: Done})
	if l := next(t, f, t0); !l.Reparse || l.Depth != 0 {
		t.Errorf("after a lowering during re-extraction = %+v, want a Reparse at depth 0", l)
	} else {
		complete(t, f, Completion{Lease: l, Outcome: Done})
	}
	complete(t, f, Completion{Lease: seen["http://b/1"], Outcome: Done})
	checkCounts(t, f, Stats{Done: 2, Hosts: 2})
}

// TestNoShortestDepth: without the option a known URL keeps its first
// depth (and the seen-set has no payloads).
func TestNoShortestDepth(t *testing.T) {
	f := open(t, "", Options{})
	defer f.Close()
	add(t, f, Item{URL: "http://h/1", Host: "h", Depth: 3})
	add(t, f, Item{URL: "http://h/1", Host: "h", Depth: 1})
	if l := next(t, f, t0); l.Depth != 3 {
		t.Errorf("depth = %d, want the first, 3", l.Depth)
	}
	if f.seen.Payloads() {
		t.Error("seen-set has payloads")
	}
}

// TestMigrateSchema3 opens a schema 3 file (testdata/schema3.db, written by
// the schema 3 code at b5ae721: 16 URLs on 4 hosts at depths 0–4, one
// done, one failed, one retry, three leased by epoch 1): the seen log gains
// the records' depths, so a smaller depth lowers and a larger one does not.
func TestMigrateSchema3(t *testing.T) {
	path := copyFixture(t, "testdata/schema3.db")
	f := open(t, path, Options{PerHost: 4, ShortestDepth: true, MaxDepth: 10})
	defer f.Close()
	checkCounts(t, f, Stats{Queued: 14, Done: 1, Failed: 1, Retries: 1, Hosts: 4, Bytes: 100})
	if got := metaStr(t, f, "k"); got != "v" {
		t.Errorf("Meta(k) = %q, want v", got)
	}
	if n := add(t, f, Item{URL: "http://d.example/p3", Host: "d.example", Depth: 9}); n != 0 {
		t.Errorf("Add of a URL the schema 3 file knew = %d new, want 0", n)
	}
	if r := record(t, f, "http://d.example/p3"); r.depth != 4 {
		t.Errorf("d.example/p3 depth = %d after a deeper Add, want 4", r.depth)
	}
	add(t, f, Item{URL: "http://d.example/p3", Host: "d.example", Depth: 1})
	if r := record(t, f, "http://d.example/p3"); r.depth != 1 {
		t.Errorf("d.example/p3 depth = %d after a shorter Add, want 1", r.depth)
	}
	if n := add(t, f, Item{URL: "http://e.example/", Host: "e.example"}); n != 1 {
		t.Errorf("Add of a new URL = %d, want 1", n)
	}
	checkCounts(t, f, Stats{Queued: 15, Done: 1, Failed: 1, Retries: 1, Hosts: 5, Bytes: 100})
}

// TestPayloadSurvivesGrowth: seqs and depths move with their keys when
// shards grow.
func TestPayloadSurvivesGrowth(t *testing.T) {
	s := fpset.New(true)
	defer s.Free()
	const n = 200_000
	for i := range uint64(n) {
		ref, fresh, err := s.Find(fingerprint(strconv.FormatUint(i, 10)))
		if err != nil || !fresh {
			t.Fatalf("find %d: fresh %v, err %v", i, fresh, err)
		}
		setSeqDepth(ref, i+1, int(i%70))
	}
	for i := range uint64(n) {
		ref, ok := s.Lookup(fingerprint(strconv.FormatUint(i, 10)))
		if !ok {
			t.Fatalf("fingerprint %d lost", i)
		}
		if seq, d := seqDepth(ref); seq != i+1 || d != min(int(i%70), depthSat) {
			t.Fatalf("slot %d: seq %d depth %d, want %d, %d", i, seq, d, i+1, min(int(i%70), depthSat))
		}
	}
}
