package testweb

import (
	"bytes"
	"strconv"
	"testing"

	"golang.org/x/net/html"
)

// A Varied web's pages differ in size and link count around PageSize and
// FanOut, and its markup filler never cuts a tag (every page tokenizes
// with its end tags balanced as written).
func TestVariedShapes(t *testing.T) {
	const size, fan = 20 << 10, 12
	w := startWeb(t, Config{Hosts: 2, PagesPerHost: 60, PageSize: size, FanOut: fan, Seed: 7, Varied: true, Features: Clean()})
	c := proxyClient(t, w)
	minSize, maxSize, minLinks, maxLinks := 1<<30, 0, 1<<30, 0
	for k := range 60 {
		status, _, body := fetch(t, c, "http://h0.site.test/p/"+strconv.Itoa(k))
		if status != 200 {
			t.Fatalf("/p/%d: status %d", k, status)
		}
		minSize, maxSize = min(minSize, len(body)), max(maxSize, len(body))
		links, depth := 0, 0
		z := html.NewTokenizer(bytes.NewReader(body))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			name, _ := z.TagName()
			switch {
			case tt == html.StartTagToken && string(name) == "a":
				for more := true; more; {
					var k []byte
					k, _, more = z.TagAttr()
					if string(k) == "href" {
						links++
					}
				}
			case tt == html.StartTagToken && string(name) == "div":
				depth++
			case tt == html.EndTagToken && string(name) == "div":
				depth--
			}
		}
		if depth != 0 {
			t.Errorf("/p/%d: unbalanced <div>s (%d): a filler block was cut", k, depth)
		}
		minLinks, maxLinks = min(minLinks, links), max(maxLinks, links)
	}
	t.Logf("sizes %d–%d bytes, links %d–%d", minSize, maxSize, minLinks, maxLinks)
	if minSize > size/2 || maxSize < 2*size {
		t.Errorf("page sizes %d–%d: want some below %d and some above %d", minSize, maxSize, size/2, 2*size)
	}
	if minLinks > fan/2 || maxLinks < 2*fan {
		t.Errorf("links per page %d–%d: want some below %d and some above %d", minLinks, maxLinks, fan/2, 2*fan)
	}
}
