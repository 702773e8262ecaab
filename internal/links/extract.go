package links

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/html"
)

// DefaultMaxLinks is the cap Extract applies when maxLinks is 0 or less.
const DefaultMaxLinks = 10000

// Link is one outgoing link found on a page.
type Link struct {
	URL      string // canonical absolute URL
	Source   string // "a", "area", "link", "meta-refresh", "canonical", "frame", "iframe"; for requisites the element ("img", "script", "link", "style"...)
	Nofollow bool   // rel="nofollow" on the element (the caller decides whether to follow)
}

// Page is what a parsed HTML page says about its links.
type Page struct {
	Base  string // effective base URL (after <base href>)
	Links []Link // deduplicated by URL, document order
	// Requisites are what rendering the page loads (stylesheets, scripts,
	// images, icons, fonts, CSS url()), deduplicated, in document order.
	// Only ExtractWithRequisites fills it; a URL may be in both lists.
	Requisites []Link
	// Dropped counts the link references past maxLinks that were left
	// out: each a new URL when it was met (a URL repeated after the cap
	// may count again). Requisites past the cap are not counted.
	Dropped      int
	MetaNofollow bool // <meta name="robots" content="...nofollow..."> (also "none")
	MetaNoindex  bool // <meta name="robots" content="...noindex..."> (also "none")
	// MetaAgents are the nofollow/noindex meta tags addressed to one
	// crawler (<meta name="googlebot" ...>); NofollowFor decides with the
	// crawl's product token, so a custom --user-agent is addressed too.
	MetaAgents []MetaAgent
}

// MetaAgent is a robots meta tag addressed to one crawler by name.
type MetaAgent struct {
	Name              string // lower-cased meta name: a product token
	Nofollow, Noindex bool
}

// NofollowFor reports whether the page's meta tags say nofollow to the
// crawler whose product token is token (robots.ProductToken): the
// "robots" tag, or one named for it.
func (p Page) NofollowFor(token string) bool {
	if p.MetaNofollow {
		return true
	}
	for _, m := range p.MetaAgents {
		if m.Nofollow && m.Name == token {
			return true
		}
	}
	return false
}

// Extract finds links in doc (already parsed by the caller with goquery),
// resolving against pageURL and the first <base href>. Elements: a[href],
// area[href], link[href] with rel next|prev|alternate|canonical (but not an
// alternate stylesheet or icon: those are requisites), meta
// http-equiv=refresh (url=...), frame[src], iframe[src]. Invalid and
// non-http(s) links are dropped silently. Links are deduplicated by
// canonical URL in document order; a duplicate is Nofollow only if every
// occurrence is. maxLinks bounds the result (<= 0 means DefaultMaxLinks).
//
// It walks the node tree itself rather than running selectors (two
// selector passes cost more than the walk), and resolves plain references
// without the WHATWG parser (fastResolve, checked against it by fuzzing).
func Extract(doc *goquery.Document, pageURL string, maxLinks int) Page {
	return extract(doc, pageURL, maxLinks, false)
}

// ExtractWithRequisites is Extract that also fills Page.Requisites: what a
// browser loads to render the page (see requisites.go for the elements).
// maxLinks bounds Links and Requisites together.
func ExtractWithRequisites(doc *goquery.Document, pageURL string, maxLinks int) Page {
	return extract(doc, pageURL, maxLinks, true)
}

func extract(doc *goquery.Document, pageURL string, maxLinks int, requisites bool) Page {
	if doc == nil || len(doc.Nodes) == 0 {
		return Page{Base: pageURL}
	}
	root := doc.Nodes[0]
	base, serialized := documentBase(root, pageURL)
	return collect(base, serialized, maxLinks, requisites, func(visit func(*html.Node) bool) { walk(root, visit) })
}

