package crawler_test

import (
	"context"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// --delay and a robots.txt Crawl-delay hold as the server sees them, across
// an interrupted run and its resume (the next-allowed time is persisted).
func TestDelayAndCrawlDelayHoldAcrossResume(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on politeness delays")
	}
	f := testweb.Clean()
	f.CrawlDelay = 300 * time.Millisecond // h1's robots.txt for trawl
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 6, PageSize: 1 << 10, FanOut: 3, Seed: 11, Features: f})
	dir := t.TempDir()
	cfg := testConfig(web)
	cfg.Delay = 100 * time.Millisecond

	// Interrupt the first run after a few requests: the web holds the next
	// one, so the cancel lands mid-crawl however slow the machine is.
	ctx, cancel := context.WithCancel(context.Background())
	hold := web.HoldAfter(5)
	defer hold.Release()
	go func() { <-hold.Reached(); cancel(); hold.Release() }()
	if st := runCrawl(t, ctx, dir, cfg); st.State == crawler.StateFinished {
		t.Fatal("the first run finished before it was interrupted; nothing crosses a resume")
	}
	if st := resumeCrawl(t, context.Background(), dir, cfg); st.State != crawler.StateFinished {
		t.Fatalf("resume: %+v", st)
	}
	rep := web.Report()
	if rep.CrawlDelay["h1.site.test"] != 300*time.Millisecond {
		t.Fatalf("test web did not serve the Crawl-delay: %v", rep.CrawlDelay)
	}
	if probs := rep.Check(web.Expected(), 2, cfg.Delay, 0); len(probs) > 0 {
		t.Fatalf("judge: %v (min gaps %v)", probs, rep.MinGap)
	}
	if g := rep.MinGap["h1.site.test"]; g < 270*time.Millisecond { // Check's slack: a tenth
		t.Fatalf("h1 min gap %v < Crawl-delay", g)
	}
	t.Logf("min gaps %v", rep.MinGap)
}
