package crawler_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// TestCrawlLifecycle: Crawl starts a crawl, continues an interrupted one
// (fetching no committed page again), refuses other scope settings with
// ErrScopeChanged, and WithStartOver starts over.
func TestCrawlLifecycle(t *testing.T) {
	shop := startCatalogue(t, nil)
	dir := t.TempDir()
	cfg := shop.Config()
	cfg.PerHost = 1

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCrawler(t, dir, cfg)
	var n atomic.Int64
	c.OnResponse(func(*colly.Response) {
		if n.Add(1) == 3 {
			cancel()
		}
	})
	st, err := c.Crawl(ctx)
	if err != nil || st.State != crawler.StateInterrupted {
		t.Fatalf("first Crawl: %v, state %q", err, st.State)
	}

	c, _ = crawler.New(dir, cfg)
	st, err = c.Crawl(context.Background())
	if err != nil || st.State != crawler.StateFinished || st.Done != 13 {
		t.Fatalf("second Crawl: %v, %+v", err, st)
	}
	if m := shop.MaxPageRequests(); m != 1 {
		t.Errorf("a page was fetched %d times across the two runs", m)
	}

	other := cfg
	other.Seeds = []string{shop.srv.URL + "/about"}
	c, _ = crawler.New(dir, other)
	if _, err := c.Crawl(context.Background()); !errors.Is(err, crawler.ErrScopeChanged) {
		t.Fatalf("Crawl with other seeds: %v, want ErrScopeChanged", err)
	}

	c, _ = crawler.New(dir, other, crawler.WithStartOver())
	st, err = c.Crawl(context.Background())
	if err != nil || st.Run.Done != st.Done || st.Done == 0 {
		t.Fatalf("Crawl WithStartOver: %v, %+v", err, st)
	}
}
