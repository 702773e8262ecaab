package redisfrontier

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// The writer runs a batch's BeforeCommit (the page store's fsync) while
// the previous batch's round trip is out, and still commits and settles
// batches in order. Redis holds batch A (CLIENT PAUSE WRITE, which holds
// scripts) until B, queued meanwhile, is prepared: B's BeforeCommit comes
// before A is answered. One batch at a time (before), it came after, when
// the pause ended.
func TestCommitOverlapsNextBeforeCommit(t *testing.T) {
	srv := redistest.Start(t)
	newCrawl(t, srv, Globals{PerHost: 4})
	ctx := context.Background()
	admin := dialTest(t, srv)
	var (
		mu     sync.Mutex
		events []string
		f      *Frontier
		lb     frontier.Lease
		calls  int
	)
	note := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	done := make(chan struct{}, 2)
	before := func() error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		note(fmt.Sprint("before ", n))
		if n == 2 {
			// B is prepared: let A through. (One batch at a time, A is
			// answered only when the pause ends, and B comes after.)
			return admin.Do(ctx, "CLIENT", "UNPAUSE").Err()
		}
		if n == 1 {
			// A's round trip waits in Redis; B is queued before it leaves.
			if err := admin.Do(ctx, "CLIENT", "PAUSE", 10_000, "WRITE").Err(); err != nil {
				return err
			}
			f.CompleteAsync(frontier.Completion{Lease: lb, Outcome: frontier.Done, Checkpoint: []byte("cp2")}, func(err error) {
				if err != nil {
					t.Error(err)
				}
				note("B committed")
				done <- struct{}{}
			})
		}
		return nil
	}
	var err error
	f, err = Open(ctx, Options{URL: srv.URL(), Crawl: "t", WorkerID: "w1", LeaseTTL: time.Minute, BeforeCommit: before})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Add(ctx, items("a", 2, 0)); err != nil {
		t.Fatal(err)
	}
	la := mustNext(t, f)
	lb = mustNext(t, f)
	f.CompleteAsync(frontier.Completion{Lease: la, Outcome: frontier.Done, Checkpoint: []byte("cp1")}, func(err error) {
		if err != nil {
			t.Error(err)
		}
		note("A committed")
		done <- struct{}{}
	})
	<-done
	<-done
	mu.Lock()
	got := fmt.Sprint(events)
	mu.Unlock()
	if want := "[before 1 before 2 A committed B committed]"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if cp := string(f.Checkpoint()); cp != "cp2" {
		t.Errorf("checkpoint %q, want the later batch's cp2", cp)
	}
}

// A batch prepared while the previous one is out asks only for the leases
// the previous one's top-up does not bring: the hand stays within twice
// LeaseBatch. Batch A (4 pages) is held in Redis (CLIENT PAUSE WRITE)
// while batch B (4 pages) is prepared; each alone would top an empty hand
// up to 8. Counting only the hand (before), B asked for 8 more and the
// hand reached 16.
func TestOverlappedTopUpKeepsTheHandBound(t *testing.T) {
	srv := redistest.Start(t)
	newCrawl(t, srv, Globals{PerHost: 2})
	ctx := context.Background()
	admin := dialTest(t, srv)
	const lb = 4
	var (
		mu    sync.Mutex
		calls int
		f     *Frontier
		bl    []frontier.Lease // batch B's leases
	)
	done := make(chan error, 2*lb)
	complete := func(l frontier.Lease) {
		f.CompleteAsync(frontier.Completion{Lease: l, Outcome: frontier.Done}, func(err error) { done <- err })
	}
	before := func() error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1: // A: hold its round trip in Redis and queue B meanwhile
			if err := admin.Do(ctx, "CLIENT", "PAUSE", 10_000, "WRITE").Err(); err != nil {
				return err
			}
			for _, l := range bl {
				complete(l)
			}
		case 2: // B is prepared: let A through
			return admin.Do(ctx, "CLIENT", "UNPAUSE").Err()
		}
		return nil
	}
	var err error
	f, err = Open(ctx, Options{URL: srv.URL(), Crawl: "t", WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: lb, BeforeCommit: before})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var its []frontier.Item
	for h := range 40 {
		its = append(its, items(fmt.Sprintf("h%d", h), 2, 0)...)
	}
	mustAdd(t, f, its...)
	var al []frontier.Lease
	for range lb {
		al = append(al, mustNext(t, f))
	}
	for range lb {
		bl = append(bl, mustNext(t, f))
	}
	f.mu.Lock()
	f.commitLinger = time.Hour // A goes as one batch of lb
	hand := len(f.ready)
	f.mu.Unlock()
	if hand != 0 {
		t.Fatalf("%d leases in hand before the batches, want 0", hand)
	}
	for _, l := range al {
		complete(l)
	}
	for range 2 * lb {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	hand, calls2 := len(f.ready), calls
	f.mu.Unlock()
	if calls2 != 2 {
		t.Fatalf("%d batches, want 2 (A and B)", calls2)
	}
	if hand > 2*lb {
		t.Errorf("%d leases in hand after two overlapped batches, want ≤ %d (twice LeaseBatch)", hand, 2*lb)
	}
}
