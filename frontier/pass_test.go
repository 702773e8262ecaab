package frontier

import (
	"errors"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestStartPassRequeuesFinalURLs: after a crawl where URLs ended done,
// failed and skipped (one still queued), StartPass queues every final one
// again with attempt 0 and the Tag its completion set; counters, host
// queues and Recount agree; a second call is a no-op; a wrong pass number
// is refused; a URL already seen is not added again in the new pass.
func TestStartPassRequeuesFinalURLs(t *testing.T) {
	f, path := openNew(t, Options{PerHost: 8})
	var items []Item
	for i := range 5 {
		items = append(items, Item{URL: fmt.Sprintf("http://a.test/%d", i), Host: "a.test", Tag: "first"})
	}
	add(t, f, items...)
	outcomes := []Outcome{Done, Done, Failed, Skipped}
	for i, o := range outcomes {
		l := next(t, f, t0)
		complete(t, f, Completion{Lease: l, Outcome: o, Status: 200, Bytes: 10, Tag: fmt.Sprintf("etag-%d", i)})
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := StartPass(path, 2); !errors.Is(err, ErrPassMismatch) {
		t.Fatalf("StartPass(2) on pass 0: %v, want ErrPassMismatch", err)
	}
	n, err := StartPass(path, 1)
	if err != nil || n != 4 {
		t.Fatalf("StartPass = %d, %v; want 4 requeued", n, err)
	}
	if n, err := StartPass(path, 1); err != nil || n != 0 {
		t.Fatalf("second StartPass = %d, %v; want a no-op", n, err)
	}
	f = open(t, path, Options{PerHost: 8})
	defer f.Close()
	checkCounts(t, f, Stats{Queued: 5, Hosts: 1})
	if v, _ := f.Meta(MetaPass); string(v) != "1" {
		t.Fatalf("pass meta %q", v)
	}
	tags := map[string]string{}
	for range 5 {
		l := next(t, f, t0)
		if l.Attempt != 0 {
			t.Errorf("%s: attempt %d after a new pass", l.URL, l.Attempt)
		}
		tags[l.URL] = l.Tag
	}
	for i := range 4 {
		if got := tags[fmt.Sprintf("http://a.test/%d", i)]; got != fmt.Sprintf("etag-%d", i) {
			t.Errorf("url %d: tag %q", i, got)
		}
	}
	if got := tags["http://a.test/4"]; got != "first" {
		t.Errorf("queued url: tag %q, want the Item's", got)
	}
	if n := add(t, f, Item{URL: "http://a.test/0", Host: "a.test"}, Item{URL: "http://a.test/new", Host: "a.test"}); n != 1 {
		t.Fatalf("Add in the new pass: %d new, want 1", n)
	}
}

// TestStartPassInterrupted: a start killed after its first transaction
// (simulated by running one chunk) leaves the pass number set and the
// cursor stored; PassState reports it, and StartPass with the same number
// finishes the requeue without counting any URL twice.
func TestStartPassInterrupted(t *testing.T) {
	const n = passChunk + 1000
	f, path := openNew(t, Options{PerHost: n})
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{URL: fmt.Sprintf("http://h%d.test/%d", i%7, i), Host: fmt.Sprintf("h%d.test", i%7)}
	}
	add(t, f, items...)
	leases := make([]Lease, 0, n)
	for range n {
		leases = append(leases, next(t, f, t0))
	}
	for _, l := range leases {
		f.CompleteAsync(Completion{Lease: l, Outcome: Done, Bytes: 1}, func(err error) {
			if err != nil {
				t.Error(err)
			}
		})
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := openBolt(path, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, finished, err := requeueChunk(tx, 1)
		if finished {
			t.Error("one chunk finished the pass: the test needs more records")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pass, starting, err := PassState(path)
	if err != nil || pass != 1 || !starting {
		t.Fatalf("PassState = %d, %v, %v; want 1, starting", pass, starting, err)
	}
	if _, err := StartPass(path, 2); !errors.Is(err, ErrPassMismatch) {
		t.Fatalf("starting pass 2 over an unfinished start of pass 1: %v", err)
	}
	got, err := StartPass(path, 1)
	if err != nil || got != n-passChunk {
		t.Fatalf("finishing StartPass = %d, %v; want %d", got, err, n-passChunk)
	}
	if _, starting, _ := PassState(path); starting {
		t.Fatal("still starting after StartPass returned")
	}
	f = open(t, path, Options{PerHost: n})
	defer f.Close()
	checkCounts(t, f, Stats{Queued: n, Hosts: 7})
}
