package frontiertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// Outcome names, for brevity.
const (
	done    = frontier.Done
	failed  = frontier.Failed
	skipped = frontier.Skipped
	retry   = frontier.Retry
	release = frontier.Release
)

type (
	item_      = frontier.Item
	completion = frontier.Completion
	stats      = frontier.Stats
)

var cases = []contractCase{
	{"Transitions", testTransitions},
	{"Dedup", testDedup},
	{"ChildrenWithCompletion", testChildren},
	{"OrderDepthThenFIFO", testOrderDepthThenFIFO},
	{"OrderManyRefills", testOrderManyRefills},
	{"PerHostLimit", testPerHostLimit},
	{"Delay", testDelay},
	{"HostDelayRaisesDelay", testHostDelay},
	{"NotBefore", testNotBefore},
	{"EarliestReadyHostFirst", testEarliestReady},
	{"LookaheadAndBegin", testLookaheadBegin},
	{"Rebegin", testRebegin},
	{"Tag", testTag},
	{"RobotsHost", testRobotsHost},
	{"RetryWaitsAndComesFirst", testRetryWaitsAndComesFirst},
	{"ReleaseSlot", testReleaseSlot},
	{"CompleteAsyncOrder", testCompleteAsyncOrder},
	{"CheckpointAndMeta", testCheckpointAndMeta},
	{"Drained", testDrained},
	{"Deferred", testDeferred},
	{"DeferHost", testDeferHost},
	{"ShortestDepth", testShortestDepth},
	{"Restart", testRestart},
	{"Durable", testDurable},
	{"Concurrent", testConcurrent},
	{"InvalidInput", testInvalidInput},
	{"AfterClose", testAfterClose},
}

// Each outcome moves the counters once; Retry and Release put the URL back
// (Retry not before RetryAt, with Attempt+1); a lease is spent by its
// completion.
func testTransitions(t *testing.T, s *store) {
	retryAt := t0.Add(time.Minute)
	for _, tc := range []struct {
		name    string
		outcome frontier.Outcome
		want    stats
		requeue bool
		attempt int
	}{
		{"done", done, stats{Done: 1, Hosts: 1, Bytes: 10}, false, 0},
		{"failed", failed, stats{Failed: 1, Hosts: 1}, false, 0},
		{"skipped", skipped, stats{Skipped: 1, Hosts: 1}, false, 0},
		{"retry", retry, stats{Queued: 1, Retries: 1, Hosts: 1}, true, 1},
		{"release", release, stats{Queued: 1, Hosts: 1}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := s.fresh(t).frontier(Config{})
			x.add(item("a", 1, 0))
			x.stats(stats{Queued: 1, Hosts: 1})
			l := x.next(t0)
			if l.URL != "http://a/1" || l.Host != "a" || l.Attempt != 0 {
				t.Fatalf("lease %+v", l)
			}
			x.stats(stats{Leased: 1, Hosts: 1})
			x.complete(completion{Lease: l, Outcome: tc.outcome, RetryAt: retryAt, Bytes: 10, Status: 200})
			x.stats(tc.want)
			if tc.outcome == retry {
				x.none(retryAt.Add(-time.Second), time.Second)
			}
			l2, ok, _ := x.poll(retryAt)
			if ok != tc.requeue {
				t.Fatalf("Next after the outcome: ok=%v, want %v", ok, tc.requeue)
			}
			if ok && (l2.URL != l.URL || l2.Attempt != tc.attempt) {
				t.Fatalf("re-lease %+v, want %s attempt %d", l2, l.URL, tc.attempt)
			}
			if !tc.requeue {
				if err := x.completeErr(completion{Lease: l, Outcome: done}); !isStale(err) {
					t.Fatalf("completing a spent lease: %v, want ErrStaleLease", err)
				}
				x.stats(tc.want)
			}
		})
	}
}

