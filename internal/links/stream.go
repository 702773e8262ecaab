package links

import (
	"bytes"

	"golang.org/x/net/html"
)

// ExtractTokens is Extract (ExtractWithRequisites if requisites) over the
// page's token stream instead of a parsed tree: it builds no DOM, so its
// memory is the page's links, not a multiple of the page's size
// (docs/ARCHITECTURE.md). body must be UTF-8.
//
// It sees the elements as the tokenizer does, which differs from the tree
// builder only on malformed documents: an element the tree builder drops
// (a <frame> outside a frameset, an <a> inside <select>) is seen here, and
// <image> is not read as <img>. The first <base href> applies to the whole
// document, as in Extract: a page that mentions "<base" is read twice.
func ExtractTokens(body []byte, pageURL string, maxLinks int, requisites bool) Page {
	base, serialized := pageURL, false
	if b, ok := canonicalPage(pageURL); ok {
		base, serialized = b, true
	}
	if containsFold(body, []byte("<base")) {
		walkTokens(body, false, func(n *html.Node) bool {
			if n.Data != "base" {
				return true
			}
			href, ok := attr(n, "href")
			if !ok {
				return true
			}
			if b, ok := resolveBase(href, base); ok {
				base, serialized = b, true
			}
			return false
		})
	}
	return collect(base, serialized, maxLinks, requisites, func(visit func(*html.Node) bool) {
		walkTokens(body, requisites, visit)
	})
}

// canonicalPage is documentBase without a document: the page URL,
// WHATWG-serialised when it parses.
func canonicalPage(pageURL string) (string, bool) {
	return documentBase(&html.Node{Type: html.DocumentNode}, pageURL)
}

// linkTags are the elements Extract reads without requisites.
func linkTag(name []byte) bool {
	switch string(name) {
	case "a", "area", "frame", "iframe", "link", "meta", "base":
		return true
	}
	return false
}

// walkTokens hands visit each start tag of body as an element node with
// its attributes (and, for <style>, its text as the one child), in
// document order, until visit returns false. Unless all is set, only the
// elements that can carry links are materialised. It reads body as
// x/net/html's Tokenizer would (tagScanner, scan.go), without its copies.
func walkTokens(body []byte, all bool, visit func(*html.Node) bool) {
	z := tagScanner{buf: body}
	for z.next() {
		if !all && !z.nameIsLinkTag() {
			continue
		}
		if !visit(z.node()) {
			return
		}
	}
}

// containsFold reports whether s contains the ASCII lower-case sub
// ignoring ASCII case.
func containsFold(s, sub []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(s[i:], sub[0])
		if j < 0 {
			return false
		}
		i += j
		if i+len(sub) > len(s) {
			return false
		}
		if bytes.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
		i++
	}
}
