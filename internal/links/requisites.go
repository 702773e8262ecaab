package links

import (
	"strings"

	"golang.org/x/net/html"
)

// requisiteSet collects the requisites of one page during Extract's walk.
type requisiteSet struct {
	r     *resolver
	seen  map[string]bool
	links []Link
}

func (s *requisiteSet) len() int {
	if s == nil {
		return 0
	}
	return len(s.links)
}

func (s *requisiteSet) add(ref, source string) {
	c, ok := s.r.resolve(ref)
	if !ok || s.seen[c] {
		return
	}
	s.seen[c] = true
	s.links = append(s.links, Link{URL: c, Source: source})
}

// requisiteAttrs lists, per element, the attributes holding one URL that a
// browser loads to render the page. srcset, style and <style> text are
// handled apart; <link> depends on its rel; iframes and frames are pages.
var requisiteAttrs = map[string][]string{
	"img":    {"src"},
	"script": {"src"},
	"source": {"src"},
	"video":  {"src", "poster"},
	"audio":  {"src"},
	"track":  {"src"},
	"embed":  {"src"},
	"object": {"data"},
	"body":   {"background"},
	"table":  {"background"},
	"td":     {"background"},
	"th":     {"background"},
}

// element adds the requisites element n refers to.
func (s *requisiteSet) element(n *html.Node) {
	name := n.Data
	for _, a := range requisiteAttrs[name] {
		if v, ok := attr(n, a); ok {
			s.add(v, name)
		}
	}
	switch name {
	case "input":
		if t, _ := attr(n, "type"); strings.EqualFold(strings.TrimSpace(t), "image") {
			if v, ok := attr(n, "src"); ok {
				s.add(v, name)
			}
		}
	case "img", "source":
		if v, ok := attr(n, "srcset"); ok {
			for _, sp := range SrcsetURLs(v) {
				s.add(v[sp.Start:sp.End], name)
			}
		}
	case "link":
		if href, ok := attr(n, "href"); ok {
			rel, _ := attr(n, "rel")
			if isRequisiteRel(rel) || (hasToken(rel, "preload") || hasToken(rel, "modulepreload")) {
				s.add(href, name)
			}
		}
	case "style":
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				for _, ref := range CSSRefs(c.Data) {
					s.add(ref.URL, name)
				}
			}
		}
	}
	if v, ok := attr(n, "style"); ok {
		for _, ref := range CSSRefs(v) {
			s.add(ref.URL, "style")
		}
	}
}

// isRequisiteRel reports a <link rel> whose target is loaded to render the
// page, never visited: a stylesheet (alternate ones included) or an icon
// ("icon", "shortcut icon", "alternate icon", "apple-touch-icon",
// "mask-icon"...). Such a link is a requisite even when rel also says
// "alternate".
func isRequisiteRel(rel string) bool {
	for _, f := range strings.Fields(rel) {
		f = strings.ToLower(f)
		if f == "stylesheet" || f == "icon" || strings.HasSuffix(f, "-icon") || f == "manifest" {
			return true
		}
	}
	return false
}

// Span is the byte range [Start, End) of one URL inside a larger string.
type Span struct{ Start, End int }

// SrcsetURLs returns the spans of the image URLs in a srcset attribute
// ("a.png 1x, b.png 2x"), following the HTML "parse a srcset attribute"
// steps for URL boundaries: candidates are separated by commas after the
// descriptors; a URL itself may hold commas except at its end.
func SrcsetURLs(v string) []Span {
	var out []Span
	i := 0
	for i < len(v) {
		for i < len(v) && (isHTMLSpace(v[i]) || v[i] == ',') {
			i++
		}
		if i >= len(v) {
			break
		}
		start := i
		for i < len(v) && !isHTMLSpace(v[i]) {
			i++
		}
		end := i
		for end > start && v[end-1] == ',' {
			end--
		}
		if end > start {
			out = append(out, Span{start, end})
		}
		if end < i { // the URL ended with commas: no descriptors
			continue
		}
		depth := 0 // skip descriptors up to the next top-level comma
		for i < len(v) {
			c := v[i]
			if c == '(' {
				depth++
			} else if c == ')' && depth > 0 {
				depth--
			} else if c == ',' && depth == 0 {
				break
			}
			i++
		}
	}
	return out
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