// Add counts URLs never seen (in any state) once, within a call and across
// calls.
func testDedup(t *testing.T, s *store) {
	x := s.frontier(Config{})
	if n := x.add(item("a", 1, 0), item("a", 2, 0), item("a", 1, 0)); n != 2 {
		t.Fatalf("Add = %d, want 2 (a duplicate within the call)", n)
	}
	if n := x.add(item("a", 1, 3), item("b", 9, 0)); n != 1 {
		t.Fatalf("Add = %d, want 1 (one seen in an earlier call)", n)
	}
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: done})
	if n := x.add(frontier.Item{URL: l.URL, Host: l.Host}); n != 0 {
		t.Fatalf("re-adding a done URL: %d new", n)
	}
	x.stats(stats{Queued: 2, Done: 1, Hosts: 2})
}

// A completion's children are added with it: deduplicated against every
// URL known and among themselves, queued for their hosts, counted as hosts.
func testChildren(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 10})
	x.add(item("a", 1, 0), item("a", 2, 0))
	l := x.next(t0)
	kids := []item_{item("a", 1, 1), item("a", 2, 1), item("c", 1, 1), item("c", 1, 1), item("a", 3, 1)}
	for i := range kids {
		kids[i].Parent = l.URL
	}
	x.complete(completion{Lease: l, Outcome: done, Children: kids})
	x.stats(stats{Queued: 3, Done: 1, Hosts: 2})
	got := map[string]frontier.Lease{}
	for range 3 {
		l := x.next(t0)
		got[l.URL] = l
	}
	if c, ok := got["http://c/1"]; !ok || c.Depth != 1 || c.Parent != "http://a/1" || c.Host != "c" {
		t.Fatalf("child c/1 leased as %+v (all: %v)", c, got)
	}
	if _, ok := got["http://a/3"]; !ok {
		t.Fatalf("child a/3 not leased: %v", got)
	}
	x.none(t0, 0)
}

// Within a host: lower depth first, then the order of Add.
func testOrderDepthThenFIFO(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 100})
	x.add(item("a", 1, 2), item("a", 2, 1), item("a", 3, 2), item("a", 4, 0))
	x.add(item("a", 5, 1))
	var got []string
	for range 5 {
		got = append(got, x.next(t0).URL)
	}
	want := []string{"http://a/4", "http://a/2", "http://a/5", "http://a/1", "http://a/3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// The order holds over many entries, with a shallower URL arriving mid-way.
func testOrderManyRefills(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 1000})
	x.add(items("a", 300, 5)...)
	for i := range 10 {
		if l := x.next(t0); l.URL != item("a", i, 5).URL {
			t.Fatalf("lease %d = %s", i, l.URL)
		}
	}
	x.add(item("a", 1000, 1))
	if l := x.next(t0); l.URL != "http://a/1000" {
		t.Fatalf("the shallower URL is not first: %s", l.URL)
	}
	for i := 10; i < 300; i++ {
		if l := x.next(t0); l.URL != item("a", i, 5).URL {
			t.Fatalf("lease %d = %s", i, l.URL)
		}
	}
	x.none(t0, 0)
}

// No more than PerHost leases of one host are in flight; a completion
// frees a slot.
func testPerHostLimit(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 2})
	x.add(item("a", 1, 0), item("a", 2, 0), item("a", 3, 0), item("b", 1, 0))
	byHost := map[string][]frontier.Lease{}
	for range 3 {
		l := x.next(t0)
		byHost[l.Host] = append(byHost[l.Host], l)
	}
	if len(byHost["a"]) != 2 || len(byHost["b"]) != 1 {
		t.Fatalf("leased %v, want two of a, one of b", byHost)
	}
	x.none(t0, 0)
	if hs, ok := x.f.Host("a"); !ok || hs.InFlight != 2 || hs.Queued != 1 {
		t.Fatalf("Host(a) = %+v, %v; want 2 in flight, 1 queued", hs, ok)
	}
	x.complete(completion{Lease: byHost["a"][0], Outcome: done})
	if l := x.next(t0); l.URL != "http://a/3" {
		t.Fatalf("after a completion: %s, want a/3", l.URL)
	}
}

