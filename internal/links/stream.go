package links

import "golang.org/x/net/html"

// ExtractTokens is Extract (ExtractWithRequisites if requisites) over the
// page's token stream instead of a parsed tree: it builds no DOM, so its
// memory is the page's links, not a multiple of the page's size
// (docs/ARCHITECTURE.md). body must be UTF-8.
//
// It sees the elements as the tokenizer does, which differs from the tree
// builder only on malformed documents: an element the tree builder drops
// (a <frame> outside a frameset, an <a> inside <select>) is seen here, and
// <image> is not read as <img>. The first <base href> applies to the whole
// document, as in Extract: a page with one is read twice.
func ExtractTokens(body []byte, pageURL string, maxLinks int, requisites bool) Page {
	base, serialized := pageURL, false
	if b, ok := canonicalPage(pageURL); ok {
		base, serialized = b, true
	}
	// The first <base href> applies to the whole document, links before it
	// included: the page is read with its own URL as the base, and read
	// again from the start only if a <base href> that resolves turns up.
	// (Searching every page for "<base" first cost as much as this.)
	rebase := false
	p := collect(base, serialized, maxLinks, requisites, func(visit func(*html.Node) bool) {
		seenBase := false
		walkTokens(body, requisites, func(n *html.Node) bool {
			if !seenBase && n.Data == "base" {
				if href, ok := attr(n, "href"); ok {
					seenBase = true
					if b, ok := resolveBase(href, base); ok {
						base, serialized, rebase = b, true, true
						return false
					}
				}
			}
			return visit(n)
		})
	})
	if !rebase {
		return p
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
