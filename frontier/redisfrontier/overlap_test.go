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
