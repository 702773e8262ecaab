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
