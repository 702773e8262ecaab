package frontier

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestDropMappedPages: pages of the bbolt file read through its map count
// in RSS until the writer drops them; the next commit after they pass
// dropAbove does.
func TestDropMappedPages(t *testing.T) {
	if _, ok := residentFile(); !ok {
		t.Skip("no /proc/self/statm")
	}
	// The writer looks at most every checkEvery. Rather than wait that long,
	// the test makes the writer's next commit look: BeforeCommit runs on the
	// writer's goroutine, which owns lastCheck.
	var f *Frontier
	var lookNow atomic.Bool
	f = open(t, "", Options{BeforeCommit: func() error {
		if lookNow.Load() {
			f.w.lastCheck = time.Time{}
		}
		return nil
	}})
	defer f.Close()
	var items []Item
	for i := range 300_000 {
		items = append(items, Item{URL: fmt.Sprintf("https://host%d.example/a-longer-path/to/page/%d", i%500, i), Host: fmt.Sprintf("host%d.example", i%500)})
	}
	add(t, f, items...)
	before, _ := residentFile()
	// Read every record and queue entry through the map.
	n := 0
	if err := f.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktRecords, bktQueue} {
			if err := tx.Bucket(b).ForEach(func(k, v []byte) error { n += len(k) + len(v); return nil }); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	touched, _ := residentFile()
	if touched-before < dropAbove {
		t.Skipf("reading %d bytes of records and queue mapped only %d bytes; nothing to drop", n, touched-before)
	}
	lookNow.Store(true)
	add(t, f, item("x", 1, 0)) // a commit: the writer looks and drops (after notifying)
	// The writer commits one batch at a time, so once a second commit is
	// durable the first one's drop is over.
	add(t, f, item("x", 2, 0))
	after, _ := residentFile()
	if after > before+dropAbove/2 {
		t.Errorf("file-backed RSS %d MiB after the commit, %d before reading, %d after: not dropped", after>>20, before>>20, touched>>20)
	}
}
