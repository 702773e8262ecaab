package crawler_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

// testConfig is a crawl of web through its proxy with test-speed politeness.
func testConfig(web *testweb.Web) crawler.Config {
	cfg := crawler.Default()
	cfg.Seeds = web.Seeds()
	cfg.Proxy = web.ProxyURL()
	cfg.AllowPrivate = true
	cfg.Delay = 0
	cfg.Concurrency = 32
	cfg.RetryBackoff = 50 * time.Millisecond
	cfg.Timeout = 10 * time.Second
	return cfg
}

func startWeb(t *testing.T, cfg testweb.Config) *testweb.Web {
	t.Helper()
	web, err := testweb.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	return web
}

func TestCrawlCleanWebMatchesExpected(t *testing.T) {
	web := startWeb(t, testweb.Config{Hosts: 4, PagesPerHost: 30, PageSize: 4 << 10, Seed: 1, Features: testweb.Clean()})
	dir := t.TempDir()
	c, err := crawler.New(dir, testConfig(web))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != crawler.StateFinished {
		t.Fatalf("state = %q, want finished", st.State)
	}
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("judge found %d problems:\n%v", len(probs), probs)
	}
	// Every fetched URL is stored exactly once.
	r, err := storage.OpenReader(filepath.Join(dir, "pages"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	if err := r.Scan(context.Background(), func(rec *storage.Record) error { seen[rec.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
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
	web := startWeb(t, testweb.Config{Hosts: 3, PagesPerHost: 20, PageSize: 2 << 10, Seed: 2, Features: f})
	cfg := testConfig(web)
	cfg.MaxDepth = 8
	c, err := crawler.New(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 10); len(probs) > 0 {
		t.Fatalf("judge found %d problems:\n%v", len(probs), probs)
	}
}