// Delay spaces the request starts of one host, not of different hosts.
func testDelay(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5, Delay: time.Second})
	x.add(item("a", 1, 0), item("a", 2, 0), item("b", 1, 0))
	got := map[string]bool{}
	for range 2 {
		l := x.next(t0)
		x.starts(l, t0)
		got[l.URL] = true
	}
	if !got["http://a/1"] || !got["http://b/1"] {
		t.Fatalf("leased %v at t0, want a/1 and b/1", got)
	}
	x.none(t0, time.Second)
	x.none(t0.Add(990*time.Millisecond), 10*time.Millisecond)
	if l := x.next(t0.Add(time.Second)); l.URL != "http://a/2" {
		t.Fatalf("after the delay: %s, want a/2", l.URL)
	}
}

// A host's own delay (robots Crawl-delay), set by a completion's host
// update, raises the global one, persists in Host, and spaces the next
// lease from the last start.
func testHostDelay(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5, Delay: time.Second})
	x.add(item("a", 1, 0), item("a", 2, 0), item("a", 3, 0))
	d := 5 * time.Second
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: done, Host: &frontier.HostUpdate{Delay: &d}})
	if hs, _ := x.f.Host("a"); hs.Delay != d {
		t.Fatalf("Host(a).Delay = %v, want %v", hs.Delay, d)
	}
	l2 := x.next(t0.Add(time.Second)) // spaced by the global delay: leased before the update
	x.none(t0.Add(2*time.Second), 4*time.Second)
	if l3 := x.next(l2.Start.Add(d)); l3.URL != "http://a/3" {
		t.Fatalf("after the host delay: %s", l3.URL)
	}
}

// A NotBefore (Retry-After on a 429/503) holds the host back; an earlier
// one does not shorten it.
func testNotBefore(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5})
	x.add(item("a", 1, 0), item("a", 2, 0), item("b", 1, 0))
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: retry, RetryAt: t0.Add(time.Hour), Status: 503,
		Host: &frontier.HostUpdate{NotBefore: t0.Add(time.Hour)}})
	l = x.next(t0)
	if l.URL != "http://b/1" {
		t.Fatalf("lease %s, want b/1 while a is held back", l.URL)
	}
	x.complete(completion{Lease: l, Outcome: done, Host: nil})
	x.none(t0, time.Hour)
	if hs, _ := x.f.Host("a"); !hs.NextAllowed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Host(a).NextAllowed = %v, want +1h", hs.NextAllowed.Sub(t0))
	}
	if l := x.next(t0.Add(time.Hour)); l.URL != "http://a/1" || l.Attempt != 1 {
		t.Fatalf("at +1h: %+v, want the due retry a/1", l)
	}
}

// Of several held-back hosts, the one ready earliest is leased first.
func testEarliestReady(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5})
	hold := map[string]time.Duration{"a": 3 * time.Second, "b": time.Second, "c": 2 * time.Second}
	for _, h := range []string{"a", "b", "c"} {
		x.add(item(h, 0, 0), item(h, 1, 0))
		l := x.next(t0)
		x.complete(completion{Lease: l, Outcome: done, Host: &frontier.HostUpdate{NotBefore: t0.Add(hold[h])}})
	}
	x.none(t0, time.Second)
	var got []string
	for range 3 {
		got = append(got, x.next(t0.Add(10*time.Second)).Host)
	}
	if strings.Join(got, "") != "bca" {
		t.Fatalf("hosts leased in order %v, want b c a", got)
	}
}

