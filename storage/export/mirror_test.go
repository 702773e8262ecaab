package export_test

import (
	"context"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/links"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage/export"
)

// TestOfflineMirror is issue 16's "done when": a --page-requisites crawl of
// the test web, exported with --rewrite-links, is opened file by file, and
// every reference of every saved page and stylesheet (href, src, srcset,
// poster, data, background, style attributes, <style>, CSS url() and
// @import) resolves to a file in the mirror or is an absolute URL.
func TestOfflineMirror(t *testing.T) {
	f := testweb.Clean()
	f.Requisites, f.Redirects, f.Spellings = true, true, true
	web, err := testweb.Start(testweb.Config{Hosts: 3, PagesPerHost: 12, PageSize: 1 << 10, Seed: 5, Features: f})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	cfg := crawler.Default()
	cfg.Seeds = web.Seeds()
	cfg.Proxy, cfg.AllowPrivate, cfg.Delay = web.ProxyURL(), true, 0
	cfg.RetryBackoff, cfg.Timeout = 50*time.Millisecond, 10*time.Second
	cfg.MaxDepth = 2 // leaves pages uncrawled: links to them must become absolute
	cfg.PageRequisites = true
	dir := t.TempDir()
	c, err := crawler.New(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "mirror")
	sum, err := export.Run(context.Background(), r, export.Options{Format: export.FormatDir, Out: out, RewriteLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range sum.Files {
		files[f] = true
	}
	var pages, sheets, local, absolute int
	check := func(file, ref string) {
		ref = strings.TrimSpace(ref)
		switch {
		case ref == "" || strings.HasPrefix(ref, "#"):
			return
		case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
			if _, err := links.Canonical(ref, ""); err != nil {
				t.Errorf("%s: absolute reference %q does not parse: %v", file, ref, err)
			}
			absolute++
			return
		}
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("%s: reference %q does not parse: %v", file, ref, err)
			return
		}
		if u.Scheme != "" { // mailto:, javascript:, data:
			return
		}
		target := path.Join(path.Dir(file), u.Path)
		if strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || !files[target] {
			t.Errorf("%s: reference %q resolves to %q, not a file of the mirror", file, ref, target)
			return
		}
		local++
	}
	checkCSS := func(file, css string) {
		for _, ref := range links.CSSRefs(css) {
			check(file, ref.URL)
		}
	}
	for file := range files {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		switch path.Ext(file) {
		case ".css":
			sheets++
			checkCSS(file, string(b))
		case ".html":
			pages++
			doc, err := html.Parse(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var visit func(n *html.Node)
			visit = func(n *html.Node) {
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						switch a.Key {
						case "href", "src", "poster", "data", "background":
							check(file, a.Val)
						case "srcset":
							for _, sp := range links.SrcsetURLs(a.Val) {
								check(file, a.Val[sp.Start:sp.End])
							}
						case "style":
							checkCSS(file, a.Val)
						}
					}
					if n.Data == "style" && n.FirstChild != nil {
						checkCSS(file, n.FirstChild.Data)
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					visit(c)
				}
			}
			visit(doc)
		}
	}
	// The test must have seen what it claims to check.
	if pages < 10 || sheets < 4 || local < 100 || absolute < 10 {
		t.Fatalf("mirror too small to prove anything: %d pages, %d stylesheets, %d local and %d absolute references", pages, sheets, local, absolute)
	}
	for _, p := range []string{"h0.site.test/static/theme.css", "h0.site.test/fonts/t.woff2", "h0.site.test/img/logo@2x.png", "h0.site.test/favicon.png"} {
		if !files[p] {
			t.Errorf("requisite %s missing from the mirror", p)
		}
	}
	if files["h0.site.test/private/secret.png"] {
		t.Errorf("robots-blocked requisite saved")
	}
	t.Logf("%d pages, %d stylesheets, %d files; %d local and %d absolute references", pages, sheets, len(files), local, absolute)
}
