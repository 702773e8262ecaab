package crawler_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/storage"
)

// TestDedupCrawl: on a site where 60 of 121 pages repeat the body of
// another URL, the store keeps each body once: the copies are references,
// every record still reads back with its own body, and the store is far
// smaller than the same crawl with NoDedup.
func TestDedupCrawl(t *testing.T) {
	site := freshweb.Start(freshweb.Config{Pages: 60, Dups: 60, DupOf: 10, PageSize: 8 << 10, Seed: 3})
	defer site.Close()

	sizes := map[bool]int64{}
	for _, noDedup := range []bool{false, true} {
		dir := t.TempDir()
		cfg := freshConfig(site)
		cfg.NoDedup = noDedup
		crawlDir(t, dir, cfg)
		revisits, n := 0, 0
		r := scanPages(t, dir, func(rec *storage.Record) {
			n++
			if rec.Revisit != nil {
				revisits++
			}
			if i, ok := strings.CutPrefix(rec.URL, site.URL()+"/d/"); ok {
				k, _ := strconv.Atoi(i)
				if !bytes.Equal(rec.Body, site.Body(k%10, 0)) {
					t.Errorf("%s: body differs from what was served", rec.URL)
				}
			}
		})
		if n != len(site.Pages()) {
			t.Fatalf("%d records for %d pages", n, len(site.Pages()))
		}
		if noDedup && revisits != 0 || !noDedup && revisits < 60 {
			t.Fatalf("NoDedup=%v: %d revisit records of %d", noDedup, revisits, n)
		}
		_, sizes[noDedup] = r.Count()
	}
	t.Logf("store bytes: dedup %d, no dedup %d (%.0f%%)", sizes[false], sizes[true], 100*float64(sizes[false])/float64(sizes[true]))
	if sizes[false] > sizes[true]*6/10 {
		t.Fatalf("store bytes with dedup %d, without %d: want under 60%%", sizes[false], sizes[true])
	}
}
