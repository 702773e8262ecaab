package frontiertest

import (
	"fmt"
	"testing"

	"github.com/trawl-crawler/trawl/frontier"
)

// depthItem is URL http://host/i at depth, found on parent.
func depthItem(host string, i, depth int, parent string) frontier.Item {
	return frontier.Item{URL: fmt.Sprintf("http://%s/%d", host, i), Host: host, Depth: depth, Parent: parent}
}

// With a depth limit (Config.MaxDepth) the frontier keeps each URL's
// smallest depth, as frontier.Item's doc says: a queued URL found on a
// shorter path moves up its host's queue with the new depth and parent; a
// fetched one is handed out again as a Reparse lease with its locator
// (before any fetch; its completion changes no counter) and the children
// of that completion lower their own known children; a URL lowered while
// leased is settled at completion (Done: re-extracted; Release: queued at
// the new depth); a page lowered to a depth still past the limit is not
// re-extracted; lowerings and pending re-extractions survive a restart.
func testShortestDepth(t *testing.T, s *store) {
	cfg := Config{PerHost: 1, MaxDepth: 5}
	x := s.frontier(cfg)

	// Queued.
	x.add(depthItem("q", 1, 1, ""), depthItem("q", 2, 4, "long"), depthItem("q", 3, 3, ""))
	if n := x.add(depthItem("q", 2, 2, "short")); n != 0 {
		t.Fatalf("Add of a known URL at a smaller depth = %d new, want 0", n)
	}
	x.add(depthItem("q", 2, 3, "longer")) // larger than 2: nothing
	for _, want := range []frontier.Lease{{URL: "http://q/1", Depth: 1}, {URL: "http://q/2", Depth: 2, Parent: "short"}, {URL: "http://q/3", Depth: 3}} {
		l := x.next(t0)
		if l.URL != want.URL || l.Depth != want.Depth || l.Parent != want.Parent || l.Reparse {
			t.Fatalf("lease %s depth %d parent %q reparse %v, want %s depth %d parent %q",
				l.URL, l.Depth, l.Parent, l.Reparse, want.URL, want.Depth, want.Parent)
		}
		x.complete(completion{Lease: l, Outcome: failed})
	}

	// Done: re-extracted, across a restart.
	x.add(depthItem("d", 1, 4, ""))
	l := x.next(t0)
	x.complete(completion{Lease: l, Outcome: done, Locator: []byte("at d/1"), Children: []frontier.Item{depthItem("d", 2, 5, l.URL)}})
	x.add(depthItem("d", 1, 1, "seed"))
	x.close()
	x = s.frontier(cfg)
	before := stats{Queued: 1, Done: 1, Failed: 3, Hosts: 2}
	x.stats(before)
	if d, err := x.f.Drained(); err != nil || d {
		t.Fatalf("Drained = %v, %v with a re-extraction pending", d, err)
	}
	l = x.next(t0)
	if !l.Reparse || l.URL != "http://d/1" || l.Depth != 1 || l.Parent != "seed" || string(l.Locator) != "at d/1" {
		t.Fatalf("lease %+v, want a Reparse of http://d/1 at depth 1, parent seed, locator \"at d/1\"", l)
	}
	x.complete(completion{Lease: l, Outcome: done, Children: []frontier.Item{depthItem("d", 2, 2, l.URL)}})
	x.stats(before) // a re-extraction counts nothing
	l = x.next(t0)
	if l.Reparse || l.URL != "http://d/2" || l.Depth != 2 || l.Parent != "http://d/1" {
		t.Fatalf("lease %+v, want http://d/2 fetched at depth 2 from http://d/1", l)
	}
	x.complete(completion{Lease: l, Outcome: failed})

	// Leased.
	x.add(depthItem("l", 1, 3, ""), depthItem("m", 1, 3, ""))
	l1, l2 := x.next(t0), x.next(t0)
	x.add(depthItem("l", 1, 1, ""), depthItem("m", 1, 2, ""))
	x.complete(completion{Lease: l1, Outcome: done})
	x.complete(completion{Lease: l2, Outcome: release})
	got := map[string]frontier.Lease{}
	for range 2 {
		l := x.next(t0)
		got[l.URL] = l
	}
	if l := got["http://l/1"]; !l.Reparse || l.Depth != 1 {
		t.Fatalf("l/1 lowered while leased, then Done: %+v, want a Reparse at depth 1", l)
	}
	if l := got["http://m/1"]; l.Reparse || l.Depth != 2 {
		t.Fatalf("m/1 lowered while leased, then Released: %+v, want a fetch at depth 2", l)
	}
	x.complete(completion{Lease: got["http://l/1"], Outcome: done})
	x.complete(completion{Lease: got["http://m/1"], Outcome: done})

	// Past the limit: not re-extracted.
	x.add(depthItem("p", 1, 7, ""))
	l = x.next(t0)
	x.complete(completion{Lease: l, Outcome: done})
	x.add(depthItem("p", 1, 6, ""))
	x.none(t0, 0)
	if d, err := x.f.Drained(); err != nil || !d {
		t.Fatalf("Drained = %v, %v at the end", d, err)
	}
	x.stats(stats{Done: 4, Failed: 4, Hosts: 5})
}
