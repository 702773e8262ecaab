package crawler_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// Registrations from several goroutines are all kept (-race fails on the
// unlocked appends this replaced), and one made while the crawl runs is
// ignored instead of racing with the parse stage's reads.
func TestRegistrationsAreSynchronised(t *testing.T) {
	cat := startCatalogue(t, nil)
	c := newCrawler(t, t.TempDir(), cat.Config(), crawler.WithDialer(cat.dial))
	const goroutines, each = 8, 50
	var calls atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				c.OnHTML("title", func(*colly.HTMLElement) { calls.Add(1) })
				c.OnResponse(func(*colly.Response) {})
				c.OnError(func(*colly.Response, error) {})
				c.OnScraped(func(*colly.Response) {})
				c.OnEnqueue(func(string, int, string) bool { return true })
				c.OnItem(func(crawler.Item) {})
			}
		}()
	}
	wg.Wait()
	late := make(chan struct{})
	var once sync.Once
	var lateCalls atomic.Int64
	c.OnResponse(func(*colly.Response) {
		// Registering from inside the running crawl: ignored.
		c.OnHTML("title", func(*colly.HTMLElement) { lateCalls.Add(1) })
		once.Do(func() { close(late) })
	})
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-late
	if want := int64(goroutines * each * st.Done); calls.Load() != want {
		t.Fatalf("OnHTML callbacks ran %d times over %d pages, want %d (%d registrations each)", calls.Load(), st.Done, want, goroutines*each)
	}
	if lateCalls.Load() != 0 {
		t.Fatalf("a callback registered during the crawl ran %d times", lateCalls.Load())
	}
}
