package testweb

import (
	"net/url"
	"strings"
)

// bfs computes Expected: the URLs a correct, polite crawler requests when it
// starts from the seeds, obeys robots.txt for "trawl" and nofollow, follows
// redirects within scope and never enters the trap; and the count of 2xx HTML
// pages among them.
func (s *site) bfs() (map[string]int, int) {
	exp := make(map[string]int)
	seen := make(map[string]bool)
	queue := append([]string(nil), s.seeds...)
	for _, u := range queue {
		seen[u] = true
	}
	pages := 0
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		h, path := s.lookup(u)
		if h == nil || h.robots.status >= 500 || !allowed(h.rules, path) {
			continue
		}
		n := h.nodes[path]
		if n == nil {
			exp[u] = 404
			continue
		}
		exp[u] = n.finalStatus()
		if n.kind == kindPage || n.kind == kindHuge || n.kind == kindTrickle {
			pages++
		}
		if n.noFollow {
			continue
		}
		for _, l := range n.links {
			if l.follow && !seen[l.target] {
				seen[l.target] = true
				queue = append(queue, l.target)
			}
		}
	}
	return exp, pages
}

// lookup returns the host of canonical URL u if it belongs to the site (the
// scope "<Name>.test"), and u's path with its query.
func (s *site) lookup(u string) (*hostSite, string) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" {
		return nil, ""
	}
	h := s.byName[p.Host]
	if h == nil || !strings.HasSuffix(p.Host, "."+s.cfg.Name+".test") {
		return nil, ""
	}
	path := p.EscapedPath()
	if p.RawQuery != "" {
		path += "?" + p.RawQuery
	}
	return h, path
}

// finalStatus is the status a crawler ends with for n.
func (n *node) finalStatus() int {
	switch n.kind {
	case kindRedirect, kindStatus:
		return n.status
	}
	return 200
}
