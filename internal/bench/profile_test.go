package main

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMakeProfile(t *testing.T) {
	tests := []struct {
		name          string
		scale         float64
		hosts, pages  int
		crawlers      []string
		collyPerHost  bool
		latency       time.Duration
		hugeOff, trap bool
	}{
		{"fast-clean", 1, 50, 200, []string{"trawl", "colly", "ceiling"}, false, 0, true, false},
		{"fast-clean", 0.1, 5, 200, []string{"trawl", "colly", "ceiling"}, false, 0, true, false},
		{"wide-clean", 1, 500, 20, []string{"trawl", "colly", "ceiling"}, false, 50 * time.Millisecond, true, false},
		{"fast", 1, 50, 200, []string{"trawl", "colly"}, false, 0, true, true},
		{"polite-wide", 0.5, 250, 20, []string{"trawl", "colly"}, true, 50 * time.Millisecond, true, true},
		{"polite-wide", 0.0001, 1, 20, []string{"trawl", "colly"}, true, 50 * time.Millisecond, true, true},
		{"large", 1, 5000, 200, []string{"trawl"}, false, 0, true, false},
	}
	for _, tt := range tests {
		p, err := makeProfile(tt.name, tt.scale)
		if err != nil {
			t.Fatalf("makeProfile(%q, %v): %v", tt.name, tt.scale, err)
		}
		if p.Name != tt.name || p.Web.Hosts != tt.hosts || p.Web.PagesPerHost != tt.pages ||
			!slices.Equal(p.Crawlers, tt.crawlers) || p.CollyPerHost != tt.collyPerHost ||
			p.Web.Latency != tt.latency || p.Web.Features.Huge == tt.hugeOff || p.Web.Features.Trap != tt.trap {
			t.Errorf("makeProfile(%q, %v) = %+v", tt.name, tt.scale, p)
		}
		if p.Web.Features.CrawlDelay != 0 || !p.Web.Features.RobotsVariants || p.PerHost != 2 {
			t.Errorf("%s: want robots variants, no Crawl-delay, per-host 2; got %+v", tt.name, p)
		}
	}
	for _, bad := range []struct {
		name  string
		scale float64
	}{{"nope", 1}, {"fast", 0}, {"fast", -1}, {"fast", math.NaN()}, {"fast", math.Inf(1)}} {
		if _, err := makeProfile(bad.name, bad.scale); err == nil {
			t.Errorf("makeProfile(%q, %v): no error", bad.name, bad.scale)
		}
	}
}

func TestVerdicts(t *testing.T) {
	p := profile{Name: "fast", PerHost: 2, CollyTarget: 2, CeilingTarget: 0.8}
	mk := func(c string, pages int, wall time.Duration) result {
		return result{crawlerRun: crawlerRun[figures]{Crawler: c, Use: usage{Wall: wall, CPU: wall, MaxRSS: 100 << 20}, Fig: figures{Pages: pages, Coverage: 100, MaxInFlight: 2}}}
	}
	good := []result{mk("trawl", 1000, time.Second), mk("colly", 400, time.Second), mk("ceiling", 1100, time.Second)}
	got := strings.Join(verdicts(p, good), "\n")
	if strings.Contains(got, "MISSED") || !strings.Contains(got, "trawl/colly pages/s = 2.50") || !strings.Contains(got, "trawl/ceiling pages/s = 0.91") {
		t.Errorf("all targets met, got:\n%s", got)
	}

	bad := slices.Clone(good)
	bad[0].Fig.Missing, bad[0].Fig.Coverage, bad[0].Fig.RobotsViol, bad[0].Fig.MaxInFlight = 1, 99.9, 3, 3
	bad[0].Use.MaxRSS = 151 << 20
	bad[0].Err = errors.New("exit status 1")
	bad[1].Use.Wall = 100 * time.Millisecond // colly 4000 pages/s
	got = strings.Join(verdicts(p, bad), "\n")
	if n := strings.Count(got, "MISSED"); n != 6 {
		t.Errorf("want 6 missed targets (colly ratio, coverage, robots, in-flight, RSS, exit; ceiling met), got %d:\n%s", n, got)
	}
	if verdicts(p, good[1:]) != nil {
		t.Error("verdicts without a trawl run should be empty")
	}

	// The RSS target is decimal MB, per profile: 150 MB by default (143
	// MiB passes, 144 does not), 300 MB for large (286 passes, 287 not).
	for _, tc := range []struct {
		name string
		rss  int64
		met  bool
	}{{"fast", 143 << 20, true}, {"fast", 144 << 20, false}, {"large", 286 << 20, true}, {"large", 287 << 20, false}} {
		lp, err := makeProfile(tc.name, 1)
		if err != nil {
			t.Fatal(err)
		}
		r := mk("trawl", 1000, time.Second)
		r.Use.MaxRSS = tc.rss
		line := ""
		for _, l := range verdicts(lp, []result{r}) {
			if strings.HasPrefix(l, "trawl peak RSS") {
				line = l
			}
		}
		if strings.Contains(line, "met (") != tc.met {
			t.Errorf("%s, %d MiB: %q, want met=%v", tc.name, tc.rss>>20, line, tc.met)
		}
	}
}
