package frontier

import (
	"context"
	"testing"
	"time"
)

// A Deferred outcome leaves the URL neither done, failed nor queued: the
// frontier drains without it, it survives a reopen, and RequeueDeferred
// puts it back with its attempt count.
func TestDeferredOutcome(t *testing.T) {
	f, path := openNew(t, Options{})
	add(t, f, item("a", 1, 2))
	l := next(t, f, t0)
	complete(t, f, Completion{Lease: l, Outcome: Deferred, Reason: "wait 1h exceeds --max-wait"})
	checkCounts(t, f, Stats{Deferred: 1, Hosts: 1})
	if d, err := f.Drained(); err != nil || !d {
		t.Fatalf("Drained = %v, %v with only deferred work", d, err)
	}
	if _, ok, _, _ := f.Next(t0.Add(time.Hour)); ok {
		t.Fatal("a deferred URL was leased")
	}
	hosts, err := f.DeferredHosts()
	if err != nil || len(hosts) != 1 || hosts[0] != (DeferredHost{Host: "a", URLs: 1, Reason: "wait 1h exceeds --max-wait"}) {
		t.Fatalf("DeferredHosts = %+v, %v", hosts, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _, err := ReadCommitted(path); err != nil || st.Deferred != 1 || st.Queued != 0 {
		t.Fatalf("ReadCommitted = %+v, %v", st, err)
	}
	f = open(t, path, Options{})
	defer f.Close()
	checkCounts(t, f, Stats{Deferred: 1, Hosts: 1})
	n, err := f.RequeueDeferred(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("RequeueDeferred = %d, %v", n, err)
	}
	checkCounts(t, f, Stats{Queued: 1, Hosts: 1})
	l2 := next(t, f, t0)
	if l2.URL != l.URL || l2.Depth != 2 {
		t.Fatalf("requeued lease %+v, want %s at depth 2", l2, l.URL)
	}
	complete(t, f, Completion{Lease: l2, Outcome: Done})
	checkCounts(t, f, Stats{Done: 1, Hosts: 1})
}

// HostUpdate.Defer defers every queued URL of the host (queue and retry
// buckets, including inserts of the same batch), keeps the host out of the
// schedule, defers its later URLs and released leases, and leaves other
// hosts alone; RequeueDeferred undoes all of it.
func TestDeferHost(t *testing.T) {
	f := open(t, "", Options{PerHost: 2})
	defer f.Close()
	for i := range 50 {
		add(t, f, item("bad", i, 1), item("good", i, 1))
	}
	// Two leases of bad: one completes with the host deferral, the other
	// is still out and comes back as a Release.
	var bad []Lease
	var good []Lease
	for len(bad) < 2 || len(good) < 1 {
		l := next(t, f, t0)
		if l.Host == "bad" {
			bad = append(bad, l)
		} else {
			good = append(good, l)
		}
	}
	// A retry of a good URL and the bad host's deferral in one batch.
	errs := make(chan error, 2)
	f.CompleteAsync(Completion{Lease: good[0], Outcome: Retry, RetryAt: t0}, func(err error) { errs <- err })
	f.CompleteAsync(Completion{Lease: bad[0], Outcome: Deferred, Reason: "robots.txt unavailable",
		Host: &HostUpdate{Defer: "robots.txt unavailable"}}, func(err error) { errs <- err })
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := f.Stats()
	if st.Deferred != 49 || st.Leased != int64(len(good)) {
		t.Fatalf("after deferring the host: %+v", st)
	}
	// The late lease comes back as a Release: deferred, not queued.
	complete(t, f, Completion{Lease: bad[1], Outcome: Release})
	// A URL of the host found later is deferred on arrival.
	if n := add(t, f, item("bad", 1000, 3)); n != 1 {
		t.Fatalf("Add = %d", n)
	}
	for _, l := range good[1:] {
		complete(t, f, Completion{Lease: l, Outcome: Done})
	}
	// Everything else leases; nothing of bad does.
	for {
		l, ok, wait, err := f.Next(t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if wait == time.Millisecond {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			break
		}
		if l.Host == "bad" {
			t.Fatalf("leased %s of a deferred host", l.URL)
		}
		complete(t, f, Completion{Lease: l, Outcome: Done})
	}
	checkCounts(t, f, Stats{Done: 50, Deferred: 51, Retries: 1, Hosts: 2})
	if d, _ := f.Drained(); !d {
		t.Fatal("not drained with only deferred work left")
	}
	hosts, err := f.DeferredHosts()
	if err != nil || len(hosts) != 1 || hosts[0].Host != "bad" || hosts[0].URLs != 51 || hosts[0].Reason != "robots.txt unavailable" {
		t.Fatalf("DeferredHosts = %+v, %v", hosts, err)
	}
	if n, err := f.RequeueDeferred(context.Background()); err != nil || n != 51 {
		t.Fatalf("RequeueDeferred = %d, %v", n, err)
	}
	checkCounts(t, f, Stats{Done: 50, Queued: 51, Retries: 1, Hosts: 2})
	seen := 0
	for seen < 51 {
		l := next(t, f, t0.Add(2*time.Hour))
		if l.Host != "bad" {
			t.Fatalf("leased %s", l.URL)
		}
		complete(t, f, Completion{Lease: l, Outcome: Done})
		seen++
	}
	checkCounts(t, f, Stats{Done: 101, Retries: 1, Hosts: 2})
}

// RequeueDeferred works in bounded transactions and moves them all.
func TestRequeueDeferredBatches(t *testing.T) {
	f := open(t, "", Options{})
	defer f.Close()
	n := requeueBatch*2 + 5
	items := make([]Item, n)
	for i := range items {
		items[i] = item("h", i, 0)
	}
	add(t, f, items...)
	l := next(t, f, t0)
	complete(t, f, Completion{Lease: l, Outcome: Deferred, Reason: "r", Host: &HostUpdate{Defer: "r"}})
	checkCounts(t, f, Stats{Deferred: int64(n), Hosts: 1})
	got, err := f.RequeueDeferred(context.Background())
	if err != nil || got != n {
		t.Fatalf("RequeueDeferred = %d, %v; want %d", got, err, n)
	}
	checkCounts(t, f, Stats{Queued: int64(n), Hosts: 1})
}

// Stats written before Deferred existed (eight counters) decode with 0.
func TestDecodeStatsWithoutDeferred(t *testing.T) {
	old := encodeStats(Stats{Queued: 1, Done: 2, Hosts: 3})
	old = old[:len(old)-1] // drop the trailing Deferred varint (0 is one byte)
	s, err := decodeStats(old)
	if err != nil || s != (Stats{Queued: 1, Done: 2, Hosts: 3}) {
		t.Fatalf("decodeStats(old) = %+v, %v", s, err)
	}
}
