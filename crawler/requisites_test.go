package crawler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// TestPageRequisites crawls the test web to --max-depth 1 with page
// requisites: the requisites of pages at the maximum depth are fetched
// (down to a font imported by an imported stylesheet, three steps further),
// robots.txt still applies to them, off-site ones are not fetched, they
// are fetched once each, and they do not make deeper pages reachable.
func TestPageRequisites(t *testing.T) {
	f := testweb.Clean()
	f.Requisites = true
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 10, PageSize: 1 << 10, Seed: 3, Features: f})
	cfg := testConfig(web)
	cfg.MaxDepth = 1
	cfg.PageRequisites = true
	runCrawl(t, context.Background(), t.TempDir(), cfg)
	rep := web.Report()
	// h0's root is depth 0; h1's root (linked from it) is depth 1, the
	// maximum: its stylesheet is depth 2, the imported one 3, the font 4.
	for _, host := range []string{"h0.site.test", "h1.site.test"} {
		for _, p := range []string{"/static/site.css", "/static/theme.css", "/fonts/t.woff2", "/static/app.js",
			"/favicon.png", "/img/logo.png", "/img/logo@2x.png", "/img/bg.png"} {
			if n := rep.PerURL["http://"+host+p]; n != 1 {
				t.Errorf("requisite http://%s%s requested %d times, want 1", host, p, n)
			}
		}
	}
	for u := range rep.PerURL {
		switch {
		case strings.Contains(u, "outside.invalid"):
			t.Errorf("off-site requisite %s fetched (requisite_hosts domain)", u)
		case strings.HasPrefix(u, "http://h1.site.test/p/"):
			t.Errorf("%s fetched: it is depth 2, past --max-depth 1", u)
		case strings.HasPrefix(u, "http://h2.site.test/"):
			t.Errorf("%s fetched: h2's root is depth 2", u)
		}
	}
	if len(rep.RobotsViolations) > 0 {
		t.Errorf("robots violations: %v", rep.RobotsViolations)
	}
	if len(rep.Duplicates) > 0 {
		t.Errorf("duplicates: %v", rep.Duplicates)
	}
	if rep.PerURL["http://h0.site.test/private/secret.png"] != 0 {
		t.Errorf("robots-blocked requisite was requested")
	}
}

// TestAlternateIconIsNotAPage: without --page-requisites nothing a page
// merely loads is fetched, "alternate icon" included.
func TestAlternateIconIsNotAPage(t *testing.T) {
	f := testweb.Clean()
	f.Requisites = true
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 5, PageSize: 1 << 10, Seed: 4, Features: f})
	runCrawl(t, context.Background(), t.TempDir(), testConfig(web))
	if probs := web.Report().Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("judge found %d problems:\n%v", len(probs), probs)
	}
}
