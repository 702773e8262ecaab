package crawler

import (
	"mime"
	"strings"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
)

// Values for Config.RequisiteHosts.
const (
	// RequisiteHostsDomain takes requisites from the registrable domain of
	// the page (or stylesheet) that needs them, and from anywhere in the
	// crawl's scope: static.example.com serves www.example.com's images,
	// a third-party CDN does not (wget -p without -H is stricter still:
	// the page's host only).
	RequisiteHostsDomain = "domain"
	// RequisiteHostsAny takes requisites from any host (wget -p -H).
	RequisiteHostsAny = "any"
)

// requisiteExtraDepth is how far past --max-depth requisites may go: a
// requisite gets its page's depth + 1 (it is one fetch further from the
// seed), and the chain page → stylesheet → imported stylesheet → font is
// three steps long. Requisites never make a page count against depth.
const requisiteExtraDepth = 3

func (c *Config) validateRequisites() error {
	switch c.RequisiteHosts {
	case "", RequisiteHostsDomain, RequisiteHostsAny:
		return nil
	}
	return configErr("requisite_hosts %q: want domain or any", c.RequisiteHosts)
}

// The requisite rules, in one place:
//   - what a requisite is: links.ExtractWithRequisites (HTML) and
//     links.ExtractCSS (a stylesheet's url() and @import);
//   - a requisite of a page at depth d is queued at depth d+1 and is
//     allowed up to --max-depth + requisiteExtraDepth;
//   - hosts: the crawl's scope, or the registrable domain of the document
//     that refers to it (RequisiteHostsDomain), or any (RequisiteHostsAny);
//   - --exclude and OnEnqueue filters apply; --include does not (it says
//     which pages to crawl, and a page needs its stylesheet wherever it is);
//   - robots.txt, politeness, retries and --max-pages treat a requisite
//     like any other URL: it is one more fetch of its host;
//   - requisites are taken from HTML documents in the crawl's scope (not
//     from an out-of-scope page a requisite happened to be) and from every
//     stylesheet fetched; rel=nofollow and meta nofollow do not stop them
//     (rendering a page is not following its links).

// allowsRequisite reports whether canonical URL u, needed by document doc,
// may be queued at depth.
func (e *engine) allowsRequisite(u string, depth int, doc string) bool {
	s := e.scope
	if s.maxDepth >= 0 && depth > s.maxDepth+requisiteExtraDepth {
		return false
	}
	if ok, _ := s.allows(u, 0); ok { // in the crawl's scope (depth aside)
		return true
	}
	if e.cfg.RequisiteHosts != RequisiteHostsAny && links.Domain(links.HostKey(u)) != links.Domain(links.HostKey(doc)) {
		return false
	}
	for _, re := range s.exclude {
		if re.MatchString(u) {
			return false
		}
	}
	return true
}

// addRequisites queues reqs, found in document doc at depth docDepth.
func (e *engine) addRequisites(children []frontier.Item, reqs []links.Link, docDepth int, doc string) []frontier.Item {
	depth := docDepth + 1
	for _, r := range reqs {
		if !e.allowsRequisite(r.URL, depth, doc) {
			continue
		}
		if !e.passesFilters(r.URL, depth, doc) {
			continue
		}
		children = append(children, frontier.Item{URL: r.URL, Host: e.keys.key(r.URL), Depth: depth, Parent: doc})
	}
	return children
}

func (e *engine) passesFilters(u string, depth int, parent string) bool {
	for _, f := range e.c.enqueueFilters {
		if !e.safeFilter(f, u, depth, parent) {
			return false
		}
	}
	return true
}

// inScopeDocument reports whether an HTML document's requisites are taken.
func (e *engine) inScopeDocument(u string) bool {
	ok, _ := e.scope.allows(u, 0)
	return ok
}

// cssRequisites returns the requisites of a 2xx stylesheet response.
func (e *engine) cssRequisites(children []frontier.Item, l frontier.Lease, resp *fetch.Response, contentType string) []frontier.Item {
	if !e.cfg.PageRequisites || resp.Status < 200 || resp.Status > 299 || mediaType(contentType) != "text/css" {
		return children
	}
	return e.addRequisites(children, links.ExtractCSS(string(resp.Body), l.URL, e.cfg.MaxLinksPerPage), l.Depth, l.URL)
}

// addRedirect queues a redirect target. A lease deeper than --max-depth
// can only be a requisite (pages never are), so its redirect (a favicon
// moved to a CDN) follows the requisite rules at the same depth.
func (e *engine) addRedirect(children []frontier.Item, it frontier.Item, l frontier.Lease) []frontier.Item {
	if e.cfg.PageRequisites && e.scope.maxDepth >= 0 && l.Depth > e.scope.maxDepth {
		if !e.allowsRequisite(it.URL, it.Depth, l.URL) || !e.passesFilters(it.URL, it.Depth, it.Parent) {
			return children
		}
		it.Host = e.keys.key(it.URL)
		return append(children, it)
	}
	return e.addChildItem(children, it)
}

// mediaType is the lower-case type/subtype of a Content-Type value.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}
