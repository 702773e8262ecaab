package crawler_test

import (
	"fmt"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
)

// TestMaxDepthIsShortest crawls a web built to defeat first-come depth (a
// fast host's long chains reach pages before a slow host's one-hop links
// to them; a redirect on the slow host) at --max-depth 1…6 and compares the
// set of pages fetched with the web's own breadth-first reference, exactly:
// nothing within N hops of a seed missing, nothing beyond fetched.
func TestMaxDepthIsShortest(t *testing.T) {
	web := depthweb.ForTest(t, depthweb.Config{Seed: 1})
	for n := 1; n <= 6; n++ {
		t.Run(fmt.Sprintf("max-depth=%d", n), func(t *testing.T) {
			web.Reset()
			cfg := crawler.Default()
			cfg.Seeds = web.Seeds()
			cfg.AllowPrivate = true
			cfg.Delay = 0
			cfg.MaxDepth = n
			cfg.Scope = crawler.ScopeAny
			cfg.Concurrency = 16
			cfg.Retries = 0
			crawlDir(t, t.TempDir(), cfg)
			want := web.Reference(n)
			if diff := depthweb.Diff(want, web.Fetched()); diff != "" {
				t.Errorf("fetched set differs from breadth-first (%d pages):%s", len(want), diff)
			}
		})
	}
}