// With Lookahead a lease comes early and carries the time its request may
// start. Begin reserves each request's start: requests of one host begin at
// least its delay apart, and a late start pushes the host's next lease.
func testLookaheadBegin(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5, Delay: time.Second, Lookahead: 50 * time.Millisecond})
	x.add(item("a", 1, 0), item("a", 2, 0), item("a", 3, 0))
	l1 := x.next(t0)
	x.starts(l1, t0)
	x.waits("Begin(l1, t0)", x.f.Begin(l1, t0), 0)
	// A second request for the same lease (robots.txt, then the page)
	// begins a delay later.
	x.waits("second Begin 100ms later", x.f.Begin(l1, t0.Add(100*time.Millisecond)), 900*time.Millisecond)
	x.none(t0.Add(100*time.Millisecond), 1850*time.Millisecond)
	l2 := x.next(t0.Add(1950 * time.Millisecond))
	x.starts(l2, t0.Add(2*time.Second))
	// Its request goes out late, at +2.5s: the next one waits for +3.5s.
	x.waits("late Begin", x.f.Begin(l2, t0.Add(2500*time.Millisecond)), 0)
	x.none(t0.Add(3*time.Second), 450*time.Millisecond)
	l3 := x.next(t0.Add(3450 * time.Millisecond))
	x.starts(l3, t0.Add(3500*time.Millisecond))
	// Its request is reserved at +3.5s but goes out at +3.8s (a stall):
	// the next request of the host begins a delay after +3.8s.
	x.waits("Begin at +3.5s", x.f.Begin(l3, t0.Add(3500*time.Millisecond)), 0)
	x.f.Sent(l3, t0.Add(3800*time.Millisecond))
	x.waits("Begin after a late send (a delay after the send at +3.8s)", x.f.Begin(l3, t0.Add(4500*time.Millisecond)), 300*time.Millisecond)
}

// A request still unwritten past its reservation renews it (Rebegin):
// the slot stands, moved to now, if no request of the host was reserved
// after it; otherwise it begins a delay after the latest reservation.
func testRebegin(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 2, Delay: time.Second, Lookahead: 500 * time.Millisecond})
	x.add(item("a", 1, 0), item("a", 2, 0))
	l1 := x.next(t0)
	x.waits("Begin(l1, t0)", x.f.Begin(l1, t0), 0)
	// Its answer came late: at +300ms nothing else is reserved, so the
	// slot stands and moves there.
	x.waits("Rebegin of the last reservation", x.f.Rebegin(l1, t0, t0.Add(300*time.Millisecond)), 0)
	// The host's next request begins a delay after the moved start.
	l2 := x.next(t0.Add(800 * time.Millisecond))
	x.waits("Begin(l2, +800ms) (a delay after +300ms)", x.f.Begin(l2, t0.Add(800*time.Millisecond)), 500*time.Millisecond)
	// Had l1's renewal come late again, past l2's reservation (+1.3s), it
	// would begin a delay after l2's.
	x.waits("Rebegin after another reservation (a delay after l2's +1.3s)",
		x.f.Rebegin(l1, t0.Add(300*time.Millisecond), t0.Add(900*time.Millisecond)), 1400*time.Millisecond)
}

// An Item's Tag comes back on its leases; a completion's non-empty Tag
// replaces it (an empty one keeps it), durably.
func testTag(t *testing.T, s *store) {
	x := s.frontier(Config{})
	it := item("a", 1, 0)
	it.Tag = "sitemap"
	x.add(it)
	l := x.next(t0)
	if l.Tag != "sitemap" {
		t.Fatalf("lease Tag %q, want sitemap", l.Tag)
	}
	x.complete(completion{Lease: l, Outcome: release})
	l = x.next(t0)
	if l.Tag != "sitemap" {
		t.Fatalf("after a completion without a Tag: %q, want sitemap", l.Tag)
	}
	x.complete(completion{Lease: l, Outcome: retry, RetryAt: t0, Tag: "etag=x"})
	x.close()
	x = s.frontier(Config{})
	if l := x.next(t0); l.Tag != "etag=x" || l.Attempt != 1 {
		t.Fatalf("after a completion with a Tag and a reopen: %q attempt %d, want etag=x attempt 1", l.Tag, l.Attempt)
	}
	long := item("a", 2, 0)
	long.Tag = strings.Repeat("x", frontier.MaxTag+1)
	if _, err := x.f.Add(context.Background(), []item_{long}); err == nil {
		t.Error("Add with a Tag over MaxTag succeeded")
	}
}

