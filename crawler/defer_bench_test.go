package crawler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// BenchmarkRobotsDownHost measures issue 11's target for deferred work: on
// a 50-host web where one host's robots.txt answers 500, with the default
// retry policy (--retries 3, --retry-backoff 1s) and --delay 0, how long
// the crawl runs after the later of its last other request and its last
// robots.txt try of that host (tail_s, target ≤ 2 s), and its wall time
// against the same crawl with --retries 0 (ratio, target ≤ 1.5). Each
// iteration runs both crawls, in alternating order.
//
//	go test ./crawler -run '^$' -bench BenchmarkRobotsDownHost -benchtime 3x
func BenchmarkRobotsDownHost(b *testing.B) {
	web, err := testweb.Start(testweb.Config{Hosts: 50, PagesPerHost: 200, PageSize: 4 << 10, Seed: 3,
		Features: testweb.Features{RobotsDown: 1}})
	if err != nil {
		b.Fatal(err)
	}
	defer web.Close()
	down := web.Hosts()[49]
	var mu sync.Mutex
	var lastRobots, lastOther time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		if r.URL.Hostname() == down && r.URL.Path == "/robots.txt" {
			lastRobots = now
		} else {
			lastOther = now
		}
		mu.Unlock()
		web.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	crawl := func(retries int) (wall, tail time.Duration, st crawler.Stats) {
		web.Reset()
		mu.Lock()
		lastRobots, lastOther = time.Time{}, time.Time{}
		mu.Unlock()
		cfg := crawler.Default()
		cfg.Seeds, cfg.Proxy, cfg.AllowPrivate, cfg.Delay, cfg.Retries = web.Seeds(), srv.URL, true, 0, retries
		c, err := crawler.New(b.TempDir(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err = c.Run(context.Background())
		end := time.Now()
		if err != nil || st.State != crawler.StateFinished || st.Deferred == 0 {
			b.Fatalf("retries %d: %v, %+v", retries, err, st)
		}
		mu.Lock()
		last := lastOther
		if lastRobots.After(last) {
			last = lastRobots
		}
		mu.Unlock()
		return end.Sub(start), end.Sub(last), st
	}
	var tail3, wall3, wall0 time.Duration
	for i := range b.N {
		var w3, w0, t3 time.Duration
		var st crawler.Stats
		if i%2 == 0 {
			w3, t3, st = crawl(3)
			w0, _, _ = crawl(0)
		} else {
			w0, _, _ = crawl(0)
			w3, t3, st = crawl(3)
		}
		if st.Done == 0 {
			b.Fatal("nothing fetched")
		}
		tail3, wall3, wall0 = max(tail3, t3), wall3+w3, wall0+w0
		b.Logf("retries 3: wall %v, tail %v, %d done, %d deferred; retries 0: wall %v", w3.Round(time.Millisecond), t3.Round(time.Millisecond), st.Done, st.Deferred, w0.Round(time.Millisecond))
	}
	b.ReportMetric(tail3.Seconds(), "max_tail_s")
	b.ReportMetric(wall3.Seconds()/float64(b.N), "wall_retries3_s")
	b.ReportMetric(wall0.Seconds()/float64(b.N), "wall_retries0_s")
	b.ReportMetric(wall3.Seconds()/wall0.Seconds(), "ratio")
}
