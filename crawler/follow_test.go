package crawler_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// With FollowLinks off only what callbacks Visit is queued; OnScraped runs
// once per 2xx HTML page.
func TestFollowLinksOffQueuesOnlyVisits(t *testing.T) {
	web := startWeb(t, testweb.Config{Hosts: 2, PagesPerHost: 10, PageSize: 1 << 10, Seed: 4, Features: testweb.Features{}})
	cfg := testConfig(web)
	cfg.FollowLinks = false
	c, err := crawler.New(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var scraped atomic.Int64
	visited := atomic.Bool{}
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		if visited.CompareAndSwap(false, true) { // follow exactly one link, by hand
			e.Request.Visit(e.Attr("href"))
		}
	})
	c.OnScraped(func(*colly.Response) { scraped.Add(1) })
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pages := len(web.Report().PerURL) // URLs the server saw requested (robots.txt excluded)
	if st.Done != 2 || pages != 2 {
		t.Fatalf("done %d, server saw %d pages; want the seed and the one visited link", st.Done, pages)
	}
	if scraped.Load() != 2 {
		t.Fatalf("OnScraped ran %d times, want 2", scraped.Load())
	}
}
