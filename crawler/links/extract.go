package links

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/nlnwa/whatwg-url/url"
)

// DefaultMaxLinks is the cap Extract applies when maxLinks is 0 or less.
const DefaultMaxLinks = 10000

// productToken is the meta-tag name that addresses trawl specifically.
const productToken = "trawl"

// Link is one outgoing link found on a page.
type Link struct {
	URL      string // canonical absolute URL
	Source   string // "a", "area", "link", "meta-refresh", "canonical", "frame", "iframe"
	Nofollow bool   // rel="nofollow" on the element (the caller decides whether to follow)
}

// Page is what a parsed HTML page says about its links.
type Page struct {
	Base         string // effective base URL (after <base href>)
	Links        []Link // deduplicated by URL, document order
	MetaNofollow bool   // <meta name="robots"|"trawl" content="...nofollow..."> (also "none")
	MetaNoindex  bool   // <meta name="robots"|"trawl" content="...noindex..."> (also "none")
}

const selector = "a[href], area[href], link[href], meta, frame[src], iframe[src]"

// Extract finds links in doc (already parsed by the caller with goquery),
// resolving against pageURL and the first <base href>. Elements: a[href],
// area[href], link[href] with rel next|prev|alternate|canonical,
// meta http-equiv=refresh (url=...), frame[src], iframe[src]. Invalid and
// non-http(s) links are dropped silently. Links are deduplicated by
// canonical URL in document order; a duplicate is Nofollow only if every
// occurrence is. maxLinks bounds the result (<= 0 means DefaultMaxLinks).
func Extract(doc *goquery.Document, pageURL string, maxLinks int) Page {
	if maxLinks <= 0 {
		maxLinks = DefaultMaxLinks
	}
	p := Page{Base: pageURL}
	if doc == nil {
		return p
	}
	if u, err := url.Parse(pageURL); err == nil {
		p.Base = u.Href(true)
	}
	// The first <base href> applies to the whole document, links before it
	// included (HTML "document base URL").
	if b := doc.Find("base[href]").First(); b.Length() > 0 {
		p.Base = resolveBase(b.AttrOr("href", ""), p.Base)
	}
	base, baseErr := url.Parse(p.Base) // parsed once, not per link
	seen := make(map[string]int)
	add := func(ref, source string, nofollow bool) {
		var u *url.Url
		var err error
		if baseErr != nil { // unusable page URL: only absolute refs resolve
			u, err = url.Parse(strings.TrimSpace(ref))
		} else {
			u, err = base.Parse(strings.TrimSpace(ref))
		}
		if err != nil {
			return
		}
		c, err := serialize(u, ref)
		if err != nil {
			return
		}
		if i, ok := seen[c]; ok {
			p.Links[i].Nofollow = p.Links[i].Nofollow && nofollow
			return
		}
		seen[c] = len(p.Links)
		p.Links = append(p.Links, Link{URL: c, Source: source, Nofollow: nofollow})
	}
	doc.Find(selector).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		switch name := goquery.NodeName(s); name {
		case "a", "area", "frame", "iframe":
			attr := "href"
			if name == "frame" || name == "iframe" {
				attr = "src"
			}
			add(s.AttrOr(attr, ""), name, hasToken(s.AttrOr("rel", ""), "nofollow"))
		case "link":
			rel := s.AttrOr("rel", "")
			switch {
			case hasToken(rel, "canonical"):
				add(s.AttrOr("href", ""), "canonical", hasToken(rel, "nofollow"))
			case hasToken(rel, "next"), hasToken(rel, "prev"), hasToken(rel, "alternate"):
				add(s.AttrOr("href", ""), "link", hasToken(rel, "nofollow"))
			}
		case "meta":
			meta(s, &p, add)
		}
		return len(p.Links) < maxLinks
	})
	return p
}

// resolveBase applies <base href>: only an http(s) result replaces the
// current base; a fragment is dropped.
func resolveBase(href, current string) string {
	href = strings.TrimSpace(href)
	if href == "" {
		return current
	}
	u, err := url.ParseRef(current, href)
	if err != nil || (u.Scheme() != "http" && u.Scheme() != "https") {
		return current
	}
	return u.Href(true)
}

func meta(s *goquery.Selection, p *Page, add func(ref, source string, nofollow bool)) {
	if strings.EqualFold(strings.TrimSpace(s.AttrOr("http-equiv", "")), "refresh") {
		if ref, ok := refreshURL(s.AttrOr("content", "")); ok {
			add(ref, "meta-refresh", false)
		}
		return
	}
	name := strings.ToLower(strings.TrimSpace(s.AttrOr("name", "")))
	if name != "robots" && name != productToken {
		return
	}
	for _, d := range strings.Split(strings.ToLower(s.AttrOr("content", "")), ",") {
		switch strings.TrimSpace(d) {
		case "nofollow":
			p.MetaNofollow = true
		case "noindex":
			p.MetaNoindex = true
		case "none":
			p.MetaNofollow, p.MetaNoindex = true, true
		}
	}
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
