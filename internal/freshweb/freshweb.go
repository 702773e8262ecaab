// Package freshweb is a small changing test site on 127.0.0.1 for the
// tests and benchmarks of content dedup, sitemaps and recrawl: pages whose
// bodies repeat, pages that change between passes, pages that disappear,
// pages listed only in a sitemap, ETag/Last-Modified validators and
// conditional answers (304), and byte counters to judge what a crawl
// transferred. Imported only by tests and the benchmark driver.
//
// Layout: / links /p/0; /p/i links /p/i+1 … /p/i+FanOut (while < Pages)
// and, when i < Dups, /d/i. /d/i serves the body of /p/(i mod DupOf):
// byte-identical content under another URL. /s/i (i < SitemapOnly) is
// linked from nowhere and listed in /sitemap.xml, which robots.txt names.
package freshweb

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawl-crawler/trawl/internal/waitfor"
)

// Config describes the site.
type Config struct {
	Pages       int // linked pages /p/0…; default 100
	PageSize    int // approx body bytes; default 8 KB
	FanOut      int // links per page to the following pages; default 4
	Dups        int // /d/0… pages, each a copy of a /p/ page
	DupOf       int // /d/i copies /p/(i mod DupOf); default 10
	SitemapOnly int // /s/0… pages linked from nowhere, listed in /sitemap.xml
	// IgnoreConditional answers 200 with the full body to conditional
	// requests (a server that ignores If-None-Match/If-Modified-Since).
	IgnoreConditional bool
	// NoValidators sends neither ETag nor Last-Modified.
	NoValidators bool
	Latency      time.Duration // added before every answer
	Seed         uint64
}

// Site is a running freshweb.
type Site struct {
	cfg Config
	srv *httptest.Server

	mu       sync.Mutex
	version  map[string]int // path -> body version (0 = original)
	gone     map[string]int // path -> 404 or 410
	modified map[string]time.Time
	// sitemap answers /sitemap.xml: serveSitemap, or what SetSitemap
	// put in its place (hostile tests).
	sitemap atomic.Pointer[http.HandlerFunc]

	requests     atomic.Int64
	total        waitfor.Counter // requests since Start
	bodyBytes    atomic.Int64    // body bytes written (200 answers)
	conditional  atomic.Int64    // requests carrying If-None-Match or If-Modified-Since
	notModified  atomic.Int64    // 304 answers
	pathRequests sync.Map        // path -> *atomic.Int64
}

// Start serves the site on 127.0.0.1.
func Start(cfg Config) *Site {
	cfg.Pages = cmp.Or(cfg.Pages, 100)
	cfg.PageSize = cmp.Or(cfg.PageSize, 8<<10)
	cfg.FanOut = cmp.Or(cfg.FanOut, 4)
	cfg.DupOf = cmp.Or(cfg.DupOf, 10)
	s := &Site{cfg: cfg, version: map[string]int{}, gone: map[string]int{}, modified: map[string]time.Time{}}
	s.SetSitemap(nil)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Start()
	return s
}

// AfterRequests returns a channel closed once the site has received n
// requests in total (counted from Start, not reset by ResetCounters'
// per-pass counters): tests act on it instead of on elapsed time.
func (s *Site) AfterRequests(n int64) <-chan struct{} { return s.total.Reached(n) }

// TotalRequests is the number of requests since Start.
func (s *Site) TotalRequests() int64 { return s.total.Load() }

func (s *Site) countRequest() {
	s.requests.Add(1)
	s.total.Inc()
}

// Close stops the server.
func (s *Site) Close() { s.srv.Close() }

// URL is the site's origin, e.g. http://127.0.0.1:PORT.
func (s *Site) URL() string { return s.srv.URL }

// Seed is the crawl's seed URL.
func (s *Site) Seed() string { return s.srv.URL + "/" }

// Pages lists every URL a full crawl finds by links (/, /p/…, /d/…).
func (s *Site) Pages() []string {
	out := []string{s.Seed()}
	for i := 0; i < s.cfg.Pages; i++ {
		out = append(out, s.srv.URL+"/p/"+strconv.Itoa(i))
	}
	for i := 0; i < min(s.cfg.Dups, s.cfg.Pages); i++ {
		out = append(out, s.srv.URL+"/d/"+strconv.Itoa(i))
	}
	return out
}

// SitemapPages lists the /s/ URLs (only in the sitemap).
func (s *Site) SitemapPages() []string {
	var out []string
	for i := 0; i < s.cfg.SitemapOnly; i++ {
		out = append(out, s.srv.URL+"/s/"+strconv.Itoa(i))
	}
	return out
}

// SetSitemap replaces the /sitemap.xml handler (nil restores the default).
func (s *Site) SetSitemap(h http.HandlerFunc) {
	if h == nil {
		h = s.serveSitemap
	}
	s.sitemap.Store(&h)
}

