package frontier_test

import (
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/frontiertest"
	"github.com/trawl-crawler/trawl/frontier"
)

// TestCrashKill9 runs the kill -9 contract (frontiertest.Crash) on the
// bbolt frontier, synced as in a crawl, and after each kill also checks the
// file itself: the counters against a full recount (which also checks the
// queue and lease indexes against the URL states), and each URL reported
// final against its record.
func TestCrashKill9(t *testing.T) {
	open := func(where string, cfg frontiertest.Config) (crawler.Frontier, error) {
		return frontier.Open(where, frontier.Options{PerHost: cfg.PerHost, MaxBatchDelay: time.Millisecond})
	}
	frontiertest.Crash(t, open, func(t *testing.T, path string, round int, durable map[string]frontier.Outcome) {
		f, err := frontier.Open(path, frontier.Options{NoSync: true})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		defer f.Close()
		re, err := f.Recount()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if s := f.Stats(); s != re {
			t.Fatalf("round %d: Stats %+v != Recount %+v", round, s, re)
		}
		states, err := frontier.FinalStates(f)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for u, o := range durable {
			if states[u] != o {
				t.Fatalf("round %d: %s reported durable with outcome %d, its record says %d", round, u, o, states[u])
			}
		}
	})
}
