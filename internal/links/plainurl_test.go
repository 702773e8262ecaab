package links

import (
	"testing"

	"github.com/nlnwa/whatwg-url/url"
)

// plainPages are page URLs of the shape a crawl's frontier holds.
var plainPages = []string{
	"http://127.0.0.1:8080/sql-select.html",
	"https://www.postgresql.org/docs/15/index.html",
	"http://h1.site.test/p/7?a=b&c=d",
	"http://localhost:1/",
	"http://0.0.0.0:65535/a/.b/c..d/",
}

// TestPlainSerializationTakesPlainPages: the URLs a crawl's pages have skip
// the parser, and URLs the parser would change do not.
func TestPlainSerializationTakesPlainPages(t *testing.T) {
	for _, u := range plainPages {
		if !plainSerialization(u) {
			t.Errorf("%s: not taken as plain", u)
		}
	}
	for _, u := range []string{
		"http://127.0.0.1:80/", "https://h.test:443/", "http://h.test:080/", "http://h.test:65536/",
		"http://H.test/", "http://h.test", "http://127.0.0.01/", "http://127.1/", "http://256.0.0.1/",
		"http://h.test/a/../b", "http://h.test/a/.", "http://h.test/%41", "http://h.test/a#f",
		"http://u@h.test/", "http://h.test/a b", "ftp://h.test/", "http://xn--nxasmq6b.test/",
	} {
		if plainSerialization(u) {
			t.Errorf("%s: taken as plain", u)
		}
	}
}

// FuzzPlainSerialization: a URL taken as plain is its own WHATWG
// serialisation, so canonicalPage may skip the parser for it.
func FuzzPlainSerialization(f *testing.F) {
	for _, u := range plainPages {
		f.Add(u)
	}
	f.Add("http://10.1.2.3:999/x?y")
	f.Fuzz(func(t *testing.T, u string) {
		if !plainSerialization(u) {
			return
		}
		p, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%q taken as plain, parser: %v", u, err)
		}
		if got := p.Href(true); got != u {
			t.Fatalf("%q taken as plain, serialises as %q", u, got)
		}
	})
}
