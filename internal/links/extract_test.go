package links

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func parse(t testing.TB, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestExtract(t *testing.T) {
	const page = "http://example.com/dir/page.html"
	tests := []struct {
		name, html string
		want       Page
	}{
		{"anchors relative and absolute", `<a href="a">1</a><a href="/b#x">2</a><a href="https://Other.org">3</a>`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/a", "a", false}, {"http://example.com/b", "a", false}, {"https://other.org/", "a", false}}}},
		{"base href applies to earlier links too", `<a href="x">x</a><base href="http://cdn.example.net/root/"><a href="y">y</a>`,
			Page{Base: "http://cdn.example.net/root/", Links: []Link{{"http://cdn.example.net/root/x", "a", false}, {"http://cdn.example.net/root/y", "a", false}}}},
		{"relative base", `<base href="../other/"><a href="y">y</a>`,
			Page{Base: "http://example.com/other/", Links: []Link{{"http://example.com/other/y", "a", false}}}},
		{"javascript base ignored", `<base href="javascript:x"><a href="y">y</a>`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/y", "a", false}}}},
		{"nofollow and dedup", `<a rel="NoFollow ugc" href="a">1</a><a href="b" rel="nofollow">2</a><a href="b">3</a>`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/a", "a", true}, {"http://example.com/dir/b", "a", false}}}},
		{"dropped schemes", `<a href="javascript:void(0)">j</a><a href="mailto:x@y">m</a><a href="data:,x">d</a><a href="tel:1">t</a><a href="http://[bad">b</a><a href="ok">ok</a>`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/ok", "a", false}}}},
		{"link rels", `<link rel="stylesheet" href="s.css"><link rel="canonical" href="/c"><link rel="next" href="n"><link rel="prev" href="p"><link rel="alternate" hreflang="de" href="de">`,
			Page{Base: page, Links: []Link{{"http://example.com/c", "canonical", false}, {"http://example.com/dir/n", "link", false}, {"http://example.com/dir/p", "link", false}, {"http://example.com/dir/de", "link", false}}}},
		{"area frame iframe", `<map><area href="ar"></map><frameset><frame src="fr"></frameset><iframe src="if"></iframe>`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/ar", "area", false}, {"http://example.com/dir/if", "iframe", false}}}},
		{"meta robots", `<meta name="ROBOTS" content="noindex, NOFOLLOW">`, Page{Base: page, MetaNofollow: true, MetaNoindex: true}},
		{"meta trawl none", `<meta name="trawl" content="none">`, Page{Base: page, MetaAgents: []MetaAgent{{"trawl", true, true}}}},
		{"meta other bot", `<meta name="googlebot" content="nofollow">`, Page{Base: page, MetaAgents: []MetaAgent{{"googlebot", true, false}}}},
		{"meta description", `<meta name="description" content="a page about nofollow">`, Page{Base: page}},
		{"meta refresh quoted", `<meta http-equiv="refresh" content="0; url='/r1'">`,
			Page{Base: page, Links: []Link{{"http://example.com/r1", "meta-refresh", false}}}},
		{"meta refresh upper", `<meta http-equiv="Refresh" content="5;URL=r2">`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/r2", "meta-refresh", false}}}},
		{"meta refresh bare", `<meta http-equiv="refresh" content="3, http://x.org/r3">`,
			Page{Base: page, Links: []Link{{"http://x.org/r3", "meta-refresh", false}}}},
		{"meta refresh reload only", `<meta http-equiv="refresh" content="30">`, Page{Base: page}},
		{"malformed html", `<a href="m1"><div><a href=m2 <p>unclosed <a href='m3'`,
			Page{Base: page, Links: []Link{{"http://example.com/dir/m1", "a", false}, {"http://example.com/dir/m2", "a", false}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(parse(t, tt.html), page, 0)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestExtractCap(t *testing.T) {
	var b strings.Builder
	for i := range 10050 {
		fmt.Fprintf(&b, `<a href="/p%d">x</a>`, i)
	}
	doc := parse(t, b.String())
	if got := len(Extract(doc, "http://example.com/", 0).Links); got != DefaultMaxLinks {
		t.Errorf("default cap: %d links, want %d", got, DefaultMaxLinks)
	}
	if got := len(Extract(doc, "http://example.com/", 7).Links); got != 7 {
		t.Errorf("cap 7: %d links", got)
	}
}

func TestRefreshURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0; url='x'", "x", true},
		{`0;url="y z"`, "y z", true},
		{"5;URL=x", "x", true},
		{" 1.5 ; url = x ", "x", true},
		{"0;urlx", "urlx", true},
		{"0", "", false},
		{"url=x", "", false},
		{"0 x", "", false},
		{"0;", "", false},
	}
	for _, tt := range tests {
		got, ok := refreshURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("refreshURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestXRobotsNofollow(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{"noindex"}, false},
		{[]string{"NoFollow"}, true},
		{[]string{"noindex, nofollow"}, true},
		{[]string{"none"}, true},
		{[]string{"googlebot: nofollow"}, false},
		{[]string{"trawl: nofollow"}, true},
		{[]string{"Trawl: noindex, none"}, true},
		{[]string{"otherbot: noindex, nofollow"}, false},
		{[]string{"unavailable_after: 25 Jun 2010 15:00:00 PST, nofollow"}, true},
		{[]string{"max-snippet: 20", "trawl: nofollow"}, true},
	}
	for _, tt := range tests {
		if got := XRobotsNofollow(tt.values, "trawl"); got != tt.want {
			t.Errorf("XRobotsNofollow(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

func TestExtractBadPageURL(t *testing.T) {
	got := Extract(parse(t, `<a href="/rel">r</a><a href="http://abs.example/">a</a>`), "not a url", 0)
	want := []Link{{"http://abs.example/", "a", false}}
	if !reflect.DeepEqual(got.Links, want) {
		t.Errorf("links = %+v, want %+v", got.Links, want)
	}
}
