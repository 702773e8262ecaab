package crawler_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// A manifest publish (a file write and two fsyncs) must not hold up
// commits: with the first publish held, the crawl still fetches every page
// of a web whose pages are reachable only through committed parents (a
// page's links become leasable when its completion commits). When the
// committer published inline, holding the publish stopped the crawl after
// the first few pages.
func TestManifestPublishDoesNotHoldCommits(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 60, FanOut: 2, Seed: 15})
	cfg := testConfig(web)
	cfg.Concurrency = 8
	c := newCrawler(t, t.TempDir(), cfg)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	crawler.SetBeforePublish(c, func() {
		once.Do(func() { close(held) })
		<-release
	})
	var fetched atomic.Int64
	all := make(chan struct{})
	want := int64(web.ExpectedPages())
	c.OnResponse(func(*colly.Response) {
		if fetched.Add(1) == want {
			close(all)
		}
	})
	type result struct {
		st  crawler.Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := c.Run(context.Background())
		done <- result{st, err}
	}()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
		<-done
	}()
	<-held
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatalf("with a manifest publish held, the crawl fetched %d of %d pages in 60 s", fetched.Load(), want)
	}
	close(release)
	r := <-done
	if r.err != nil || r.st.State != crawler.StateFinished || r.st.Done != want {
		t.Fatalf("crawl: %v, state %s, %d done of %d", r.err, r.st.State, r.st.Done, want)
	}
	done <- r // for the deferred wait
}
