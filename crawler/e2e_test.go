package crawler_test

import (
	"context"
	"testing"

	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

func TestCrawlCleanWebMatchesExpected(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 4, PagesPerHost: 30, PageSize: 4 << 10, Seed: 1, Features: testweb.Clean()})
	dir := t.TempDir()
	st := crawlDir(t, dir, testConfig(web))
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("judge found %d problems:\n%v", len(probs), probs)
	}
	// Every fetched URL is stored exactly once.
	seen := map[string]int{}
	scanPages(t, dir, func(rec *storage.Record) { seen[rec.URL]++ })
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", u, n)
		}
	}
	for u := range web.Expected() {
		if seen[u] != 1 {
			t.Errorf("expected %s stored once, got %d", u, seen[u])
		}
	}
	if got := st.Stored; got != int64(len(seen)) {
		t.Errorf("status stored = %d, store holds %d", got, len(seen))
	}
}

func TestCrawlHostileWeb(t *testing.T) {
	f := testweb.Hostile()
	f.Huge, f.Trickle = false, false // covered by fetch's own tests; slow here
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 20, PageSize: 2 << 10, Seed: 2, Features: f})
	cfg := testConfig(web)
	cfg.MaxDepth = 8
	runCrawl(t, context.Background(), t.TempDir(), cfg)
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 10); len(probs) > 0 {
		t.Fatalf("judge found %d problems:\n%v", len(probs), probs)
	}
}
