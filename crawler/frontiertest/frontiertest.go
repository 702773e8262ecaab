package frontiertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier"
)

// Config is what a case asks of the frontier it opens.
type Config struct {
	PerHost   int           // max leases in flight per host; 0 means the case does not care (use 2)
	Delay     time.Duration // min gap between request starts for one host
	Lookahead time.Duration // how early Next may hand out a lease before its host's time
	// MaxDepth > 0 is a crawl's depth limit: the frontier keeps shortest
	// depths (frontier.Options.ShortestDepth and MaxDepth). 0: no limit,
	// first-come depths.
	MaxDepth int
}

// Open opens a Frontier on one case's store. Called again after Close, it
// must open the same store (a restart).
type Open func(cfg Config) (crawler.Frontier, error)

// Opener makes a fresh, empty store for one case (t is that case's) and
// returns how to open it. Cleanup of the store belongs in t.Cleanup.
type Opener func(t *testing.T) Open

// t0 is the base of the fixed times the cases pass to Next.
var t0 = time.Unix(1_700_000_000, 0)

// Run runs every contract case against the implementation behind opener,
// each as a subtest with a store of its own.
func Run(t *testing.T, opener Opener) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, &store{t: t, open: opener(t), opener: opener})
		})
	}
}

type contractCase struct {
	name string
	run  func(t *testing.T, s *store)
}

// store is one case's store with helpers that fail the test on errors.
type store struct {
	t      *testing.T
	open   Open
	opener Opener
}

// fresh makes another empty store, for subtest t.
func (s *store) fresh(t *testing.T) *store {
	return &store{t: t, open: s.opener(t), opener: s.opener}
}

// frontier opens the store with cfg; the frontier is closed at the end of
// the test if the case has not closed it.
func (s *store) frontier(cfg Config) *fx {
	s.t.Helper()
	if cfg.PerHost == 0 {
		cfg.PerHost = 2
	}
	f, err := s.open(cfg)
	if err != nil {
		s.t.Fatalf("open: %v", err)
	}
	x := &fx{t: s.t, f: f}
	s.t.Cleanup(func() {
		if !x.closed {
			f.Close()
		}
	})
	return x
}

// fx is an open frontier with helpers that fail the test on errors.
type fx struct {
	t      *testing.T
	f      crawler.Frontier
	closed bool
}

func (x *fx) close() {
	x.t.Helper()
	x.closed = true
	if err := x.f.Close(); err != nil {
		x.t.Fatalf("Close: %v", err)
	}
}

func (x *fx) add(items ...frontier.Item) int {
	x.t.Helper()
	n, err := x.f.Add(context.Background(), items)
	if err != nil {
		x.t.Fatalf("Add: %v", err)
	}
	return n
}

// completeErr submits c and waits for its commit.
func (x *fx) completeErr(c frontier.Completion) error {
	done := make(chan error, 1)
	x.f.CompleteAsync(c, func(err error) { done <- err })
	return <-done
}

func (x *fx) complete(c frontier.Completion) {
	x.t.Helper()
	if err := x.completeErr(c); err != nil {
		x.t.Fatalf("complete %s: %v", c.Lease.URL, err)
	}
}

// poll calls Next at now, asking again while the answer is "nothing, but
// ask again within a millisecond" (see the package doc).
func (x *fx) poll(now time.Time) (frontier.Lease, bool, time.Duration) {
	x.t.Helper()
	for {
		l, ok, wait, err := x.f.Next(now)
		if err != nil {
			x.t.Fatalf("Next: %v", err)
		}
		if ok || wait == 0 || wait > time.Millisecond {
			return l, ok, wait
		}
		time.Sleep(wait)
	}
}

// next leases at now and fails the test if nothing is leasable.
func (x *fx) next(now time.Time) frontier.Lease {
	x.t.Helper()
	l, ok, wait := x.poll(now)
	if !ok {
		x.t.Fatalf("Next: nothing leased (wait %v), stats %+v", wait, x.f.Stats())
	}
	return l
}

// none checks that nothing is leasable at now and that the wait is want.
// A wait of a millisecond or less that is not want means "ask again" (see
// the package doc).
func (x *fx) none(now time.Time, want time.Duration) {
	x.t.Helper()
	for {
		l, ok, wait, err := x.f.Next(now)
		if err != nil {
			x.t.Fatalf("Next: %v", err)
		}
		if !ok && wait != want && wait > 0 && wait <= time.Millisecond {
			time.Sleep(wait)
			continue
		}
		if ok || wait != want {
			x.t.Fatalf("Next at +%v: leased %q (ok=%v), wait %v; want nothing, wait %v", now.Sub(t0), l.URL, ok, wait, want)
		}
		return
	}
}

// starts checks the time l's request was planned to start at.
func (x *fx) starts(l frontier.Lease, want time.Time) {
	x.t.Helper()
	if !l.Start.Equal(want) {
		x.t.Fatalf("lease %s starts at +%v, want +%v", l.URL, l.Start.Sub(t0), want.Sub(t0))
	}
}

// waits checks a wait the frontier answered (Begin, Rebegin); what names
// the call.
func (x *fx) waits(what string, got, want time.Duration) {
	x.t.Helper()
	if got != want {
		x.t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func (x *fx) stats(want frontier.Stats) {
	x.t.Helper()
	if got := x.f.Stats(); got != want {
		x.t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func (x *fx) meta(key string) string {
	x.t.Helper()
	v, err := x.f.Meta(key)
	if err != nil {
		x.t.Fatalf("Meta %s: %v", key, err)
	}
	return string(v)
}

func (x *fx) drained(want bool) {
	x.t.Helper()
	got, err := x.f.Drained()
	if err != nil || got != want {
		x.t.Fatalf("Drained = %v, %v; want %v (stats %+v)", got, err, want, x.f.Stats())
	}
}

// item is URL number i of host at depth.
func item(host string, i, depth int) frontier.Item {
	return frontier.Item{URL: fmt.Sprintf("http://%s/%d", host, i), Host: host, Depth: depth}
}

// items are URLs 0 to n-1 of host at depth.
func items(host string, n, depth int) []frontier.Item {
	its := make([]frontier.Item, n)
	for i := range its {
		its[i] = item(host, i, depth)
	}
	return its
}

// isStale reports whether err refuses a completion of a lease that is no
// longer current.
func isStale(err error) bool { return errors.Is(err, frontier.ErrStaleLease) }
