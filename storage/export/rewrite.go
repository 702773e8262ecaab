package export

import (
	"bytes"
	"path"
	"strings"

	"golang.org/x/net/html"

	"github.com/trawl-crawler/trawl/internal/links"
	"github.com/trawl-crawler/trawl/storage"
)

// --rewrite-links (wget -k) in one place. Every reference a saved page or
// stylesheet makes (href, src, srcset, poster, object data, background,
// style attributes, <style> and the url()/@import of stylesheets) is
// resolved with the crawler's own rules (links.Canonical, against the
// document's <base>), then:
//   - a URL whose file is in the mirror becomes a path relative to the
//     referring file ("/dir/" and "/dir/index.html" are one file; a
//     redirect saved by the crawl leads to its target's file);
//   - any other http(s) URL (not crawled, robots-blocked, out of scope,
//     filtered out of this export) becomes its absolute URL, so a link
//     out of the mirror still works online;
//   - fragments are kept; "#x", mailto:, javascript:, data: and other
//     non-http references are left as written.
// The <base href> of a rewritten page is removed: every reference is now
// relative to the file or absolute.

// maxRedirectHops bounds the redirect chains followed to a saved file.
const maxRedirectHops = 10

// mirrorMap says which file of the mirror holds each exported URL.
type mirrorMap struct {
	paths     map[string]string // canonical URL -> slash path in the tree
	redirects map[string]string // canonical URL -> canonical redirect target
}

func newMirrorMap() *mirrorMap {
	return &mirrorMap{paths: map[string]string{}, redirects: map[string]string{}}
}

// add records where rec goes (kept: it passes the export's filters) or,
// for a redirect, where it leads.
func (m *mirrorMap) add(rec *storage.Record, kept bool) {
	key, err := links.Canonical(rec.URL, "")
	if err != nil {
		return
	}
	if rec.Status >= 300 && rec.Status < 400 && rec.FinalURL != "" {
		if to, err := links.Canonical(rec.FinalURL, ""); err == nil && to != key {
			m.redirects[key] = to
		}
		return
	}
	if !kept {
		return
	}
	if p, err := PathFor(rec.URL, rec.ContentType); err == nil {
		if _, dup := m.paths[key]; !dup {
			m.paths[key] = p
		}
	}
}

// lookup returns the file of canonical URL u, following saved redirects.
func (m *mirrorMap) lookup(u string) (string, bool) {
	for range maxRedirectHops + 1 {
		if p, ok := m.file(u); ok {
			return p, true
		}
		next, ok := m.redirects[u]
		if !ok {
			return "", false
		}
		u = next
	}
	return "", false
}

// file looks u up, treating "/dir/" and "/dir/index.html" as one file.
func (m *mirrorMap) file(u string) (string, bool) {
	if p, ok := m.paths[u]; ok {
		return p, true
	}
	pathPart, query, _ := strings.Cut(u, "?")
	if query != "" {
		return "", false
	}
	if d, ok := strings.CutSuffix(pathPart, "/index.html"); ok {
		p, ok := m.paths[d+"/"]
		return p, ok
	}
	if strings.HasSuffix(pathPart, "/") {
		p, ok := m.paths[pathPart+"index.html"]
		return p, ok
	}
	return "", false
}

// rewriter rewrites the references of one file of the mirror.
type rewriter struct {
	m   *mirrorMap
	dir string // the file's directory in the tree
}

// ref returns the rewritten form of reference v found in a document whose
// base URL is base, and whether it differs from v.
func (r rewriter) ref(v, base string) (string, bool) {
	t := strings.TrimSpace(v)
	if t == "" || t[0] == '#' {
		return v, false
	}
	c, err := links.Canonical(t, base)
	if err != nil { // not http(s), or invalid: leave it as written
		return v, false
	}
	frag := ""
	if i := strings.IndexByte(t, '#'); i >= 0 {
		frag = t[i:]
	}
	out := c + frag
	if p, ok := r.m.lookup(c); ok {
		out = relPath(r.dir, p) + frag
	}
	return out, out != v
}

// urlAttrs are the attributes that hold one URL, by element ("" = any).
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true}

// html rewrites an HTML page saved at rel whose URL is pageURL.
func (r rewriter) html(body []byte, pageURL string) []byte {
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return body
	}
	base := links.DocumentBase(root, pageURL)
	changed := false
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if r.element(n, base) {
				changed = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(root)
	if !changed {
		return body
	}
	var out bytes.Buffer
	if err := html.Render(&out, root); err != nil {
		return body
	}
	return out.Bytes()
}

// element rewrites the references of one element and reports a change.
func (r rewriter) element(n *html.Node, base string) bool {
	changed := false
	if n.Data == "base" {
		kept := n.Attr[:0]
		for _, a := range n.Attr {
			if a.Namespace == "" && a.Key == "href" {
				changed = true
				continue
			}
			kept = append(kept, a)
		}
		n.Attr = kept
		return changed
	}
	for i := range n.Attr {
		a := &n.Attr[i]
		if a.Namespace != "" {
			continue
		}
		var v string
		var ok bool
		switch {
		case urlAttrs[a.Key],
			a.Key == "data" && n.Data == "object",
			a.Key == "background":
			v, ok = r.ref(a.Val, base)
		case a.Key == "srcset":
			v, ok = r.srcset(a.Val, base)
		case a.Key == "style":
			v, ok = r.css(a.Val, base)
		}
		if ok {
			a.Val, changed = v, true
		}
	}
	if n.Data == "style" {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				if v, ok := r.css(c.Data, base); ok {
					c.Data, changed = v, true
				}
			}
		}
	}
	return changed
}

func (r rewriter) srcset(v, base string) (string, bool) {
	return replaceSpans(v, links.SrcsetURLs(v), func(u string) (string, bool) {
		out, ok := r.ref(u, base)
		// A URL in a srcset ends at whitespace and must not end with a comma.
		return strings.NewReplacer(" ", "%20", ",", "%2C").Replace(out), ok
	})
}

// css rewrites the url() and @import references of a stylesheet (or a
// style attribute) whose URLs resolve against base.
func (r rewriter) css(css, base string) (string, bool) {
	refs := links.CSSRefs(css)
	spans := make([]links.Span, len(refs))
	for i, ref := range refs {
		spans[i] = ref.Span
	}
	i := 0
	return replaceSpans(css, spans, func(string) (string, bool) {
		out, ok := r.ref(refs[i].URL, base)
		i++
		// Safe both quoted and in a bare url(...).
		return strings.NewReplacer("(", "%28", ")", "%29", "'", "%27", `"`, "%22", " ", "%20", `\`, "%5C").Replace(out), ok
	})
}

// replaceSpans replaces each span of s (in order, not overlapping) by
// what fn returns for its text, if fn reports a change.
func replaceSpans(s string, spans []links.Span, fn func(string) (string, bool)) (string, bool) {
	var b strings.Builder
	last, changed := 0, false
	for _, sp := range spans {
		v, ok := fn(s[sp.Start:sp.End])
		if !ok {
			continue
		}
		b.WriteString(s[last:sp.Start])
		b.WriteString(v)
		last, changed = sp.End, true
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// rewriteFile rewrites a saved file's references if it is HTML or CSS.
func (m *mirrorMap) rewriteFile(rec *storage.Record, rel string) []byte {
	r := rewriter{m: m, dir: path.Dir(rel)}
	switch mediaType(rec.ContentType) {
	case "text/html", "application/xhtml+xml":
		return r.html(rec.Body, rec.URL)
	case "text/css":
		out, _ := r.css(string(rec.Body), rec.URL)
		return []byte(out)
	}
	return rec.Body
}
