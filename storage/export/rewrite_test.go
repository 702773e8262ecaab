package export

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/trawl-crawler/trawl/storage"
)

// TestRewriteLinks covers each rule of --rewrite-links on one small site.
func TestRewriteLinks(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := func(u string, status int, ct, body string) *storage.Record {
		return &storage.Record{URL: u, FinalURL: u, Method: "GET", Status: status, ContentType: ct,
			Header: http.Header{"Content-Type": {ct}}, Body: []byte(body), FetchedAt: at}
	}
	moved := rec("http://h.test/old", 301, "text/html", "")
	moved.FinalURL = "http://h.test/docs/"
	recs := []*storage.Record{
		rec("http://h.test/", 200, "text/html", `<html><head><base href="/docs/"><link rel=stylesheet href="/s/site.css"><style>p{background:url("../img/a.png")}</style></head><body>
<a id=idx href="index.html">index</a>
<a id=track href="/docs/?utm_source=x#top">docs</a>
<a id=old href="/old">moved</a>
<a id=blocked href="/private/x">blocked</a>
<a id=out href="http://other.test/p?q=1#f">out</a>
<a id=frag href="#here">frag</a> <a id=mail href="mailto:a@b">mail</a> <a id=js href="javascript:void(0)">js</a>
<img id=img src="../img/a.png" srcset="../img/a.png 1x, ../img/missing.png 2x" style="background:url(/img/a.png)">
</body></html>`),
		rec("http://h.test/index.html", 200, "text/html", `<p>the same file as /</p>`),
		rec("http://h.test/docs/", 200, "text/html", `<a href="..">up</a>`),
		moved,
		rec("http://h.test/private/x", 0, "", ""),
		rec("http://h.test/s/site.css", 200, "text/css", `@import "theme.css"; body{background:url(/img/a.png)} .x{background:url('/img/gone.png')}`),
		rec("http://h.test/img/a.png", 200, "image/png", "\x89PNG"),
	}
	recs[4].Reason = "blocked by robots.txt"
	store := fillStore(t, recs)
	out := t.TempDir()
	sum := run(t, store, Options{Format: FormatDir, Out: out, RewriteLinks: true})
	if sum.Written != 4 || sum.Skipped[skipSameFile] != 1 {
		t.Fatalf("summary %+v: want 4 files written and /index.html counted as the same file as /", sum)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	index := read("h.test/index.html")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(index))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sel, attr, want string }{
		{"link", "href", "s/site.css"},                  // relative to the file, not to the removed <base>
		{"#idx", "href", "docs/index.html"},             // index.html under <base href=/docs/> is /docs/: one file
		{"#track", "href", "docs/index.html#top"},       // canonical (tracking parameters dropped), fragment kept
		{"#old", "href", "docs/index.html"},             // a saved redirect leads to its target's file
		{"#blocked", "href", "http://h.test/private/x"}, // not in the mirror: absolute
		{"#out", "href", "http://other.test/p?q=1#f"},
		{"#frag", "href", "#here"}, {"#mail", "href", "mailto:a@b"}, {"#js", "href", "javascript:void(0)"},
		{"#img", "src", "img/a.png"},
		{"#img", "srcset", "img/a.png 1x, http://h.test/img/missing.png 2x"},
		{"#img", "style", "background:url(img/a.png)"},
		{"base", "href", ""},
	} {
		if got, _ := doc.Find(c.sel).Attr(c.attr); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.sel, c.attr, got, c.want)
		}
	}
	if got := doc.Find("style").Text(); got != `p{background:url("img/a.png")}` {
		t.Errorf("<style> = %q", got)
	}
	if got := read("h.test/docs/index.html"); !strings.Contains(got, `href="../index.html"`) {
		t.Errorf("docs/index.html: %s", got)
	}
	css := read("h.test/s/site.css")
	for _, want := range []string{`@import "http://h.test/s/theme.css"`, `url(../img/a.png)`, `url('http://h.test/img/gone.png')`} {
		if !strings.Contains(css, want) {
			t.Errorf("site.css lacks %s: %s", want, css)
		}
	}
}