// collect gathers a page's links from the elements each hands it in
// document order (a walk of the parsed tree, or of the token stream),
// resolving against base.
func collect(base string, serialized bool, maxLinks int, requisites bool, each func(visit func(*html.Node) bool)) Page {
	if maxLinks <= 0 {
		maxLinks = DefaultMaxLinks
	}
	p := Page{Base: base}
	r := &resolver{base: p.Base}
	if serialized {
		r.fast = newFastBase(p.Base)
	}
	seen := make(map[string]int)
	full := false // the cap is reached: count what is left out, keep nothing more
	add := func(ref, source string, nofollow bool) {
		c, ok := r.resolve(ref)
		if !ok {
			return
		}
		if i, ok := seen[c]; ok {
			p.Links[i].Nofollow = p.Links[i].Nofollow && nofollow
			return
		}
		if full {
			p.Dropped++
			return
		}
		seen[c] = len(p.Links)
		p.Links = append(p.Links, Link{URL: c, Source: source, Nofollow: nofollow})
	}
	var req *requisiteSet
	if requisites {
		req = &requisiteSet{r: r, seen: map[string]bool{}}
	}
	each(func(n *html.Node) bool {
		switch name := n.Data; name {
		case "a", "area":
			if href, ok := attr(n, "href"); ok {
				rel, _ := attr(n, "rel")
				add(href, name, hasToken(rel, "nofollow"))
			}
		case "frame", "iframe":
			if src, ok := attr(n, "src"); ok {
				rel, _ := attr(n, "rel")
				add(src, name, hasToken(rel, "nofollow"))
			}
		case "link":
			href, ok := attr(n, "href")
			if !ok {
				break
			}
			rel, _ := attr(n, "rel")
			switch {
			case isRequisiteRel(rel):
				// An alternate stylesheet or icon is loaded, never visited.
			case hasToken(rel, "canonical"):
				add(href, "canonical", hasToken(rel, "nofollow"))
			case hasToken(rel, "next"), hasToken(rel, "prev"), hasToken(rel, "alternate"):
				add(href, "link", hasToken(rel, "nofollow"))
			}
		case "meta":
			meta(n, &p, add)
		}
		if req != nil && !full {
			req.element(n)
		}
		// Past the cap the walk goes on only to count what it drops.
		full = len(p.Links)+req.len() >= maxLinks
		return true
	})
	if req != nil {
		p.Requisites = req.links
		if over := len(p.Links) + len(p.Requisites) - maxLinks; over > 0 {
			p.Requisites = p.Requisites[:len(p.Requisites)-over]
		}
	}
	return p
}

// resolver resolves references against one base URL to canonical URLs,
// parsing the base with the WHATWG parser at most once, and only for a
// reference the fast path cannot take.
type resolver struct {
	base    string
	fast    fastBase
	parsed  bool
	baseURL *url.Url
	baseErr error
}

func (r *resolver) resolve(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if c, ok := fastResolve(r.fast, ref); ok {
		return c, true
	}
	if !r.parsed {
		r.baseURL, r.baseErr = url.Parse(r.base)
		r.parsed = true
	}
	var u *url.Url
	var err error
	if r.baseErr != nil { // unusable page URL: only absolute refs resolve
		u, err = url.Parse(ref)
	} else {
		u, err = r.baseURL.Parse(ref)
	}
	if err != nil {
		return "", false
	}
	c, err := serialize(u, ref)
	return c, err == nil
}

// DocumentBase returns the URL that relative references in the document
// rooted at root resolve against: the first <base href> (resolved against
// pageURL, http(s) only), else pageURL, WHATWG-serialised when it parses.
func DocumentBase(root *html.Node, pageURL string) string {
	b, _ := documentBase(root, pageURL)
	return b
}

// documentBase is DocumentBase; serialized reports a WHATWG serialisation
// (the fast resolver relies on it): an unparsable page URL stays raw, and
// only absolute references resolve against it.
func documentBase(root *html.Node, pageURL string) (base string, serialized bool) {
	base = pageURL
	if plainSerialization(pageURL) {
		serialized = true // already what the parser would make of it
	} else if u, err := url.Parse(pageURL); err == nil {
		base, serialized = u.Href(true), true
	}
	// The first <base href> applies to the whole document, links before it
	// included (HTML "document base URL").
	walk(root, func(n *html.Node) bool {
		if n.Data == "base" {
			if href, ok := attr(n, "href"); ok {
				if b, ok := resolveBase(href, base); ok {
					base, serialized = b, true
				}
				return false
			}
		}
		return true
	})
	return base, serialized
}

