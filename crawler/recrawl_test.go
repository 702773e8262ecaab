package crawler_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/storage"
)

// TestRecrawlPass: 100 pages, 5 change and 2 disappear between passes. The
// second pass asks conditionally, transfers at most 10% of the first
// pass's body bytes, stores only the 5 changed pages in full (the rest as
// references to their first version), counts the changes, and every
// record reads back with the body the server sent for that pass. With a
// server that ignores conditional requests, the digest comparison still
// stores only the changed pages.
func TestRecrawlPass(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore-conditional=%v", ignore), func(t *testing.T) {
			site := freshweb.Start(freshweb.Config{Pages: 100, PageSize: 8 << 10, Seed: 9, IgnoreConditional: ignore})
			defer site.Close()
			dir := t.TempDir()
			cfg := freshConfig(site)
			crawlDir(t, dir, cfg)
			first := site.Counters()
			_, storedFirst := storeBytes(t, dir)
			site.ResetCounters()
			changed := []int{3, 20, 41, 60, 99}
			site.Change(changed...)
			site.Remove(404, 50)
			site.Remove(410, 51)

			st := recrawl(t, dir, cfg)
			second := site.Counters()
			_, storedBoth := storeBytes(t, dir)
			t.Logf("store: pass 0 %d bytes, pass 1 added %d bytes (%.1f%%)", storedFirst, storedBoth-storedFirst, 100*float64(storedBoth-storedFirst)/float64(storedFirst))
			if st.Pass != 1 {
				t.Fatalf("pass %d", st.Pass)
			}
			// 100 pages + / ; / is unchanged.
			want := map[string]int64{crawler.ChangeChanged: 5, crawler.ChangeGone: 2, crawler.ChangeUnchanged: 94}
			if fmt.Sprint(st.Changes) != fmt.Sprint(want) {
				t.Errorf("changes %v, want %v", st.Changes, want)
			}
			ratio := float64(second.BodyBytes) / float64(first.BodyBytes)
			t.Logf("pass 1: %d body bytes, %d requests; pass 2: %d body bytes (%.1f%%), %d requests, %d conditional, %d not modified",
				first.BodyBytes, first.Requests, second.BodyBytes, 100*ratio, second.Requests, second.Conditional, second.NotModified)
			if !ignore && ratio > 0.10 {
				t.Errorf("second pass transferred %.1f%% of the first's body bytes, want <= 10%%", 100*ratio)
			}
			full := map[int]int{}
			scanPages(t, dir, func(rec *storage.Record) {
				if rec.Pass == 1 && rec.Revisit == nil && rec.Status == 200 {
					full[rec.Pass]++
				}
				if rec.Pass == 1 && rec.Revisit != nil && rec.Revisit.Profile != storage.ProfileServerNotModified {
					t.Errorf("%s: revisit profile %s", rec.URL, rec.Revisit.Profile)
				}
				var i int
				if _, err := fmt.Sscanf(rec.URL, site.URL()+"/p/%d", &i); err == nil && rec.Status == 200 {
					v := 0
					if rec.Pass == 1 && slices.Contains(changed, i) {
						v = 1
					}
					if string(rec.Body) != string(site.Body(i, v)) {
						t.Errorf("%s pass %d: body is not the one served", rec.URL, rec.Pass)
					}
				}
			})
			if full[1] != len(changed) {
				t.Errorf("pass 1 stored %d pages in full, want the %d changed ones", full[1], len(changed))
			}
		})
	}
}

// storeBytes is the store's committed records and framed bytes.
func storeBytes(t *testing.T, dir string) (int64, int64) {
	t.Helper()
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r.Count()
}