// When politeness groups URLs under a coarser key, a completion's robots
// state goes to RobotsHost (the origin's key); the rest of its host update
// applies to the lease's key.
func testRobotsHost(t *testing.T, s *store) {
	x := s.frontier(Config{})
	x.add(frontier.Item{URL: "http://www.example.test/", Host: "example.test"})
	l := x.next(t0)
	d := 2 * time.Second
	robots := &frontier.RobotsState{Status: 200, Body: []byte("User-agent: *\nCrawl-delay: 2\n"), FetchedAt: t0, Expires: t0.Add(time.Hour)}
	x.complete(completion{Lease: l, Outcome: done, RobotsHost: "www.example.test",
		Host: &frontier.HostUpdate{Robots: robots, Delay: &d}})
	origin, ok := x.f.Host("www.example.test")
	if !ok || origin.Robots == nil || string(origin.Robots.Body) != string(robots.Body) {
		t.Fatalf("Host(origin) = %+v, %v; want its robots.txt", origin, ok)
	}
	key, ok := x.f.Host("example.test")
	if !ok || key.Delay != d {
		t.Fatalf("Host(key) = %+v, %v; want delay %v", key, ok, d)
	}
	if key.Robots != nil {
		t.Errorf("Host(key).Robots = %+v, want none (robots.txt is per origin)", key.Robots)
	}
}

// A retry waits for its time while the host's other URLs go; once due it
// comes before them.
func testRetryWaitsAndComesFirst(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 1})
	x.add(item("a", 1, 0), item("a", 2, 0))
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: retry, RetryAt: t0.Add(time.Minute), Status: 503})
	l2 := x.next(t0)
	if l2.URL != "http://a/2" {
		t.Fatalf("got %s, want a/2 while a/1 waits", l2.URL)
	}
	x.complete(completion{Lease: l2, Outcome: done})
	x.none(t0, time.Minute)
	x.add(item("a", 3, 0))
	if l3 := x.next(t0.Add(time.Minute)); l3.URL != "http://a/1" || l3.Attempt != 1 {
		t.Fatalf("got %+v, want the due retry a/1 (attempt 1) first", l3)
	}
}

// ReleaseSlot frees the host's request slot; the lease stays in flight
// until its completion commits. Twice does nothing more.
func testReleaseSlot(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 1})
	x.add(item("a.test", 1, 0), item("a.test", 2, 0), item("a.test", 3, 0))
	l1 := x.next(t0)
	x.none(t0, 0)
	x.f.ReleaseSlot(l1)
	l2 := x.next(t0)
	x.none(t0, 0)
	if st := x.f.Stats(); st.Leased != 2 {
		t.Fatalf("Leased = %d, want 2 (l1's slot is free, its lease is not)", st.Leased)
	}
	if hs, _ := x.f.Host("a.test"); hs.InFlight != 2 {
		t.Fatalf("InFlight = %d, want 2", hs.InFlight)
	}
	x.f.ReleaseSlot(l1)
	x.none(t0, 0)
	x.complete(completion{Lease: l1, Outcome: done})
	x.none(t0, 0) // l2 still holds the slot
	x.complete(completion{Lease: l2, Outcome: done})
	l3 := x.next(t0)
	x.complete(completion{Lease: l3, Outcome: done})
	x.stats(stats{Done: 3, Hosts: 1})
}

// Completions submitted in order commit in that order: their callbacks
// run in order and the last checkpoint wins.
func testCompleteAsyncOrder(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 100})
	x.add(items("a", 50, 0)...)
	errs := make(chan error, 50)
	var mu sync.Mutex
	var order []int
	for i := range 50 {
		l := x.next(t0)
		x.f.CompleteAsync(completion{Lease: l, Outcome: done, Checkpoint: []byte(fmt.Sprint(i))}, func(err error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			errs <- err
		})
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range order {
		if i != v {
			t.Fatalf("callbacks out of order: %v", order)
		}
	}
	if string(x.f.Checkpoint()) != "49" {
		t.Fatalf("checkpoint %q, want 49", x.f.Checkpoint())
	}
	x.stats(stats{Done: 50, Hosts: 1})
}

