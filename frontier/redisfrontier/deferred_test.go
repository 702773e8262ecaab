package redisfrontier

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// TestDeferredAcrossWorkers: a host deferred by one worker takes the lease
// another worker held when that worker dies (its sweep defers the URL as a
// release would, instead of queueing it for a host out of the schedule);
// the crawl is then over with the deferred work left; and RequeueDeferred
// from two workers at once queues every worker's deferred URLs once, each
// leased once.
func TestDeferredAcrossWorkers(t *testing.T) {
	srv, w1, w2 := twoWorkers(t, Globals{PerHost: 8}, time.Minute)
	ctx := context.Background()
	if _, err := w1.Add(ctx, append(items("x", 5, 1), items("y", 1, 1)...)); err != nil {
		t.Fatal(err)
	}
	// w1 leases two URLs of x (and maybe y), and defers host x through
	// the second.
	var xs []frontier.Lease
	for len(xs) < 2 {
		if l := mustNext(t, w1); l.Host == "x" {
			xs = append(xs, l)
		}
	}
	if err := complete(t, w1, frontier.Completion{Lease: xs[1], Outcome: frontier.Deferred, Reason: "wait too long",
		Host: &frontier.HostUpdate{Defer: "Retry-After past --max-wait"}}); err != nil {
		t.Fatal(err)
	}
	// w1 dies holding xs[0]: a new incarnation of w1 sweeps it.
	w1b := openWorker(t, srv, "w1", time.Minute)
	if s := w1b.Stats(); s.Deferred != 5 || s.Queued != 1 || s.Leased != 0 {
		t.Fatalf("after the sweep: stats %+v, want host x's 5 URLs deferred (the swept lease too) and y queued", s)
	}
	l := mustNext(t, w2)
	if l.Host != "y" {
		t.Fatalf("leased %s of a deferred host", l.URL)
	}
	noLease(t, w2, "only deferred work left")
	if err := complete(t, w2, frontier.Completion{Lease: l, Outcome: frontier.Done}); err != nil {
		t.Fatal(err)
	}
	drained(t, w2, true)

	var wg sync.WaitGroup
	ns := make([]int, 2)
	for i, f := range []*Frontier{w1b, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.RequeueDeferred(ctx)
			if err != nil {
				t.Error(err)
			}
			ns[i] = n
		}()
	}
	wg.Wait()
	if ns[0]+ns[1] != 5 {
		t.Fatalf("RequeueDeferred from two workers = %v, want 5 in all", ns)
	}
	seen := map[string]bool{}
	for _, f := range []*Frontier{w1b, w2, w1b, w2, w1b} {
		l := mustNext(t, f)
		if seen[l.URL] || l.Host != "x" {
			t.Fatalf("leased %s twice or of the wrong host (leased so far %v)", l.URL, seen)
		}
		seen[l.URL] = true
	}
	noLease(t, w2, "every requeued URL leased")
	if s, err := readStats(ctx, w2.cl, w2.p); err != nil || s.Deferred != 0 || s.Leased != 5 {
		t.Fatalf("stats %+v, %v; want nothing deferred and the 5 URLs leased", s, err)
	}
}
