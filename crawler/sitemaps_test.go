package crawler_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/storage"
)

// crawlStored crawls cfg into a new directory to its end and returns every
// URL in its store with its status.
func crawlStored(t *testing.T, cfg crawler.Config) map[string]int {
	t.Helper()
	dir := t.TempDir()
	crawlDir(t, dir, cfg)
	out := map[string]int{}
	scanPages(t, dir, func(rec *storage.Record) { out[rec.URL] = rec.Status })
	return out
}

// TestSitemapOnlyPagesFound: pages linked from nowhere and listed in the
// sitemap robots.txt names are crawled with --sitemaps, and only then; the
// sitemap file is fetched once.
func TestSitemapOnlyPagesFound(t *testing.T) {
	site := freshweb.Start(freshweb.Config{Pages: 20, SitemapOnly: 15, PageSize: 1 << 10, Seed: 1})
	defer site.Close()
	for _, on := range []bool{false, true} {
		site.ResetCounters()
		cfg := freshConfig(site)
		cfg.Sitemaps = on
		got := crawlStored(t, cfg)
		found := 0
		for _, u := range site.SitemapPages() {
			if got[u] == 200 {
				found++
			}
		}
		want := 0
		if on {
			want = len(site.SitemapPages())
		}
		if found != want {
			t.Fatalf("--sitemaps=%v: %d of %d sitemap-only pages stored, want %d", on, found, len(site.SitemapPages()), want)
		}
		if n := site.Requests("/sitemap.xml"); on && n != 1 || !on && n != 0 {
			t.Fatalf("--sitemaps=%v: /sitemap.xml requested %d times", on, n)
		}
		for _, u := range site.Pages() {
			if got[u] != 200 {
				t.Errorf("--sitemaps=%v: linked page %s not stored", on, u)
			}
		}
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestHostileSitemaps: each hostile /sitemap.xml leaves a crawl that
// finishes, stores every linked page, and takes from the sitemap only what
// the guards allow.
func TestHostileSitemaps(t *testing.T) {
	var bomb bytes.Buffer
	bomb.WriteString(`<urlset><url><loc>%[1]s/s/0</loc></url><!--`)
	bomb.Write(bytes.Repeat([]byte("A"), 60<<20))
	bomb.WriteString(`--><url><loc>%[1]s/s/1</loc></url></urlset>`)
	garbage := make([]byte, 10<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name    string
		handler func(base string) http.HandlerFunc
		want    []string // /s/ paths that must be stored
		never   []string // paths that must never be requested
		check   func(t *testing.T, site *freshweb.Site, got map[string]int)
	}{
		{"gzip bomb", func(base string) http.HandlerFunc {
			payload := gzipBytes([]byte(fmt.Sprintf(bomb.String(), base)))
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-gzip")
				w.Write(payload)
			}
		}, []string{"/s/0"}, []string{"/s/1"}, nil},
		{"index loop and nesting", func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				n := 0
				fmt.Sscan(r.URL.Query().Get("n"), &n)
				fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%[1]s/sitemap.xml</loc></sitemap><sitemap><loc>%[1]s/sitemap.xml?n=%[2]d</loc></sitemap></sitemapindex>`, base, n+1)
			}
		}, nil, nil, func(t *testing.T, site *freshweb.Site, got map[string]int) {
			// Each index lists /sitemap.xml (a loop: already seen) and the
			// next of an endless chain ?n=1, ?n=2...: levels 0, 1 and 2
			// are fetched, once each, and nothing deeper.
			if n := site.Requests("/sitemap.xml"); n != 3 {
				t.Errorf("/sitemap.xml requested %d times, want 3 (levels 0-2)", n)
			}
		}},
		{"10 MB of garbage", func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				w.Write(garbage)
			}
		}, nil, nil, nil},
		{"wrong host and robots", func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `<urlset><url><loc>http://elsewhere.test/x</loc></url><url><loc>%[1]s/s/2</loc></url><url><loc>%[1]s/private/secret</loc></url></urlset>`, base)
			}
		}, []string{"/s/2"}, []string{"/private/secret"}, func(t *testing.T, site *freshweb.Site, got map[string]int) {
			for u := range got {
				if strings.Contains(u, "elsewhere.test") {
					t.Errorf("%s taken from another host's sitemap", u)
				}
			}
		}},
		{"wrong content type", func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprintf(w, `<html><body><a href="%[1]s/s/3">x</a> %[1]s/s/4</body></html>`, base)
			}
		}, nil, []string{"/s/3", "/s/4"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "gzip bomb" && raceEnabled {
				t.Skip("50 MB of decompression and XML tokenizing takes minutes under -race; package sitemap tests the bomb at a small limit")
			}
			site := freshweb.Start(freshweb.Config{Pages: 10, SitemapOnly: 5, PageSize: 1 << 10, Seed: 2})
			defer site.Close()
			site.SetSitemap(c.handler(site.URL()))
			cfg := freshConfig(site)
			cfg.Sitemaps = true
			cfg.Scope = crawler.ScopeAny // the host guard, not scope, must stop other hosts
			got := crawlStored(t, cfg)
			for _, u := range site.Pages() {
				if got[u] != 200 {
					t.Errorf("linked page %s not stored", u)
				}
			}
			for _, p := range c.want {
				if got[site.URL()+p] != 200 {
					t.Errorf("%s not stored", p)
				}
			}
			for _, p := range c.never {
				if n := site.Requests(p); n != 0 {
					t.Errorf("%s requested %d times", p, n)
				}
			}
			for i := range 5 {
				p := fmt.Sprintf("/s/%d", i)
				if site.Requests(p) > 0 && !contains(c.want, p) {
					t.Errorf("%s requested: not listed in a sitemap that counts", p)
				}
			}
			if c.check != nil {
				c.check(t, site, got)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSitemapLastmodKeptWithURL: a page found in a sitemap keeps its
// <lastmod> in the frontier with the URL, through its fetch (whose
// completion adds validators and the record's place) and into the leases
// of a recrawl pass.
func TestSitemapLastmodKeptWithURL(t *testing.T) {
	site := freshweb.Start(freshweb.Config{Pages: 3, SitemapOnly: 4, PageSize: 1 << 10, Seed: 4})
	defer site.Close()
	cfg := freshConfig(site)
	cfg.Sitemaps = true
	dir := t.TempDir()
	crawlDir(t, dir, cfg)
	path := filepath.Join(dir, "frontier.db")
	if _, err := frontier.StartPass(path, 1); err != nil {
		t.Fatal(err)
	}
	fr, err := frontier.Open(path, frontier.Options{PerHost: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	tags := map[string]string{}
	for {
		l, ok, wait, err := fr.Next(time.Now().Add(time.Hour))
		// A 1 ms wait means a refill waits for the writer (Next's contract).
		for err == nil && !ok && wait == time.Millisecond {
			time.Sleep(wait)
			l, ok, wait, err = fr.Next(time.Now().Add(time.Hour))
		}
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		tags[l.URL] = l.Tag
	}
	for i, u := range site.SitemapPages() {
		want := fmt.Sprintf("lastmod=2026-01-%02dT00:00:00Z", i%28+1)
		if !strings.Contains(tags[u], want) || !strings.Contains(tags[u], "loc=") || !strings.Contains(tags[u], "etag=") {
			t.Errorf("%s: tag %q, want %s with the validators and locator", u, tags[u], want)
		}
	}
	if tag := tags[site.URL()+"/sitemap.xml"]; !strings.Contains(tag, "sitemap=0") {
		t.Errorf("sitemap.xml tag %q", tag)
	}
}

// TestSitemapURLsEnterAtDepthZero: with --max-depth 0 a crawl fetches its
// seed and the sitemap's pages (depth 0, like seeds), and no linked page.
func TestSitemapURLsEnterAtDepthZero(t *testing.T) {
	site := freshweb.Start(freshweb.Config{Pages: 5, SitemapOnly: 3, PageSize: 1 << 10, Seed: 5})
	defer site.Close()
	cfg := freshConfig(site)
	cfg.Sitemaps = true
	cfg.MaxDepth = 0
	got := crawlStored(t, cfg)
	for _, u := range site.SitemapPages() {
		if got[u] != 200 {
			t.Errorf("sitemap page %s not stored at --max-depth 0", u)
		}
	}
	if _, ok := got[site.URL()+"/p/0"]; ok {
		t.Error("/p/0 (depth 1) stored at --max-depth 0")
	}
	if got[site.Seed()] != 200 {
		t.Error("seed not stored")
	}
}
