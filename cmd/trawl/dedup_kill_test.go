package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/internal/torture"
	"github.com/trawl-crawler/trawl/storage"
)

// TestKill9DedupIndexSurvives: a crawl of a site where 200 pages copy 20
// bodies is SIGKILLed several times and resumed. At the end every record
// reads back with the body served for its URL, and each of the 20 bodies
// is stored in full about once: copies fetched after a resume still refer
// to originals stored before the kill (the digest index survived), and no
// reference points at a block that a kill truncated away.
func TestKill9DedupIndexSurvives(t *testing.T) {
	const dupOf = 20
	c := startFreshCrawl(t, freshweb.Config{Pages: 200, Dups: 200, DupOf: dupOf, PageSize: 4 << 10, Seed: 11})
	site, dir := c.site, c.dir
	rng := torture.NewRand(t, 5)
	kills, runs := 0, 0
	for {
		verb := "resume"
		if runs == 0 || !crawler.Exists(dir) {
			verb = "crawl"
		}
		runs++
		var kill <-chan struct{}
		if kills < 4 && runs < 40 {
			// Kill after 20-80 more requests: mid-crawl, whatever the machine's speed.
			kill = site.AfterRequests(site.TotalRequests() + 20 + int64(rng.IntN(60)))
		}
		if c.runOrKill(t, verb, kill) {
			kills++
			continue
		}
		if kills < 4 && runs < 40 {
			continue // finished before the kill: resume is a no-op run
		}
		break
	}
	seen := storedOnce(t, dir)
	if len(seen) != len(site.Pages()) {
		t.Fatalf("%d URLs stored, want %d", len(seen), len(site.Pages()))
	}
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	full := map[int]int{} // body number -> records storing it in full
	err = r.Scan(context.Background(), func(rec *storage.Record) error {
		var k int
		if i, ok := strings.CutPrefix(rec.URL, site.URL()+"/d/"); ok {
			n, _ := strconv.Atoi(i)
			k = n % dupOf
		} else if i, ok := strings.CutPrefix(rec.URL, site.URL()+"/p/"); ok {
			if k, _ = strconv.Atoi(i); k >= dupOf {
				return nil
			}
		} else {
			return nil
		}
		if !bytes.Equal(rec.Body, site.Body(k, 0)) {
			t.Errorf("%s: body differs from what was served", rec.URL)
		}
		if rec.Revisit == nil {
			full[k]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	extra := 0
	for k := 0; k < dupOf; k++ {
		if full[k] == 0 {
			t.Errorf("body %d never stored in full", k)
		}
		extra += full[k] - 1
	}
	// Two copies parsed at the same moment may both be stored in full; a
	// lost index would add one full copy per body after each resume.
	if extra > 4 {
		t.Errorf("%d extra full copies of %d bodies after %d kills: %v", extra, dupOf, kills, full)
	}
	t.Logf("%d runs, %d kills, %d extra full copies", runs, kills, extra)
}