// A completion's checkpoint is the frontier's once committed; a completion
// without one keeps the last. Meta values are stored and read back; an
// unknown key reads as nil, an empty key is refused.
func testCheckpointAndMeta(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 5})
	if cp := x.f.Checkpoint(); cp != nil {
		t.Fatalf("new frontier: checkpoint %q, want nil", cp)
	}
	x.add(item("a", 1, 0), item("a", 2, 0))
	x.complete(completion{Lease: x.next(t0), Outcome: done, Checkpoint: []byte("cp1")})
	x.complete(completion{Lease: x.next(t0), Outcome: failed, Status: 500})
	if cp := string(x.f.Checkpoint()); cp != "cp1" {
		t.Fatalf("checkpoint %q, want cp1", cp)
	}
	ctx := context.Background()
	if err := x.f.SetMeta(ctx, "config", []byte("x: 1")); err != nil {
		t.Fatal(err)
	}
	if err := x.f.SetMeta(ctx, "config", []byte("x: 2")); err != nil {
		t.Fatal(err)
	}
	if v := x.meta("config"); v != "x: 2" {
		t.Fatalf("Meta(config) = %q, want the last value", v)
	}
	if v, err := x.f.Meta("nope"); err != nil || v != nil {
		t.Fatalf("Meta(unknown) = %q, %v; want nil, nil", v, err)
	}
	if err := x.f.SetMeta(ctx, "", []byte("v")); err == nil {
		t.Fatal("SetMeta with an empty key succeeded")
	}
}

// Drained is true only when nothing is queued and nothing is leased.
func testDrained(t *testing.T, s *store) {
	x := s.frontier(Config{})
	x.drained(true)
	x.add(item("a", 1, 0))
	x.drained(false)
	l := x.next(t0)
	x.drained(false)
	x.f.ReleaseSlot(l)
	x.drained(false)
	x.complete(completion{Lease: l, Outcome: retry, RetryAt: t0.Add(time.Hour)})
	x.drained(false) // a delayed retry is queued work
	x.complete(completion{Lease: x.next(t0.Add(time.Hour)), Outcome: failed})
	x.drained(true)
}

// After Close and a reopen, the leases of the closed frontier are queued
// again (attempt kept), and completing one is refused.
func testRestart(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 10})
	x.add(item("a", 1, 0), item("a", 2, 0), item("b", 1, 0))
	l1 := x.next(t0)
	x.next(t0)
	x.complete(completion{Lease: l1, Outcome: retry, RetryAt: t0})
	l1 = x.next(t0) // the retry, leased again
	x.close()
	x = s.frontier(Config{PerHost: 10})
	x.stats(stats{Queued: 3, Retries: 1, Hosts: 2})
	if err := x.completeErr(completion{Lease: l1, Outcome: done}); !isStale(err) {
		t.Fatalf("completing a lease from before the restart: %v, want ErrStaleLease", err)
	}
	seen := map[string]int{}
	for range 3 {
		l := x.next(t0)
		seen[l.URL] = l.Attempt
	}
	if len(seen) != 3 || seen[l1.URL] != 1 {
		t.Fatalf("after the restart leased %v, want 3 URLs, %s at attempt 1", seen, l1.URL)
	}
	x.none(t0, 0)
}

// What a completion committed survives a reopen: outcome counters, the
// checkpoint, meta, the host's delay, robots and next-allowed time, dedup.
func testDurable(t *testing.T, s *store) {
	x := s.frontier(Config{})
	x.add(item("a", 1, 0), item("a", 2, 0))
	l := x.next(t0)
	d := 3 * time.Second
	robots := &frontier.RobotsState{Status: 200, Body: []byte("User-agent: *\nDisallow: /x\n"), FetchedAt: t0, Expires: t0.Add(time.Hour)}
	x.complete(completion{Lease: l, Outcome: done, Bytes: 5, Checkpoint: []byte("cp1"),
		Host: &frontier.HostUpdate{Delay: &d, Robots: robots, NotBefore: t0.Add(time.Hour)}})
	if err := x.f.SetMeta(context.Background(), "config", []byte("x: 1")); err != nil {
		t.Fatal(err)
	}
	x.close()
	x = s.frontier(Config{})
	if string(x.f.Checkpoint()) != "cp1" || x.meta("config") != "x: 1" || x.meta("nope") != "" {
		t.Fatalf("after reopen: checkpoint %q, meta %q", x.f.Checkpoint(), x.meta("config"))
	}
	hs, ok := x.f.Host("a")
	if !ok || hs.Delay != d || hs.Queued != 1 || hs.Robots == nil || string(hs.Robots.Body) != string(robots.Body) ||
		hs.Robots.Status != 200 || !hs.Robots.Expires.Equal(robots.Expires) || !hs.NextAllowed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Host(a) after reopen = %+v", hs)
	}
	if _, ok := x.f.Host("zzz"); ok {
		t.Fatal("Host(unknown) ok")
	}
	x.none(t0, time.Hour)
	x.stats(stats{Queued: 1, Done: 1, Hosts: 1, Bytes: 5})
	if n := x.add(item("a", 1, 0), item("a", 2, 0)); n != 0 {
		t.Fatalf("Add after reopen: %d new, want 0", n)
	}
}

