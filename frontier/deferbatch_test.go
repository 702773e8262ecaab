package frontier

import (
	"context"
	"sync/atomic"
	"testing"
)

// A lease of a host that ends (released) in the same batch as, and before,
// the deferral of its host is deferred with the rest, not left queued
// behind a host that is out of the schedule: that left Queued > 0 with
// nothing to lease and nothing in flight, and the crawl polled forever.
func TestDeferHostAfterReleaseInOneBatch(t *testing.T) {
	var hold atomic.Bool
	blocked, resume := make(chan struct{}), make(chan struct{})
	f := open(t, "", Options{PerHost: 2, BeforeCommit: func() error {
		if hold.CompareAndSwap(true, false) {
			close(blocked)
			<-resume
		}
		return nil
	}})
	defer f.Close()
	add(t, f, Item{URL: "http://a.test/1", Host: "a.test"}, Item{URL: "http://a.test/2", Host: "a.test"})
	la := next(t, f, t0)
	lb := next(t, f, t0)

	// Hold the writer in a commit, so both completions below wait for it
	// and commit together, the release first.
	hold.Store(true)
	metaDone := make(chan error, 1)
	go func() { metaDone <- f.SetMeta(context.Background(), "k", []byte("v")) }()
	<-blocked
	errs := make(chan error, 2)
	f.CompleteAsync(Completion{Lease: lb, Outcome: Release}, func(err error) { errs <- err })
	f.CompleteAsync(Completion{Lease: la, Outcome: Deferred, Reason: "robots.txt unavailable",
		Host: &HostUpdate{Defer: "robots.txt unavailable"}}, func(err error) { errs <- err })
	close(resume)
	if err := <-metaDone; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s := f.Stats()
	if s.Queued != 0 || s.Deferred != 2 {
		t.Fatalf("queued %d, deferred %d; want 0 and 2 (the released URL deferred with its host)", s.Queued, s.Deferred)
	}
	if drained, err := f.Drained(); err != nil || !drained {
		t.Fatalf("drained = %v, %v: the crawl would never end", drained, err)
	}
	if rc, err := f.Recount(); err != nil || rc.Queued != 0 || rc.Deferred != 2 {
		t.Fatalf("recount %+v, %v", rc, err)
	}
}
