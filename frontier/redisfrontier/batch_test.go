package redisfrontier

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// With LeaseBatch 4, four Next calls cost one round trip; the leases taken
// ahead are leased in Redis (the per-host limit counts them) and go back to
// their queue when the worker leaves without handing them out.
func TestLeaseBatchOneRoundTrip(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 1})
	ctx := context.Background()
	f := openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: 4})
	var its []frontier.Item
	for _, h := range []string{"a", "b", "c", "d", "e"} {
		its = append(its, items(h, 2, 0)...)
	}
	mustAdd(t, f, its...)
	rt := &scriptTrips{sha: scriptLease.Hash()}
	f.cl.AddHook(rt)
	got := map[string]bool{}
	for range 4 {
		l := mustNext(t, f)
		if got[l.Host] {
			t.Fatalf("two leases of host %s at per-host 1", l.Host)
		}
		got[l.Host] = true
	}
	if n := rt.n.Load(); n != 1 {
		t.Errorf("4 leases took %d round trips, want 1", n)
	}
	// The fifth host's lease comes with three more leased ahead; the
	// other worker finds every host's slot taken.
	l5 := mustNext(t, f)
	if got[l5.Host] {
		t.Fatalf("host %s leased twice at per-host 1", l5.Host)
	}
	f2 := openWorker(t, srv, "w2", time.Minute)
	if l, ok, _, err := f2.Next(time.Now()); ok || err != nil {
		t.Fatalf("second worker leased %s (err %v): every host's slot is held by w1's leases, handed out or not", l.URL, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := readStats(ctx, f2.cl, f2.p)
	if err != nil || s.Leased != 0 || s.Queued != 10 {
		t.Fatalf("after w1 left: %+v, %v; want all 10 queued, none leased", s, err)
	}
	for range 5 {
		mustNext(t, f2)
	}
}

// scriptTrips counts the round trips that run the script whose SHA1 is sha
// (alone or in a pipeline).
type scriptTrips struct {
	sha string
	n   atomic.Int64
}

func (s *scriptTrips) runs(cmds ...redis.Cmder) bool {
	for _, c := range cmds {
		if a := c.Args(); len(a) > 1 && a[1] == s.sha {
			return true
		}
	}
	return false
}

func (s *scriptTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *scriptTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if s.runs(cmd) {
			s.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (s *scriptTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if s.runs(cmds...) {
			s.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// The writer holds a batch of fewer than LeaseBatch completions back
// (linger) until it fills: four completions submitted one by one, each
// after the writer took the previous one's wake-up, commit in one round
// trip; without the wait each went alone. A lone completion still commits
// once the linger ends, or at Close.
func TestCommitLingersForABatch(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2})
	f := openWith(t, srv, Options{WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: 4})
	var its []frontier.Item
	for h := range 4 {
		its = append(its, items(fmt.Sprintf("h%d", h), 2, 0)...)
	}
	mustAdd(t, f, its...)
	f.mu.Lock()
	f.commitLinger = time.Hour
	f.mu.Unlock()
	rt := &scriptTrips{sha: scriptComplete.Hash()}
	f.cl.AddHook(rt)
	done := make(chan error, 8)
	for range 4 {
		l := mustNext(t, f)
		f.CompleteAsync(frontier.Completion{Lease: l, Outcome: frontier.Done}, func(err error) { done <- err })
		for len(f.wake) > 0 { // the writer has taken this wake-up
			runtime.Gosched()
		}
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := rt.n.Load(); n != 1 {
		t.Fatalf("4 completions took %d commit round trips, want 1", n)
	}

	f.mu.Lock()
	f.commitLinger = time.Millisecond
	f.mu.Unlock()
	l := mustNext(t, f)
	if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done}); err != nil {
		t.Fatal(err)
	}

	f.mu.Lock()
	f.commitLinger = time.Hour
	f.mu.Unlock()
	l = mustNext(t, f)
	f.CompleteAsync(frontier.Completion{Lease: l, Outcome: frontier.Done}, func(err error) { done <- err })
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("Close returned before the lingering completion committed")
	}
	if s, err := readStats(context.Background(), dialTest(t, srv), f.p); err != nil || s.Done != 6 {
		t.Fatalf("stats %+v (%v), want 6 done", s, err)
	}
}