// Many workers lease and complete with children at once: every URL is
// leased exactly once and the counters add up.
func testConcurrent(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 3})
	var seeds []item_
	for i := range 20 {
		seeds = append(seeds, item(fmt.Sprintf("h%d", i%5), i, 0))
	}
	x.add(seeds...)
	var mu sync.Mutex
	leased := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				l, ok, wait, err := x.f.Next(time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					if d, err := x.f.Drained(); err != nil || d {
						return
					}
					// Work is leased by the others: wait for it to come
					// back or end (polling; no timing is asserted).
					time.Sleep(max(wait, 100*time.Microsecond))
					continue
				}
				mu.Lock()
				leased[l.URL]++
				mu.Unlock()
				var kids []item_
				if l.Depth < 4 {
					kids = []item_{{URL: l.URL + "/a", Host: l.Host, Depth: l.Depth + 1}, {URL: l.URL + "/b", Host: "h0", Depth: l.Depth + 1}}
				}
				x.f.Stats()
				x.f.Host(l.Host)
				x.f.ReleaseSlot(l)
				if err := x.completeErr(completion{Lease: l, Outcome: done, Children: kids}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	const want = 20 * (1 + 2 + 4 + 8 + 16)
	for u, n := range leased {
		if n != 1 {
			t.Errorf("%s leased %d times", u, n)
		}
	}
	if len(leased) != want {
		t.Errorf("leased %d URLs, want %d", len(leased), want)
	}
	x.stats(stats{Done: want, Hosts: 5})
}

// Bad input is refused with an error, and changes nothing.
func testInvalidInput(t *testing.T, s *store) {
	x := s.frontier(Config{})
	ctx := context.Background()
	for _, bad := range []item_{{URL: "", Host: "a"}, {URL: "http://a/x", Host: "a", Depth: -1}, {URL: "http://a/y", Host: "a", Redirects: -1}} {
		if _, err := x.f.Add(ctx, []item_{item("a", 1, 0), bad}); err == nil {
			t.Errorf("Add(%+v) succeeded", bad)
		}
	}
	x.stats(stats{})
	x.add(item("a", 1, 0))
	l := x.next(t0)
	if err := x.completeErr(completion{Lease: l, Outcome: 0}); err == nil {
		t.Error("a completion without an outcome succeeded")
	}
	if err := x.completeErr(completion{Lease: l, Outcome: done, Children: []item_{{URL: ""}}}); err == nil {
		t.Error("a completion with an invalid child succeeded")
	}
	x.stats(stats{Leased: 1, Hosts: 1})
	x.complete(completion{Lease: l, Outcome: done})
}