// walk visits element nodes below root in document order until visit
// returns false. It uses an explicit stack: hostile pages nest deeply.
func walk(root *html.Node, visit func(*html.Node) bool) {
	stack := []*html.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode && n != root {
			if !visit(n) {
				return
			}
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
}

// attr returns the value of the attribute key (no namespace), as goquery's
// AttrOr does.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// resolveBase applies <base href>: only an http(s) result replaces the
// current base (ok); a fragment is dropped.
func resolveBase(href, current string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" {
		return current, false
	}
	u, err := url.ParseRef(current, href)
	if err != nil || (u.Scheme() != "http" && u.Scheme() != "https") {
		return current, false
	}
	return u.Href(true), true
}

func meta(n *html.Node, p *Page, add func(ref, source string, nofollow bool)) {
	equiv, _ := attr(n, "http-equiv")
	content, _ := attr(n, "content")
	if strings.EqualFold(strings.TrimSpace(equiv), "refresh") {
		if ref, ok := refreshURL(content); ok {
			add(ref, "meta-refresh", false)
		}
		return
	}
	name, _ := attr(n, "name")
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return
	}
	var nofollow, noindex bool
	for _, d := range strings.Split(strings.ToLower(content), ",") {
		switch strings.TrimSpace(d) {
		case "nofollow":
			nofollow = true
		case "noindex":
			noindex = true
		case "none":
			nofollow, noindex = true, true
		}
	}
	switch {
	case !nofollow && !noindex:
	case name == "robots":
		p.MetaNofollow = p.MetaNofollow || nofollow
		p.MetaNoindex = p.MetaNoindex || noindex
	case isToken(name):
		p.MetaAgents = append(p.MetaAgents, MetaAgent{Name: name, Nofollow: nofollow, Noindex: noindex})
	}
}

// isToken reports whether s is a product token ([a-z_-], lower-cased).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// refreshURL extracts the URL of a meta refresh content attribute following
// the HTML "shared declarative refresh steps": "5; url=x", "0;URL='x'",
// "0, x". A content without a URL (a plain reload) yields false.
func refreshURL(content string) (string, bool) {
	s := strings.TrimLeft(content, " \t\n\f\r")
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return "", false
	}
	s = strings.TrimLeft(s[i:], " \t\n\f\r")
	if s == "" {
		return "", false
	}
	if s[0] != ';' && s[0] != ',' {
		return "", false
	}
	s = strings.TrimLeft(s[1:], " \t\n\f\r")
	if len(s) >= 3 && strings.EqualFold(s[:3], "url") {
		rest := strings.TrimLeft(s[3:], " \t\n\f\r")
		if strings.HasPrefix(rest, "=") {
			s = strings.TrimLeft(rest[1:], " \t\n\f\r")
		}
	}
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		q := s[0]
		s = s[1:]
		if j := strings.IndexByte(s, q); j >= 0 {
			s = s[:j]
		}
	}
	s = strings.TrimSpace(s)
	return s, s != ""
}

// hasToken reports whether the space-separated list attr contains tok,
// ignoring ASCII case.
func hasToken(attr, tok string) bool {
	for _, f := range strings.Fields(attr) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// XRobotsNofollow reports whether X-Robots-Tag header values say nofollow
// (or none) for all agents or for agent. Each value is a comma-separated
// list of directives; "name: directive" scopes that and the following
// directives of the same value to the crawler name.
func XRobotsNofollow(values []string, agent string) bool {
	agent = strings.ToLower(strings.TrimSpace(agent))
	for _, v := range values {
		scope := ""
		for _, d := range strings.Split(v, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if name, rest, ok := strings.Cut(d, ":"); ok && !isValuedDirective(strings.TrimSpace(name)) {
				scope, d = strings.TrimSpace(name), strings.TrimSpace(rest)
			}
			if (d == "nofollow" || d == "none") && (scope == "" || scope == agent) {
				return true
			}
		}
	}
	return false
}

// isValuedDirective reports directives that carry their own "name: value"
// form and so are not a crawler scope.
func isValuedDirective(name string) bool {
	switch name {
	case "unavailable_after", "max-snippet", "max-image-preview", "max-video-preview":
		return true
	}
	return false
}
