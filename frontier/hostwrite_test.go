package frontier

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestDoneLeavesHostRecord: a completion that queues nothing again and
// carries no host update does not rewrite its host's record (with thousands
// of hosts, that was one more dirty page per page crawled); a Release
// does (its queue count changed).
func TestDoneLeavesHostRecord(t *testing.T) {
	f := open(t, "", Options{})
	defer f.Close()
	var items []Item
	for i := range 300 { // enough hosts that the hosts bucket is a tree, not inline
		items = append(items, Item{URL: fmt.Sprintf("http://h%d.test/", i), Host: fmt.Sprintf("h%d.test", i)})
	}
	add(t, f, items...)
	root := func() uint64 {
		// The leases' ops commit first (a barrier), then the bucket's
		// root page: bbolt copies every page it rewrites, root included.
		if err := f.SetMeta(context.Background(), "barrier", nil); err != nil {
			t.Fatal(err)
		}
		var r uint64
		if err := f.db.View(func(tx *bolt.Tx) error { r = uint64(tx.Bucket(bktHosts).Root()); return nil }); err != nil {
			t.Fatal(err)
		}
		if r == 0 {
			t.Fatal("the hosts bucket is inline: the test cannot see a rewrite")
		}
		return r
	}
	done, released := next(t, f, t0), next(t, f, t0)
	before := root()
	complete(t, f, Completion{Lease: done, Outcome: Done, Status: 200})
	if after := root(); after != before {
		t.Errorf("a Done completion rewrote the hosts bucket (root page %d, was %d)", after, before)
	}
	complete(t, f, Completion{Lease: released, Outcome: Release})
	if after := root(); after == before {
		t.Errorf("a Release left the hosts bucket as it was: its queue count is stale on disk")
	}
	if rc, err := f.Recount(); err != nil || rc != f.Stats() {
		t.Fatalf("recount %+v, %v; stats %+v", rc, err, f.Stats())
	}
}
