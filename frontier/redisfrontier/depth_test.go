package redisfrontier

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

func noLease(t *testing.T, f *Frontier, why string) {
	t.Helper()
	if l, ok, _, err := f.Next(time.Now()); ok || err != nil {
		t.Fatalf("%s: Next = %+v, %v, %v; want nothing", why, l, ok, err)
	}
}

func drained(t *testing.T, f *Frontier, want bool) {
	t.Helper()
	if d, err := f.Drained(); err != nil || d != want {
		t.Fatalf("Drained = %v, %v; want %v (stats %+v)", d, err, want, f.Stats())
	}
}

// owed checks the re-extractions status reports owed per worker id.
func owed(t *testing.T, srv *redistest.Server, want map[string]int64) {
	t.Helper()
	st, _, err := ReadStatus(context.Background(), dialTest(t, srv), srv.URL(), "t")
	if err != nil || fmt.Sprint(st.Reparses) != fmt.Sprint(want) {
		t.Fatalf("status: re-extractions owed %v, %v; want %v", st.Reparses, err, want)
	}
}

// TestReparseBelongsToItsWorker: a page fetched by worker w1 and found on
// a shorter path by worker w2 is re-extracted by w1 only (its page is in
// w1's store); a w1 killed with the re-extraction out gets it back when it
// rejoins, and its old incarnation's completion is refused; the crawl is
// not over while a re-extraction is owed.
func TestReparseBelongsToItsWorker(t *testing.T) {
	srv, w1, w2 := twoWorkers(t, Globals{PerHost: 4, ShortestDepth: true, MaxDepth: 3}, time.Minute)

	mustAdd(t, w1, frontier.Item{URL: "http://a/p", Host: "a", Depth: 3, Parent: "long"})
	l := mustNext(t, w1)
	if err := complete(t, w1, frontier.Completion{Lease: l, Outcome: frontier.Done, Locator: []byte("w1 at 42"), Tag: "t1"}); err != nil {
		t.Fatal(err)
	}
	drained(t, w2, true)
	mustAdd(t, w2, frontier.Item{URL: "http://a/p", Host: "a", Depth: 1, Parent: "short"})
	noLease(t, w2, "w2 with w1's re-extraction owed")
	drained(t, w2, false)
	owed(t, srv, map[string]int64{"w1": 1})

	r := mustNext(t, w1)
	if !r.Reparse || r.URL != "http://a/p" || r.Depth != 1 || r.Parent != "short" || string(r.Locator) != "w1 at 42" || r.Tag != "t1" {
		t.Fatalf("w1 got %+v, want a Reparse of http://a/p at depth 1, parent short, locator \"w1 at 42\", tag t1", r)
	}

	// w1 is killed with the re-extraction out: its rejoin takes it back.
	w1b := openWorker(t, srv, "w1", time.Minute)
	if err := complete(t, w1, frontier.Completion{Lease: r, Outcome: frontier.Done}); err == nil {
		t.Fatal("the swept incarnation's re-extraction was accepted")
	}
	noLease(t, w2, "w2 after w1's rejoin")
	r = mustNext(t, w1b)
	if !r.Reparse || r.Depth != 1 || string(r.Locator) != "w1 at 42" {
		t.Fatalf("w1 after its rejoin got %+v, want its re-extraction again", r)
	}
	kid := frontier.Item{URL: "http://b/k", Host: "b", Depth: 2, Parent: "http://a/p"}
	if err := complete(t, w1b, frontier.Completion{Lease: r, Outcome: frontier.Done, Children: []frontier.Item{kid}}); err != nil {
		t.Fatal(err)
	}
	if err := complete(t, w1b, frontier.Completion{Lease: r, Outcome: frontier.Done}); err == nil {
		t.Fatal("a second completion of the re-extraction was accepted")
	}
	k := mustNext(t, w2)
	if k.Reparse || k.URL != kid.URL || k.Depth != 2 {
		t.Fatalf("w2 got %+v, want the re-extraction's child", k)
	}
	if err := complete(t, w2, frontier.Completion{Lease: k, Outcome: frontier.Failed}); err != nil {
		t.Fatal(err)
	}
	drained(t, w2, true)
	owed(t, srv, nil)
	if s := w2.Stats(); s.Done != 1 || s.Failed != 1 || s.Queued != 0 || s.Leased != 0 {
		t.Fatalf("stats %+v: a re-extraction must count nothing", s)
	}
}

