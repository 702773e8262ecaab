package redisfrontier

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// commandsRun is how many commands Redis ran (scripts' inner calls
// included) while fn ran.
func commandsRun(t *testing.T, f *Frontier, fn func()) int {
	t.Helper()
	before := info(t, f.cl, "stats", "total_commands_processed")["total_commands_processed"]
	fn()
	after := info(t, f.cl, "stats", "total_commands_processed")["total_commands_processed"]
	return int(after - before - 1) // the first INFO counts itself in the second
}

// A batch of completions with links costs Redis a few calls per page, not
// a few per link (batch.go, luaBatch): each host's hash is written once,
// the seen set is probed and written once for all links, each counter
// once. One by one (before), the same batch ran ~50 calls per page; the
// lease script likewise ran ~22 calls per lease.
func TestBatchCallsPerPage(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2})
	ctx := context.Background()
	f := openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: 8})
	const hosts = 16
	var its []frontier.Item
	for h := range hosts {
		its = append(its, items(fmt.Sprintf("h%02d", h), 2, 0)...)
	}
	mustAdd(t, f, its...)
	var ls []frontier.Lease
	calls := commandsRun(t, f, func() {
		for range 8 {
			ls = append(ls, mustNext(t, f))
		}
	})
	t.Logf("8 leases: %d Redis commands", calls)
	if max := 8*9 + 20; calls > max {
		t.Errorf("8 leases ran %d Redis commands, want ≤ %d", calls, max)
	}
	for range hosts - 8 {
		ls = append(ls, mustNext(t, f))
	}
	var batch []compReq
	for i, l := range ls {
		var kids []frontier.Item
		for k := range 10 {
			u := fmt.Sprintf("http://%s/new/%d", l.Host, k)
			if k%2 == 1 {
				u = fmt.Sprintf("http://%s/%d", l.Host, k%2) // known: added above
			}
			kids = append(kids, frontier.Item{URL: u, Host: l.Host, Depth: 1, Parent: l.URL})
		}
		f.mu.Lock()
		li := f.leases[l.URL]
		f.mu.Unlock()
		batch = append(batch, compReq{c: frontier.Completion{Lease: l, Outcome: frontier.Done, Bytes: int64(100 + i), Children: kids, Checkpoint: []byte("cp")}, li: li, done: func(error) {}})
	}
	calls = commandsRun(t, f, func() {
		if err := f.commit(batch); err != nil {
			t.Fatal(err)
		}
	})
	// The batch also leased 16 URLs for the next Next calls (topUp: the
	// hand of 8, and one per page up to twice that).
	t.Logf("%d completions and 16 leases: %d Redis commands", hosts, calls)
	if max := 5*hosts + 30 + 16*9; calls > max {
		t.Errorf("a batch of %d completions with 10 links each and 16 leases ran %d Redis commands, want ≤ %d", hosts, calls, max)
	}
	s, err := readStats(ctx, f.cl, f.p)
	if err != nil {
		t.Fatal(err)
	}
	// Each page brought 5 new links (new/0, new/2, ... are distinct; the
	// odd ones are the host's page 1, known).
	if s.Done != hosts || s.Leased != 16 || s.Queued != hosts*(1+5)-16 {
		t.Fatalf("after the batch: %+v; want %d done, 16 leased, %d queued", s, hosts, hosts*6-16)
	}
	rt := &scriptTrips{sha: scriptLease.Hash()}
	f.cl.AddHook(rt)
	for range 16 {
		mustNext(t, f)
	}
	if n := rt.n.Load(); n != 0 {
		t.Errorf("the 16 leases the commit took cost %d lease round trips, want 0", n)
	}
	mustNext(t, f)
	if n := rt.n.Load(); n != 1 {
		t.Errorf("the 17th lease cost %d lease round trips, want 1", n)
	}
}

// Links are deduplicated across the completions of one batch as across
// batches: a link two pages of one batch bring (or one page twice) is
// queued once, and URLs are queued in the order the batch brought them.
func TestBatchDedupWithinBatch(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 4})
	f := openWorker(t, srv, "w1", time.Minute)
	mustAdd(t, f, items("a", 2, 0)...)
	l1, l2 := mustNext(t, f), mustNext(t, f)
	kid := func(u string) frontier.Item { return frontier.Item{URL: u, Host: "b", Depth: 1} }
	var batch []compReq
	for _, c := range []frontier.Completion{
		{Lease: l1, Outcome: frontier.Done, Children: []frontier.Item{kid("http://b/x"), kid("http://b/y"), kid("http://b/x")}},
		{Lease: l2, Outcome: frontier.Done, Children: []frontier.Item{kid("http://b/y"), kid("http://b/z"), kid("http://a/0")}},
	} {
		f.mu.Lock()
		li := f.leases[c.Lease.URL]
		f.mu.Unlock()
		batch = append(batch, compReq{c: c, li: li, done: func(error) {}})
	}
	if err := f.commit(batch); err != nil {
		t.Fatal(err)
	}
	got := leaseAll(t, f)
	if want := "[http://b/x http://b/y http://b/z]"; fmt.Sprint(got) != want {
		t.Fatalf("leased %v, want %s (each new link once, in the order the batch brought them)", got, want)
	}
	if s := f.Stats(); s.Queued != 0 || s.Leased != 3 || s.Done != 2 {
		t.Fatalf("stats %+v, want 0 queued, 3 leased, 2 done", s)
	}
}
