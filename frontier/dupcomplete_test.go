package frontier

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestDuplicateCompletionIsStale: a second completion of a lease,
// submitted before the first was applied, reaches the writer after the
// first ended the lease and Next handed the URL out again. It must be
// refused with ErrStaleLease — not break the frontier (the new lease's
// queue entry is in the other bucket after a Retry) nor be taken for the
// new lease's completion (same entry after a Release) — and the new
// lease's own completion must commit.
func TestDuplicateCompletionIsStale(t *testing.T) {
	for name, first := range map[string]Outcome{"Retry": Retry, "Release": Release} {
		t.Run(name, func(t *testing.T) {
			var f *Frontier
			var armed atomic.Bool
			dup := make(chan error, 1)
			var l1 Lease
			f = open(t, "", Options{BeforeCommit: func() error {
				// The first completion's batch is being committed: the
				// duplicate is submitted now, judged in the next batch.
				if armed.CompareAndSwap(true, false) {
					f.CompleteAsync(Completion{Lease: l1, Outcome: Done}, func(err error) { dup <- err })
				}
				return nil
			}})
			defer f.Close()
			add(t, f, Item{URL: "http://a.test/1", Host: "a.test"})
			l1 = next(t, f, t0)
			armed.Store(true)
			again, firstErr := make(chan Lease, 1), make(chan error, 1)
			f.CompleteAsync(Completion{Lease: l1, Outcome: first, RetryAt: t0}, func(err error) {
				// Applied, and the duplicate's batch not yet: lease it again.
				if l, ok, _, _ := f.Next(t0.Add(time.Second)); ok {
					again <- l
				} else {
					close(again)
				}
				firstErr <- err
			})
			if err := <-firstErr; err != nil {
				t.Fatal(err)
			}
			l2, ok := <-again
			if !ok {
				t.Fatal("the URL was not handed out again after its first completion")
			}
			if err := <-dup; !errors.Is(err, ErrStaleLease) {
				t.Fatalf("duplicate completion of the ended lease: %v, want ErrStaleLease", err)
			}
			if err := f.Complete(context.Background(), Completion{Lease: l2, Outcome: Done}); err != nil {
				t.Fatalf("the new lease's own completion: %v", err)
			}
			if _, ok, _, err := f.Next(t0.Add(time.Hour)); err != nil || ok {
				t.Fatalf("after both: Next = %v, %v; want nothing left and no error", ok, err)
			}
		})
	}
}
