package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// TestCrawlFetchesExpected proves the ceiling requests exactly what a
// correct polite crawler does on a clean site (robots variants, <base>,
// nofollow, malformed markup), each URL once, so its speed is comparable.
func TestCrawlFetchesExpected(t *testing.T) {
	tests := []struct {
		name    string
		workers int
	}{{"one worker", 1}, {"many workers", 32}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web, err := testweb.Start(testweb.Config{Hosts: 6, PagesPerHost: 30, PageSize: 2 << 10, Seed: 7, Features: testweb.Clean()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { web.Close() })
			pu, err := url.Parse(web.ProxyURL())
			if err != nil {
				t.Fatal(err)
			}
			tr := &http.Transport{Proxy: http.ProxyURL(pu)}
			t.Cleanup(tr.CloseIdleConnections)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := newCrawler(&http.Client{Transport: tr}, ".site.test", "trawl").crawl(ctx, web.Seeds(), tt.workers)
			if err != nil {
				t.Fatalf("crawl: %v", err)
			}
			for _, p := range web.Report().Check(web.Expected(), 0, 0, 0) {
				t.Error(p)
			}
			if res.Pages != web.ExpectedPages() || res.Fetched != len(web.Expected()) || res.Failed != 0 {
				t.Errorf("result %+v, want %d pages, %d fetched, 0 failed", res, web.ExpectedPages(), len(web.Expected()))
			}
		})
	}
}

func TestHasNofollow(t *testing.T) {
	for v, want := range map[string]bool{
		"nofollow": true, "NoFollow": true, "noindex, nofollow": true, "none": true, "external nofollow": true,
		"": false, "noindex": false, "follow": false, "nofollowx": false,
	} {
		if got := hasNofollow(v); got != want {
			t.Errorf("hasNofollow(%q) = %v, want %v", v, got, want)
		}
	}
}