// serveSitemap lists the sitemap-only pages, each with a lastmod.
func (s *Site) serveSitemap(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`+"\n")
	for i, u := range s.SitemapPages() {
		fmt.Fprintf(w, "<url><loc>%s</loc><lastmod>2026-01-%02dT00:00:00Z</lastmod></url>\n", u, i%28+1)
	}
	fmt.Fprint(w, "</urlset>\n")
}

// Change gives a new body version to each /p/ page whose index is in idx.
func (s *Site) Change(idx ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range idx {
		p := "/p/" + strconv.Itoa(i)
		s.version[p]++
		s.modified[p] = s.modified[p].Add(time.Hour)
	}
}

// Remove makes /p/i answer code (404 or 410) from now on.
func (s *Site) Remove(code int, idx ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range idx {
		s.gone["/p/"+strconv.Itoa(i)] = code
	}
}

// Counters are what the server saw since the last ResetCounters.
type Counters struct {
	Requests    int64
	BodyBytes   int64 // body bytes of 200 answers
	Conditional int64 // requests with If-None-Match or If-Modified-Since
	NotModified int64 // 304 answers
}

// Counters returns the counters.
func (s *Site) Counters() Counters {
	return Counters{s.requests.Load(), s.bodyBytes.Load(), s.conditional.Load(), s.notModified.Load()}
}

// ResetCounters zeroes the counters.
func (s *Site) ResetCounters() {
	s.requests.Store(0)
	s.bodyBytes.Store(0)
	s.conditional.Store(0)
	s.notModified.Store(0)
	s.pathRequests.Clear()
}

// Requests returns how many times path was requested since ResetCounters.
func (s *Site) Requests(path string) int64 {
	if v, ok := s.pathRequests.Load(path); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Body returns the body /p/i serves at version v (exported for checks).
func (s *Site) Body(i, v int) []byte {
	rng := rand.New(rand.NewPCG(s.cfg.Seed+uint64(i), uint64(v)+7))
	words := strings.Fields("the a crawler page link href div span class table row of and to in is for with on that by this web data from html body title fresh")
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>page %d v%d</title></head><body>\n", i, v)
	for j := 1; j <= s.cfg.FanOut; j++ {
		if i+j < s.cfg.Pages {
			fmt.Fprintf(&b, "<a href=\"/p/%d\">next %d</a>\n", i+j, j)
		}
	}
	if i < s.cfg.Dups {
		fmt.Fprintf(&b, "<a href=\"/d/%d\">copy</a>\n", i)
	}
	for b.Len() < s.cfg.PageSize {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(' ')
		if rng.IntN(12) == 0 {
			b.WriteString("</p>\n<p>")
		}
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	s.countRequest()
	if s.cfg.Latency > 0 {
		select {
		case <-time.After(s.cfg.Latency):
		case <-r.Context().Done():
			return
		}
	}
	v, _ := s.pathRequests.LoadOrStore(r.URL.Path, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	p := r.URL.Path
	switch {
	case p == "/robots.txt":
		fmt.Fprintf(w, "User-agent: *\nDisallow: /private/\nSitemap: %s/sitemap.xml\n", s.srv.URL)
		return
	case p == "/sitemap.xml":
		(*s.sitemap.Load())(w, r)
		return
	case p == "/":
		s.write(w, r, p, []byte(`<html><body><a href="/p/0">start</a></body></html>`), epoch)
		return
	}
	kind, num, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 {
		http.NotFound(w, r)
		return
	}
	switch {
	case kind == "p" && i < s.cfg.Pages:
		s.mu.Lock()
		code, gone := s.gone[p]
		ver, mod := s.version[p], s.modified[p]
		s.mu.Unlock()
		if gone {
			http.Error(w, http.StatusText(code), code)
			return
		}
		s.write(w, r, p, s.Body(i, ver), epoch.Add(mod.Sub(time.Time{})))
	case kind == "d" && i < s.cfg.Dups && i < s.cfg.Pages:
		s.write(w, r, p, s.Body(i%s.cfg.DupOf, 0), epoch)
	case kind == "s" && i < s.cfg.SitemapOnly:
		s.write(w, r, p, []byte(fmt.Sprintf("<html><body>sitemap-only page %d %s</body></html>", i, strings.Repeat("x", 300))), epoch)
	default:
		http.NotFound(w, r)
	}
}

// write answers with validators derived from the body and honours
// conditional requests unless the site ignores them.
func (s *Site) write(w http.ResponseWriter, r *http.Request, path string, body []byte, mod time.Time) {
	etag := fmt.Sprintf(`"%x"`, fnv(body))
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		s.conditional.Add(1)
	}
	if !s.cfg.NoValidators {
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	}
	if !s.cfg.IgnoreConditional && !s.cfg.NoValidators {
		notMod := false
		if inm != "" {
			notMod = inm == etag
		} else if ims != "" {
			if t, err := http.ParseTime(ims); err == nil && !mod.After(t) {
				notMod = true
			}
		}
		if notMod {
			s.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	n, _ := w.Write(body)
	s.bodyBytes.Add(int64(n))
}

func fnv(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