// TestLoweredWhileLeasedThenSwept: a URL lowered while its lease is out
// goes back at the new depth when the lease is swept (its worker died),
// and can be lowered again from there.
func TestLoweredWhileLeasedThenSwept(t *testing.T) {
	_, w1, w2 := twoWorkers(t, Globals{PerHost: 1, ShortestDepth: true, MaxDepth: 5}, time.Minute)

	mustAdd(t, w1, frontier.Item{URL: "http://a/x", Host: "a", Depth: 4, Parent: "p4"})
	mustAdd(t, w1, frontier.Item{URL: "http://a/y", Host: "a", Depth: 3, Parent: "p3"})
	l := mustNext(t, w1)
	if l.URL != "http://a/y" {
		t.Fatalf("leased %s first, want http://a/y (depth 3)", l.URL)
	}
	mustAdd(t, w2, frontier.Item{URL: "http://a/y", Host: "a", Depth: 2, Parent: "p2", Redirects: 1})
	w1.Close() // gives the lease back (a sweep)
	l = mustNext(t, w2)
	if l.URL != "http://a/y" || l.Depth != 2 || l.Parent != "p2" || l.Redirects != 1 {
		t.Fatalf("after the sweep w2 got %+v, want http://a/y at depth 2 from p2", l)
	}
	if err := complete(t, w2, frontier.Completion{Lease: l, Outcome: frontier.Retry, RetryAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// In the retry queue: lowered there too, attempt kept.
	mustAdd(t, w2, frontier.Item{URL: "http://a/y", Host: "a", Depth: 0, Parent: ""})
	l = mustNext(t, w2)
	if l.URL != "http://a/y" || l.Depth != 0 || l.Parent != "" || l.Attempt != 1 || l.Redirects != 0 {
		t.Fatalf("got %+v, want the retry of http://a/y at depth 0, attempt 1", l)
	}
	if err := complete(t, w2, frontier.Completion{Lease: l, Outcome: frontier.Failed}); err != nil {
		t.Fatal(err)
	}
	// Queued: moves ahead of a shallower URL.
	mustAdd(t, w2, frontier.Item{URL: "http://a/z", Host: "a", Depth: 2})
	mustAdd(t, w2, frontier.Item{URL: "http://a/x", Host: "a", Depth: 1, Parent: "p1"})
	l = mustNext(t, w2)
	if l.URL != "http://a/x" || l.Depth != 1 || l.Parent != "p1" {
		t.Fatalf("got %+v, want http://a/x lowered to depth 1 ahead of http://a/z", l)
	}
}

// TestOwedReparseOfAStoppedWorker: a re-extraction owed by a worker that
// is not running does not keep the others from finishing; the worker does
// it when it rejoins, and the crawl is open again meanwhile.
func TestOwedReparseOfAStoppedWorker(t *testing.T) {
	srv, w1, w2 := twoWorkers(t, Globals{PerHost: 4, ShortestDepth: true, MaxDepth: 3}, time.Minute)
	mustAdd(t, w1, frontier.Item{URL: "http://a/p", Host: "a", Depth: 3})
	l := mustNext(t, w1)
	if err := complete(t, w1, frontier.Completion{Lease: l, Outcome: frontier.Done, Locator: []byte("L")}); err != nil {
		t.Fatal(err)
	}
	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, w2, frontier.Item{URL: "http://a/p", Host: "a", Depth: 1})
	owed(t, srv, map[string]int64{"w1": 1})
	noLease(t, w2, "w2 with a stopped w1's re-extraction owed")
	drained(t, w2, true)

	w1b := openWorker(t, srv, "w1", time.Minute)
	drained(t, w2, false)
	r := mustNext(t, w1b)
	if !r.Reparse || r.Depth != 1 || string(r.Locator) != "L" {
		t.Fatalf("w1 rejoined and got %+v, want its re-extraction", r)
	}
	if err := complete(t, w1b, frontier.Completion{Lease: r, Outcome: frontier.Done}); err != nil {
		t.Fatal(err)
	}
	drained(t, w2, true)
	owed(t, srv, nil)
}
