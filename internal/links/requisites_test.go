package links

import (
	"reflect"
	"strings"
	"testing"
)

func TestExtractAlternateIconIsNotAPage(t *testing.T) {
	const page = "http://example.com/dir/page.html"
	doc := parse(t, `<link rel="alternate icon" href="favicon.png"><link rel="Alternate StyleSheet" href="alt.css">`+
		`<link rel="shortcut icon" href="/f.ico"><link rel="apple-touch-icon" href="/t.png"><link rel="alternate" href="/feed">`)
	got := Extract(doc, page, 0)
	want := []Link{{"http://example.com/feed", "link", false}}
	if !reflect.DeepEqual(got.Links, want) {
		t.Fatalf("Links = %+v, want only the feed %+v", got.Links, want)
	}
	if got.Requisites != nil {
		t.Fatalf("Extract filled Requisites: %+v", got.Requisites)
	}
	got = ExtractWithRequisites(doc, page, 0)
	var req []string
	for _, l := range got.Requisites {
		req = append(req, l.URL)
	}
	wantReq := []string{"http://example.com/dir/favicon.png", "http://example.com/dir/alt.css", "http://example.com/f.ico", "http://example.com/t.png"}
	if !reflect.DeepEqual(req, wantReq) {
		t.Fatalf("Requisites = %q, want %q", req, wantReq)
	}
}

func TestExtractWithRequisites(t *testing.T) {
	const page = "http://example.com/dir/page.html"
	html := `<html><head><base href="/b/">
<link rel=stylesheet href="s.css"><script src="/app.js"></script><link rel=preload as=font href="/f.woff2">
<style>@import "imp.css"; body { background: url( 'bg.png' ) } /* url(comment.png) */ p:after{content:"url(no.png)"}</style>
</head><body background="body.gif">
<img src="i.png" srcset="i.png 1x, i@2x.png 2x, data:image/png;base64,AA== 3x">
<picture><source srcset="w1.webp 100w,w2.webp 200w"></picture>
<div style="background-image:url(div.jpg)"></div>
<video poster="v.jpg" src="v.mp4"><track src="t.vtt"></video>
<input type=image src="go.png"><input type=text src="no-text.png">
<object data="o.svg"></object><embed src="e.swf">
<iframe src="frame.html"></iframe><a href="page2">p</a>
<img src="mailto:x@y"><script src="javascript:1"></script>
</body></html>`
	got := ExtractWithRequisites(parse(t, html), page, 0)
	var req []string
	for _, l := range got.Requisites {
		req = append(req, strings.TrimPrefix(l.URL, "http://example.com"))
	}
	want := []string{"/b/s.css", "/app.js", "/f.woff2", "/b/imp.css", "/b/bg.png", "/b/body.gif", "/b/i.png", "/b/i@2x.png",
		"/b/w1.webp", "/b/w2.webp", "/b/div.jpg", "/b/v.mp4", "/b/v.jpg", "/b/t.vtt", "/b/go.png", "/b/o.svg", "/b/e.swf"}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("Requisites:\n got %q\nwant %q", req, want)
	}
	var pages []string
	for _, l := range got.Links {
		pages = append(pages, l.URL)
	}
	if want := []string{"http://example.com/b/frame.html", "http://example.com/b/page2"}; !reflect.DeepEqual(pages, want) {
		t.Fatalf("Links = %q, want %q", pages, want)
	}
	// The cap covers both lists.
	capped := ExtractWithRequisites(parse(t, html), page, 5)
	if n := len(capped.Links) + len(capped.Requisites); n > 5 {
		t.Fatalf("%d links+requisites over a cap of 5", n)
	}
}

func TestCSSRefs(t *testing.T) {
	css := `@import url("a.css") screen; @IMPORT 'b.css';
/* url(c.png) */ .x{background:URL(d.png) no-repeat; content: "url(e.png)"}
@font-face{src:url( "f.woff2" ) format("woff2"), url(g\).ttf)}
.y{mask:url()}  .z{background:xurl(h.png)} .w{background:url(i.png`
	var got []string
	for _, r := range CSSRefs(css) {
		got = append(got, r.URL)
		if r.URL != "g).ttf" && css[r.Start:r.End] != r.URL {
			t.Errorf("span %d-%d is %q, URL %q", r.Start, r.End, css[r.Start:r.End], r.URL)
		}
	}
	want := []string{"a.css", "b.css", "d.png", "f.woff2", "g).ttf", "i.png"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CSSRefs = %q, want %q", got, want)
	}
	links := ExtractCSS(css, "http://h/css/site.css", 0)
	if len(links) != 6 || links[0].Source != "css-import" || links[2].URL != "http://h/css/d.png" || links[2].Source != "css" {
		t.Fatalf("ExtractCSS = %+v", links)
	}
}

func TestSrcsetURLs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"a.png", []string{"a.png"}},
		{" a.png 1x , b.png 2x", []string{"a.png", "b.png"}},
		{"a.png,b.png", []string{"a.png,b.png"}}, // per HTML: commas inside a URL are kept
		{"a.png, b.png", []string{"a.png", "b.png"}},
		{"a,b.png 1x,c.png (max-width: 1px, x) 2x, d.png", []string{"a,b.png", "c.png", "d.png"}},
		{"", nil},
		{" , ,", nil},
	} {
		var got []string
		for _, s := range SrcsetURLs(tt.in) {
			got = append(got, tt.in[s.Start:s.End])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SrcsetURLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCSSRefs(f *testing.F) {
	f.Add(`@import "a.css"; x{b:url(c)} /* url(d) */`)
	f.Add(`url(`)
	f.Add(`'unterminated url(x)`)
	f.Fuzz(func(t *testing.T, css string) {
		for _, r := range CSSRefs(css) {
			if r.Start < 0 || r.End > len(css) || r.Start > r.End {
				t.Fatalf("span %d-%d out of %d bytes", r.Start, r.End, len(css))
			}
		}
		for _, s := range SrcsetURLs(css) {
			if s.Start < 0 || s.End > len(css) || s.Start >= s.End {
				t.Fatalf("srcset span %d-%d out of %d bytes", s.Start, s.End, len(css))
			}
		}
	})
}
