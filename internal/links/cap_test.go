package links

import (
	"fmt"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// The cap keeps the first maxLinks distinct links and counts the rest;
// duplicates of kept links are not drops; both extractors agree.
func TestCapCountsDroppedLinks(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, `<a href="/p/%d">p</a> <a href="/p/0">again</a>`, i)
	}
	b.WriteString(`<a href="mailto:x@example.com">not a link</a>`)
	body := b.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]Page{
		"Extract":       Extract(doc, "http://example.com/", 10),
		"ExtractTokens": ExtractTokens([]byte(body), "http://example.com/", 10, false),
	} {
		if len(p.Links) != 10 || p.Dropped != 15 {
			t.Errorf("%s: kept %d, dropped %d; want 10 and 15", name, len(p.Links), p.Dropped)
		}
		if p.Links[9].URL != "http://example.com/p/9" {
			t.Errorf("%s: last kept %s, want the first ten in document order", name, p.Links[9].URL)
		}
	}
	if p := ExtractTokens([]byte(body), "http://example.com/", 100, false); len(p.Links) != 25 || p.Dropped != 0 {
		t.Errorf("under the cap: kept %d, dropped %d", len(p.Links), p.Dropped)
	}
}

// Robots meta tags are matched with the crawl's own product token: a
// custom --user-agent is addressed by its name, and "trawl" is not special.
func TestNofollowForToken(t *testing.T) {
	p := ExtractTokens([]byte(`<meta name="MyBot" content="nofollow"><a href="/x">x</a>`), "http://example.com/", 0, false)
	if !p.NofollowFor("mybot") || p.NofollowFor("trawl") {
		t.Errorf("meta name=MyBot: NofollowFor(mybot)=%v NofollowFor(trawl)=%v, want true false", p.NofollowFor("mybot"), p.NofollowFor("trawl"))
	}
	p = ExtractTokens([]byte(`<meta name="trawl" content="nofollow">`), "http://example.com/", 0, false)
	if p.NofollowFor("mybot") || !p.NofollowFor("trawl") {
		t.Error(`meta name=trawl must address only the crawler whose token is trawl`)
	}
	if p = ExtractTokens([]byte(`<meta name="robots" content="none">`), "http://example.com/", 0, false); !p.NofollowFor("anybot") {
		t.Error(`meta name=robots must address every crawler`)
	}
}
