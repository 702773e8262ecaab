package redisfrontier

import (
	"context"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/redistest"
)

// openAhead opens worker wid with a lookahead, so two workers can hold
// leases of one host at once and race for its request starts.
func openAhead(t *testing.T, srv *redistest.Server, wid string, ahead time.Duration) *Frontier {
	t.Helper()
	return openWith(t, srv, Options{WorkerID: wid, LeaseTTL: time.Hour, Lookahead: ahead})
}

// A Begin that reaches Redis late (Redis busy with other clients' scripts
// or an fsync; the worker descheduled before its command went out) still
// sends its request no earlier than the start Redis reserved: the wait
// counts from the caller's now, not from the moment the script ran. It
// counted from the script's own clock read, so a worker whose call was
// held 150 ms sent its request 150 ms early, a third of the host's delay
// after another worker's request (TestSharedKill9Workers under load saw
// two workers' requests 7 ms apart with a 100 ms delay).
func TestBeginWaitCountsFromTheCallersNow(t *testing.T) {
	const delay = 300 * time.Millisecond
	srv := startCrawl(t, Globals{PerHost: 2, Delay: delay})
	f1 := openAhead(t, srv, "w1", time.Second)
	f2 := openAhead(t, srv, "w2", time.Second)
	mustAdd(t, f1, items("a", 2, 0)...)
	l1, l2 := mustNext(t, f1), mustNext(t, f2)
	n1 := time.Now()
	s1 := n1.Add(f1.Begin(l1, n1))
	// Hold every client's commands for 150 ms, as a busy Redis does: w2's
	// Begin runs that much after w2 read its clock.
	admin, err := Dial(context.Background(), srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Do(context.Background(), "CLIENT", "PAUSE", 150, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	n2 := time.Now()
	s2 := n2.Add(f2.Begin(l2, n2))
	// The two workers' clock offsets to Redis are each measured to a few
	// µs on loopback: 2 ms covers them.
	if gap := s2.Sub(s1); gap < delay-2*time.Millisecond {
		t.Fatalf("w2's request may start %v after w1's, want ≥ %v (w2 read its clock at +%v)", gap, delay, n2.Sub(n1).Round(time.Microsecond))
	}
}

// A worker killed after its request went out leaves the host's last start
// in Redis: the sweep that takes its lease back (its next incarnation
// joining, as `trawl resume` does) frees the request slot, not the gap,
// and another worker's request to the host starts a delay after the dead
// worker's.
func TestSweepKeepsTheHostsLastStart(t *testing.T) {
	const delay = 300 * time.Millisecond
	srv := startCrawl(t, Globals{PerHost: 1, Delay: delay})
	f1 := openAhead(t, srv, "w1", 0)
	f2 := openAhead(t, srv, "w2", 0)
	mustAdd(t, f1, items("a", 1, 0)...)
	l1 := mustNext(t, f1)
	n1 := time.Now()
	s1 := n1.Add(f1.Begin(l1, n1))
	// SIGKILL: no completion, no leave; the next incarnation's join
	// sweeps the dead one.
	close(f1.stop)
	f1.wg.Wait()
	f1.stop = make(chan struct{})
	openAhead(t, srv, "w1", 0)
	l2 := nextSwept(t, f2, 0)
	if l2.URL != l1.URL {
		t.Fatalf("w2 leased %s, want the swept %s", l2.URL, l1.URL)
	}
	n2 := time.Now()
	s2 := n2.Add(f2.Begin(l2, n2))
	if gap := s2.Sub(s1); gap < delay-2*time.Millisecond {
		t.Fatalf("w2's request may start %v after the dead worker's, want ≥ %v", gap, delay)
	}
	if gap := l2.Start.Sub(s1); gap < delay-2*time.Millisecond {
		t.Fatalf("w2's lease starts %v after the dead worker's request, want ≥ %v", gap, delay)
	}
}
