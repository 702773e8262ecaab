package frontier

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestLeaseWritesNothing: without a politeness delay a lease writes
// nothing (its queue entry stays on disk until the completion deletes it),
// and a completion rewrites no host record, whatever its outcome (with
// thousands of hosts, each was one more dirty page per page crawled). With
// a delay the lease persists the host's next-allowed time, so the gap holds
// across a restart.
func TestLeaseWritesNothing(t *testing.T) {
	f, path := openNew(t, Options{})
	var items []Item
	for i := range 300 { // enough hosts that the hosts bucket is a tree, not inline
		items = append(items, Item{URL: fmt.Sprintf("http://h%d.test/", i), Host: fmt.Sprintf("h%d.test", i)})
	}
	add(t, f, items...)
	type roots struct{ hosts, queue uint64 }
	state := func() (r roots) {
		// Ops queued before this one commit first; bbolt copies every
		// page it rewrites, a bucket's root included.
		if err := f.SetMeta(context.Background(), "barrier", nil); err != nil {
			t.Fatal(err)
		}
		if err := f.db.View(func(tx *bolt.Tx) error {
			r = roots{uint64(tx.Bucket(bktHosts).Root()), uint64(tx.Bucket(bktQueue).Root())}
			if tx.Bucket(bktLeases) != nil {
				t.Error("a schema 5 file has a leases bucket")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if r.hosts == 0 || r.queue == 0 {
			t.Fatal("a bucket is inline: the test cannot see a rewrite")
		}
		return r
	}
	queued := func(l Lease) bool {
		var ok bool
		_ = f.db.View(func(tx *bolt.Tx) error {
			seq := f.leasedSeq[l.URL]
			ok = has(tx.Bucket(bktQueue).Cursor(), queueKey(l.Host, queueSuffix(l.Depth, seq)))
			return nil
		})
		return ok
	}
	before := state()
	done, released := next(t, f, t0), next(t, f, t0)
	if after := state(); after != before {
		t.Errorf("two leases rewrote the file (roots %+v, were %+v)", after, before)
	}
	if !queued(done) || !queued(released) {
		t.Error("a leased URL's queue entry is gone before its completion")
	}
	checkCounts(t, f, Stats{Queued: 298, Leased: 2, Hosts: 300})
	complete(t, f, Completion{Lease: done, Outcome: Done, Status: 200})
	complete(t, f, Completion{Lease: released, Outcome: Release})
	if after := state(); after.hosts != before.hosts {
		t.Errorf("a Done and a Release rewrote the hosts bucket (root page %d, was %d)", after.hosts, before.hosts)
	}
	checkCounts(t, f, Stats{Queued: 299, Done: 1, Hosts: 300})
	if err := f.Complete(context.Background(), Completion{Lease: done, Outcome: Done}); err == nil {
		t.Error("a second completion of an ended lease was accepted")
	}

	// A host with a delay: its lease persists the next-allowed time.
	d := time.Minute
	if err := f.UpdateHost(context.Background(), "h7.test", HostUpdate{Delay: &d}); err != nil {
		t.Fatal(err)
	}
	var l Lease
	for l = next(t, f, t0); l.Host != "h7.test"; l = next(t, f, t0) {
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = open(t, path, Options{})
	defer f.Close()
	if hs, ok := f.Host("h7.test"); !ok || !hs.NextAllowed.Equal(l.Start.Add(d)) {
		t.Errorf("after a restart h7.test may start at %v, want %v (its lease's start + its delay)", hs.NextAllowed, l.Start.Add(d))
	}
	// Every URL in flight at the restart is queued again, leasable once.
	st := f.Stats()
	if st.Leased != 0 || st.Queued != 299 || st.Done != 1 {
		t.Fatalf("after reopen %+v, want 299 queued, 1 done, none leased", st)
	}
	got := map[string]int{}
	for range 299 {
		got[next(t, f, t0.Add(time.Hour)).URL]++
	}
	if len(got) != 299 {
		t.Errorf("leased %d distinct URLs of 299", len(got))
	}
}
