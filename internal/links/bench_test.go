package links

import (
	"fmt"
	"strings"
	"testing"
)

// benchPage is a ~20 KB page with ~50 links of assorted kinds.
func benchPage() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><title>bench</title><base href="/root/">` +
		`<link rel="canonical" href="https://example.com/root/page?utm_source=x"><meta name="robots" content="index">` +
		`</head><body>`)
	for i := range 50 {
		fmt.Fprintf(&b, `<div class="item"><p>%s</p><a href="../section/%d/item.html?id=%d#top" rel="%s">item %d</a></div>`,
			strings.Repeat("lorem ipsum dolor sit amet ", 13), i, i, map[bool]string{true: "nofollow", false: ""}[i%5 == 0], i)
	}
	b.WriteString(`</body></html>`)
	return b.String()
}

func BenchmarkExtract(b *testing.B) {
	html := benchPage()
	doc := parse(b, html)
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		p := Extract(doc, "https://example.com/dir/page.html", 0)
		if len(p.Links) != 51 {
			b.Fatalf("%d links", len(p.Links))
		}
	}
}

// BenchmarkExtractPlain: root-relative, relative and absolute plain links,
// the shape of most sites' navigation.
func BenchmarkExtractPlain(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<!doctype html><html><head><title>bench</title></head><body>`)
	for i := range 50 {
		href := []string{"/p/%d", "item%d.html", "http://h%d.site.test/p/1"}[i%3]
		fmt.Fprintf(&sb, `<div><p>%s</p><a href="`+href+`">item</a></div>`, strings.Repeat("lorem ipsum ", 30), i)
	}
	sb.WriteString(`</body></html>`)
	doc := parse(b, sb.String())
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if p := Extract(doc, "https://example.com/dir/page.html", 0); len(p.Links) != 50 {
			b.Fatalf("%d links", len(p.Links))
		}
	}
}

// BenchmarkParseAndExtract is what the crawl paid per page before the
// token stream: goquery's parse (the DOM) plus Extract.
func BenchmarkParseAndExtract(b *testing.B) {
	html := benchPage()
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		if p := Extract(parse(b, html), "https://example.com/dir/page.html", 0); len(p.Links) != 51 {
			b.Fatalf("%d links", len(p.Links))
		}
	}
}

// BenchmarkExtractTokens is what the crawl pays per page now: the same
// Page from the token stream, no DOM.
func BenchmarkExtractTokens(b *testing.B) {
	html := []byte(benchPage())
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		if p := ExtractTokens(html, "https://example.com/dir/page.html", 0, false); len(p.Links) != 51 {
			b.Fatalf("%d links", len(p.Links))
		}
	}
}
