package crawler_test

import (
	"context"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

// What the crawler's black-box tests do the same way: crawl a local test
// web at test speed, run, resume or recrawl a directory and read its pages
// back, failing the test on an error, so that each test reads as what it
// checks. A test whose subject is the error itself calls crawler.New and
// Run directly.

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

// freshConfig is a crawl of a freshweb site at test speed.
func freshConfig(site *freshweb.Site) crawler.Config {
	cfg := crawler.Default()
	cfg.Seeds = []string{site.Seed()}
	cfg.AllowPrivate = true
	cfg.Delay = 0
	cfg.Concurrency = 8
	cfg.PerHost = 8
	cfg.RetryBackoff = 50 * time.Millisecond
	cfg.Timeout = 10 * time.Second
	return cfg
}

// newCrawler is crawler.New on dir that fails the test on an error.
func newCrawler(t *testing.T, dir string, cfg crawler.Config, opts ...crawler.Option) *crawler.Crawler {
	t.Helper()
	c, err := crawler.New(dir, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runCrawl runs a new crawl of dir and fails the test if Run returns an
// error; how the crawl ended (its State) is the caller's to check.
func runCrawl(t *testing.T, ctx context.Context, dir string, cfg crawler.Config, opts ...crawler.Option) crawler.Stats {
	t.Helper()
	return crawlWith(t, (*crawler.Crawler).Run, ctx, dir, cfg, opts...)
}

// resumeCrawl resumes the crawl in dir with a new Crawler and fails the
// test if Resume returns an error.
func resumeCrawl(t *testing.T, ctx context.Context, dir string, cfg crawler.Config, opts ...crawler.Option) crawler.Stats {
	t.Helper()
	return crawlWith(t, (*crawler.Crawler).Resume, ctx, dir, cfg, opts...)
}

// crawlDir runs a new crawl of dir to its end: it fails the test unless
// the crawl finished.
func crawlDir(t *testing.T, dir string, cfg crawler.Config) crawler.Stats {
	t.Helper()
	st := runCrawl(t, context.Background(), dir, cfg)
	if st.State != crawler.StateFinished {
		t.Fatalf("state %s", st.State)
	}
	return st
}

// recrawl runs one recrawl pass of dir to its end.
func recrawl(t *testing.T, dir string, cfg crawler.Config) crawler.Stats {
	t.Helper()
	st := crawlWith(t, (*crawler.Crawler).Recrawl, context.Background(), dir, cfg)
	if st.State != crawler.StateFinished {
		t.Fatalf("recrawl state %s", st.State)
	}
	return st
}

// crawlWith calls run (Run, Resume or Recrawl) on a new Crawler of dir and
// fails the test if it returns an error.
func crawlWith(t *testing.T, run func(*crawler.Crawler, context.Context) (crawler.Stats, error),
	ctx context.Context, dir string, cfg crawler.Config, opts ...crawler.Option) crawler.Stats {
	t.Helper()
	st, err := run(newCrawler(t, dir, cfg, opts...), ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// scanPages calls fn with each record of dir's page store in store order
// and returns the reader (for its counts); an error fails the test.
func scanPages(t *testing.T, dir string, fn func(*storage.Record)) *storage.Reader {
	t.Helper()
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Scan(context.Background(), func(rec *storage.Record) error { fn(rec); return nil }); err != nil {
		t.Fatal(err)
	}
	return r
}
