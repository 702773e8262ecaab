package redisfrontier

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// openPrefetching opens a worker with LeaseBatch 4 and MaxAhead 16 on a crawl of
// 60 hosts × 3 URLs at per-host 2: more leasable URLs than any round asks.
func openPrefetching(t *testing.T) (*Frontier, *redistest.Server) {
	t.Helper()
	srv := startCrawl(t, Globals{PerHost: 2})
	f := openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: 4, MaxAhead: 16})
	var its []frontier.Item
	for h := range 60 {
		its = append(its, items(fmt.Sprintf("h%02d", h), 3, 0)...)
	}
	mustAdd(t, f, its...)
	return f, srv
}

// awaitBackground waits until the background lease round out is answered
// and its leases are in hand; it fails the test if none is out.
func awaitBackground(t *testing.T, f *Frontier, why string) {
	t.Helper()
	f.mu.Lock()
	r := f.bg
	f.mu.Unlock()
	if r == nil {
		t.Fatalf("no lease round out in the background %s", why)
	}
	<-r.done
}

// hand is how many leases f holds in hand, and its high-water mark.
func hand(f *Frontier) (n, mark int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ready), f.mark
}

// With MaxAhead above twice LeaseBatch, a lease round goes out in the
// background when the leases in hand and coming fall to half the
// high-water mark, before the hand runs dry; at the mark's floor (twice
// LeaseBatch, 8 here), only when the last lease in hand is handed out:
// no Next call waits for it. Its leases are leased in Redis and go back to
// their queues when the worker leaves. A round whose reply finds leases
// still in hand lowers the mark by an eighth. Without the background
// round the hand stayed empty until a Next call found it so.
func TestLeasesAheadInBackground(t *testing.T) {
	f, srv := openPrefetching(t)
	ctx := context.Background()
	rt := &scriptTrips{sha: scriptLease.Hash()}
	f.cl.AddHook(rt)
	for range 4 { // a round of 4 in Next, then the 3 in hand
		mustNext(t, f)
	}
	awaitBackground(t, f, "with the hand empty at the floor mark 8")
	if n, mark := hand(f); n != 8 || mark != 8 {
		t.Fatalf("after the background round: %d leases in hand, mark %d; want 8 (the mark), 8", n, mark)
	}
	if n := rt.n.Load(); n != 2 {
		t.Errorf("%d lease round trips, want 2 (Next's and the background one)", n)
	}
	s, err := readStats(ctx, f.cl, f.p)
	if err != nil || s.Leased != 12 {
		t.Fatalf("stats %+v (%v): want 12 leased (4 handed out, 8 in hand)", s, err)
	}
	mustNext(t, f) // 7 in hand: more than none, the floor's low-water mark
	f.mu.Lock()
	out := f.bg != nil
	f.mu.Unlock()
	if out {
		t.Fatal("a background round went out with 7 leases in hand at the floor mark")
	}

	// A grown mark of 16: Next's round takes 8 (7 in hand); the next
	// Next leaves 6, the background round brings 10 and finds 6 in hand.
	f.mu.Lock()
	f.ready, f.mark = nil, 16
	f.mu.Unlock()
	mustNext(t, f)
	mustNext(t, f)
	awaitBackground(t, f, "with 6 leases in hand and a mark of 16")
	if n, mark := hand(f); n != 16 || mark != 14 {
		t.Fatalf("after a background round that found leases in hand: %d in hand, mark %d; want 16, 14", n, mark)
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = readStats(ctx, dialTest(t, srv), f.p)
	if err != nil || s.Leased != 0 || s.Queued != 180 {
		t.Fatalf("after the worker left: %+v (%v); want 180 queued, none leased", s, err)
	}
}

// Next that finds the hand empty while a background round is out waits
// for that round instead of sending another, and a round waited for that
// brought all it asked for doubles the high-water mark, up to MaxAhead.
// Redis holds the background round (CLIENT PAUSE WRITE) until Next waits.
func TestNextWaitsForTheRoundAhead(t *testing.T) {
	f, srv := openPrefetching(t)
	ctx := context.Background()
	admin := dialTest(t, srv)
	rt := &scriptTrips{sha: scriptLease.Hash()}
	f.cl.AddHook(rt)
	mustNext(t, f) // a round of 4: 3 in hand
	starve := func(want int) {
		t.Helper()
		n, mark := hand(f)
		trips := rt.n.Load()
		if err := admin.Do(ctx, "CLIENT", "PAUSE", 60_000, "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		for range n { // the hand passes half the mark: a round goes out, held by Redis
			mustNext(t, f)
		}
		f.mu.Lock()
		r := f.bg
		f.mu.Unlock()
		if r == nil {
			t.Fatalf("no background round out after %d leases were handed out of %d at mark %d", n, n, mark)
		}
		got := make(chan frontier.Lease, 1)
		go func() {
			l, ok, _, err := f.Next(time.Now())
			if err != nil || !ok {
				t.Errorf("Next with a round out: ok=%v err=%v", ok, err)
			}
			got <- l
		}()
		give := time.Now().Add(time.Minute) // a failure's bound, not a synchronisation
		// Next finds the hand empty and waits for the round.
		for {
			f.mu.Lock()
			waited := r.waited
			f.mu.Unlock()
			if waited {
				break
			}
			if time.Now().After(give) {
				admin.Do(ctx, "CLIENT", "UNPAUSE")
				t.Fatal("Next with the hand empty did not wait for the background round out")
			}
			runtime.Gosched()
		}
		if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
			t.Fatal(err)
		}
		if l := <-got; l.URL == "" {
			t.Fatal("Next returned no lease after the round it waited for")
		}
		if _, m := hand(f); m != want {
			t.Fatalf("mark %d after Next waited for a full round at mark %d, want %d", m, mark, want)
		}
		// The held round, and the one the lease Next took from it
		// started (the hand fell under half the mark): not one more
		// for Next itself.
		awaitBackgroundIfOut(f)
		if n := rt.n.Load() - trips; n != 2 {
			t.Errorf("%d lease rounds from the pause on, want 2 (the held one, the next one ahead): Next must wait for the round out, not send its own", n)
		}
	}
	starve(16) // 8 → 16
	starve(16) // 14 (a reply found leases in hand) → 16, capped at MaxAhead
}

// awaitBackgroundIfOut waits for the background round out, if any.
func awaitBackgroundIfOut(f *Frontier) {
	f.mu.Lock()
	r := f.bg
	f.mu.Unlock()
	if r != nil {
		<-r.done
	}
}
