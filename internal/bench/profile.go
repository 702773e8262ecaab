package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// Crawler names, in the order a profile runs them.
const (
	crawlerTrawl   = "trawl"
	crawlerColly   = "colly"
	crawlerCeiling = "ceiling"
)

// profile is one benchmark shape: a web, the crawlers that run on it, the
// per-host limit they are held to, and the target ratios.
type profile struct {
	Name         string
	Web          testweb.Config
	PerHost      int      // trawl --per-host; colly's per-host rules if CollyPerHost
	MaxDepth     int      // trawl --max-depth (-1 unlimited); colly MaxDepth is this + 1
	Crawlers     []string // crawlerTrawl, crawlerColly, crawlerCeiling
	CollyPerHost bool     // one colly LimitRule per host instead of one "*" rule
	// Targets: trawl pages/s at least this many times the other's; 0 = none.
	CeilingTarget float64
	CollyTarget   float64
	// MaxRSS is trawl's peak RSS target in bytes (decimal MB in the
	// issues); 0 means 150 MB.
	MaxRSS int64
}

// rssTarget is p's peak RSS target in bytes.
func (p profile) rssTarget() int64 {
	if p.MaxRSS > 0 {
		return p.MaxRSS
	}
	return 150e6
}

// defaultProfiles are what a bare `make bench` runs, in order.
var defaultProfiles = []string{"fast-clean", "wide-clean", "fast", "polite-wide"}

// hostileNoHuge is testweb.Hostile() without the 50 MB page: the body cap
// stops it after 10 MB in trawl and colly alike, so it adds transfer time
// that says nothing about the crawler.
func hostileNoHuge() testweb.Features {
	f := testweb.Hostile()
	f.Huge = false
	return f
}

// makeProfile returns the named profile with its host count multiplied by
// scale (at least one host); pages per host never change, so link depth
// does not either.
func makeProfile(name string, scale float64) (profile, error) {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return profile{}, fmt.Errorf("scale %v: want a positive number", scale)
	}
	hosts := func(n int) int { return max(1, int(math.Round(float64(n)*scale))) }
	all := []string{crawlerTrawl, crawlerColly, crawlerCeiling}
	pair := []string{crawlerTrawl, crawlerColly}
	var p profile
	switch name {
	case "fast-clean":
		p = profile{Web: testweb.Config{Hosts: hosts(50), PagesPerHost: 200, Features: testweb.Clean()},
			PerHost: 2, MaxDepth: -1, Crawlers: all, CeilingTarget: 0.80}
	case "realistic":
		// fast-clean's web with pages shaped like real ones: sizes and link
		// counts drawn around 20 KB and 12, markup filler (testweb Varied).
		p = profile{Web: testweb.Config{Hosts: hosts(50), PagesPerHost: 200, FanOut: 12, Varied: true, Features: testweb.Clean()},
			PerHost: 2, MaxDepth: -1, Crawlers: all, CeilingTarget: 0.80}
	case "wide-clean":
		p = profile{Web: testweb.Config{Hosts: hosts(500), PagesPerHost: 20, Features: testweb.Clean(),
			Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond},
			PerHost: 2, MaxDepth: -1, Crawlers: all, CeilingTarget: 0.75}
	case "fast":
		p = profile{Web: testweb.Config{Hosts: hosts(50), PagesPerHost: 200, Features: hostileNoHuge()},
			PerHost: 2, MaxDepth: 40, Crawlers: pair, CollyTarget: 2}
	case "polite-wide":
		p = profile{Web: testweb.Config{Hosts: hosts(500), PagesPerHost: 20, Features: hostileNoHuge(),
			Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond},
			PerHost: 2, MaxDepth: 40, Crawlers: pair, CollyPerHost: true, CollyTarget: 2}
	case "large":
		// 1M pages (scale 1): trawl alone; compare with fast-clean's 10k figure.
		p = profile{Web: testweb.Config{Hosts: hosts(5000), PagesPerHost: 200, PageSize: 8 << 10, Features: testweb.Clean()},
			PerHost: 2, MaxDepth: -1, Crawlers: []string{crawlerTrawl}, MaxRSS: 300e6}
	default:
		return profile{}, fmt.Errorf("profile %q: want one of %s, realistic, large", name, strings.Join(defaultProfiles, ", "))
	}
	p.Name = name
	p.Web.Seed = 20261125
	p.Web.Name = "site"
	return p, nil
}