// After Close every call that needs the store returns an error (Next never
// reads as "nothing to do"); Close again is an error too.
func testAfterClose(t *testing.T, s *store) {
	x := s.frontier(Config{})
	x.add(item("a", 1, 0))
	x.close()
	ctx := context.Background()
	if _, err := x.f.Add(ctx, []item_{item("a", 2, 0)}); err == nil {
		t.Error("Add after Close succeeded")
	}
	if _, ok, _, err := x.f.Next(t0); ok || err == nil {
		t.Errorf("Next after Close: ok=%v err=%v, want an error", ok, err)
	}
	if _, err := x.f.Drained(); err == nil {
		t.Error("Drained after Close succeeded")
	}
	if _, err := x.f.Meta("k"); err == nil {
		t.Error("Meta after Close succeeded")
	}
	if err := x.f.SetMeta(ctx, "k", []byte("v")); err == nil {
		t.Error("SetMeta after Close succeeded")
	}
	if err := x.completeErr(completion{Lease: frontier.Lease{URL: "http://a/1", Host: "a"}, Outcome: done}); err == nil {
		t.Error("CompleteAsync after Close reported success")
	}
	if err := x.f.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
	if err := x.f.Close(); !errors.Is(err, frontier.ErrClosed) {
		t.Errorf("Close after Close: %v, want ErrClosed", err)
	}
}

// A Deferred outcome is neither done, failed nor queued: Drained ignores
// it, it survives a restart, and RequeueDeferred queues it again with its
// depth and attempt.
func testDeferred(t *testing.T, s *store) {
	x := s.frontier(Config{})
	x.add(item("a", 1, 2))
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: frontier.Deferred, Reason: "wait too long"})
	x.stats(stats{Deferred: 1, Hosts: 1})
	x.drained(true)
	x.none(t0.Add(time.Hour), 0)
	x.close()
	x = s.frontier(Config{})
	x.stats(stats{Deferred: 1, Hosts: 1})
	hosts, err := x.f.DeferredHosts()
	if err != nil || len(hosts) != 1 || hosts[0] != (frontier.DeferredHost{Host: "a", URLs: 1, Reason: "wait too long"}) {
		t.Fatalf("DeferredHosts = %+v, %v", hosts, err)
	}
	if n, err := x.f.RequeueDeferred(context.Background()); err != nil || n != 1 {
		t.Fatalf("RequeueDeferred = %d, %v; want 1", n, err)
	}
	x.stats(stats{Queued: 1, Hosts: 1})
	x.drained(false)
	if l2 := x.next(t0); l2.URL != l.URL || l2.Depth != 2 || l2.Attempt != 0 {
		t.Fatalf("requeued lease %+v, want %s at depth 2, attempt 0", l2, l.URL)
	}
}

// HostUpdate.Defer defers every queued URL of the host and every one added
// or released later, leaves other hosts alone, and RequeueDeferred undoes
// it.
func testDeferHost(t *testing.T, s *store) {
	x := s.frontier(Config{PerHost: 2})
	for i := range 5 {
		x.add(item("bad", i, 1), item("good", i, 1))
	}
	var bad []frontier.Lease
	for len(bad) < 2 {
		if l := x.next(t0); l.Host == "bad" {
			bad = append(bad, l)
		} else {
			x.complete(completion{Lease: l, Outcome: done})
		}
	}
	x.complete(completion{Lease: bad[0], Outcome: frontier.Deferred, Reason: "robots.txt unavailable",
		Host: &frontier.HostUpdate{Defer: "robots.txt unavailable"}})
	x.complete(completion{Lease: bad[1], Outcome: release}) // out when the host was deferred
	x.add(item("bad", 100, 3))                              // found later
	for {
		l, ok, _ := x.poll(t0)
		if !ok {
			break
		}
		if l.Host == "bad" {
			t.Fatalf("leased %s of a deferred host", l.URL)
		}
		x.complete(completion{Lease: l, Outcome: done})
	}
	x.drained(true)
	st := x.f.Stats()
	if st.Deferred != 6 || st.Queued != 0 || st.Done != 5 {
		t.Fatalf("Stats = %+v, want bad's 6 URLs deferred and good's 5 done", st)
	}
	if n, err := x.f.RequeueDeferred(context.Background()); err != nil || n != 6 {
		t.Fatalf("RequeueDeferred = %d, %v; want 6", n, err)
	}
	for range 6 {
		l := x.next(t0)
		if l.Host != "bad" {
			t.Fatalf("leased %s, want bad's URLs", l.URL)
		}
		x.complete(completion{Lease: l, Outcome: done})
	}
	x.drained(true)
}
