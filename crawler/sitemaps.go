package crawler

import (
	"strconv"
	"sync"

	"github.com/trawl-crawler/trawl/crawler/robots"
	"github.com/trawl-crawler/trawl/crawler/sitemap"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
)

// Sitemap guards beyond the protocol's own limits (package sitemap).
const (
	// maxSitemapLevel: an index may list sitemaps, and (against the
	// protocol, but seen) indexes; files deeper than this are not fetched.
	maxSitemapLevel = 2
	// maxSitemapFilesPerHost bounds the sitemap files queued for one
	// origin host in one run.
	maxSitemapFilesPerHost = 1000
	// maxSitemapURLsPerHost bounds the URLs taken from one origin host's
	// sitemaps in one run (20 full files).
	maxSitemapURLsPerHost = 20 * sitemap.MaxEntries
)

// sitemapState is what the sitemap stage remembers in one run: which hosts
// had their sitemaps queued, and per origin host how many files and URLs
// were taken. Its counts restart on resume; the frontier's seen-set keeps
// any file or URL from being queued twice across runs.
type sitemapState struct {
	mu    sync.Mutex
	hosts map[string]bool
	files map[string]int
	urls  map[string]int
}

// take reserves n of what (files or urls) for host under limit, returning
// how many may be taken.
func (s *sitemapState) take(m *map[string]int, host string, n, limit int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *m == nil {
		*m = map[string]int{}
	}
	n = min(n, limit-(*m)[host])
	if n <= 0 {
		return 0
	}
	(*m)[host] += n
	return n
}

// firstVisit reports whether host is seen for the first time in this run.
func (s *sitemapState) firstVisit(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hosts == nil {
		s.hosts = map[string]bool{}
	}
	if s.hosts[host] {
		return false
	}
	s.hosts[host] = true
	return true
}

// sitemapStage runs after process in the parse stage, with --sitemaps:
// the first lease of each host in a run queues HOST/sitemap.xml and the
// Sitemap: lines of its robots.txt (when this lease fetched it); a
// sitemap's own lease yields the URLs or sitemaps it lists instead of
// links. Everything it queues goes through scope and the enqueue filters,
// and is fetched later like any URL: robots, politeness, retries.
//
// Depth: sitemap files and the URLs they list enter at depth 0, as seeds
// do, so --max-depth N follows links N steps from each listed page.
func (e *engine) sitemapStage(f *fetched, p *processed) {
	l := f.lease
	if !e.cfg.Sitemaps || l.Reparse {
		return
	}
	var found []frontier.Item
	origin := links.Origin(l.URL)
	if e.sm.firstVisit(l.Host) {
		found = e.sitemapFile(found, origin+"/sitemap.xml", l.Host, 0, l.URL)
	}
	if f.robots.fetched && f.robots.update != nil && f.robots.update.Robots != nil {
		for _, s := range robots.Sitemaps(f.robots.update.Robots.Body) {
			found = e.sitemapFile(found, s, l.Host, 0, origin+"/robots.txt")
		}
	}
	tag := parseTag(l.Tag)
	if lvl, isSitemap := tag["sitemap"]; isSitemap {
		level, _ := strconv.Atoi(lvl)
		p.comp.Children = e.sitemapChildren(f, p, tag, level)
	}
	p.comp.Children = append(p.comp.Children, found...)
}

// sitemapFile queues one sitemap file for origin host if the level and
// the host's file budget allow.
func (e *engine) sitemapFile(items []frontier.Item, raw, origin string, level int, parent string) []frontier.Item {
	if level > maxSitemapLevel {
		return items
	}
	u, err := links.Canonical(raw, parent)
	if err != nil {
		return items
	}
	if e.sm.take(&e.sm.files, origin, 1, maxSitemapFilesPerHost) == 0 {
		return items
	}
	t := urlTag{"sitemap": strconv.Itoa(level), "origin": origin}
	return e.addChildItem(items, frontier.Item{URL: u, Depth: 0, Parent: parent, Tag: t.String()})
}

// sitemapChildren replaces a sitemap lease's children: a redirect keeps
// the sitemap's tag (http → https moves are common); a fetched sitemap
// gives its entries; HTML links on a "sitemap" that is a web page are
// not followed (it was queued for its entries, at depth 0).
func (e *engine) sitemapChildren(f *fetched, p *processed, tag urlTag, level int) []frontier.Item {
	l := f.lease
	var out []frontier.Item
	for _, c := range p.comp.Children {
		if c.Redirects == l.Redirects+1 && c.Parent == l.URL {
			c.Tag = l.Tag
			out = append(out, c)
		}
	}
	if p.comp.Outcome != frontier.Done || f.resp == nil || f.resp.Status < 200 || f.resp.Status > 299 {
		return out
	}
	origin := tag["origin"]
	res := sitemap.Parse(f.resp.Body, f.resp.Header.Get("Content-Type"))
	log := e.c.log
	if res.Kind == sitemap.NotSitemap || res.Err != nil || res.Invalid > 0 || res.Truncated {
		log.Debug("sitemap", "url", l.URL, "kind", res.Kind, "entries", len(res.Entries), "invalid", res.Invalid, "truncated", res.Truncated, "err", res.Err)
	}
	offHost := 0
	switch res.Kind {
	case sitemap.Index:
		for _, en := range res.Entries {
			out = e.sitemapFile(out, en.Loc, origin, level+1, l.URL)
		}
	case sitemap.URLSet:
		n := e.sm.take(&e.sm.urls, origin, len(res.Entries), maxSitemapURLsPerHost)
		for _, en := range res.Entries[:n] {
			u, err := links.Canonical(en.Loc, l.URL)
			if err != nil {
				continue
			}
			if links.HostKey(u) != origin {
				offHost++ // a sitemap speaks for its own host only
				continue
			}
			it := frontier.Item{URL: u, Depth: 0, Parent: l.URL}
			if en.Lastmod != "" {
				it.Tag = urlTag{"lastmod": en.Lastmod}.String()
			}
			out = e.addChildItem(out, it)
		}
		if n < len(res.Entries) {
			log.Info("sitemap URL budget spent", "host", origin, "url", l.URL, "dropped", len(res.Entries)-n)
		}
	}
	if offHost > 0 {
		log.Debug("sitemap lists other hosts", "url", l.URL, "dropped", offHost)
	}
	return out
}
