package sitemap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

const urlset = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> http://a.test/one </loc><lastmod>2026-01-02</lastmod><changefreq>daily</changefreq></url>
  <url><loc>https://a.test/two?x=1&amp;y=2</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>/relative</loc></url>
</urlset>`

func TestParse(t *testing.T) {
	index := `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>http://a.test/s1.xml.gz</loc><lastmod>2026-02-03T04:05:06Z</lastmod></sitemap></sitemapindex>`
	cases := []struct {
		name     string
		body     []byte
		ct       string
		kind     Kind
		entries  []Entry
		invalid  int
		wantErr  bool
		truncate bool
	}{
		{"urlset", []byte(urlset), "application/xml", URLSet,
			[]Entry{{"http://a.test/one", "2026-01-02"}, {"https://a.test/two?x=1&y=2", ""}}, 2, false, false},
		{"gzip urlset with a wrong type", gz(t, []byte(urlset)), "application/octet-stream", URLSet,
			[]Entry{{"http://a.test/one", "2026-01-02"}, {"https://a.test/two?x=1&y=2", ""}}, 2, false, false},
		{"index", []byte(index), "text/xml", Index, []Entry{{"http://a.test/s1.xml.gz", "2026-02-03T04:05:06Z"}}, 0, false, false},
		{"text", []byte("http://a.test/a\n\nnot a url\nhttps://a.test/b\r\n"), "text/plain; charset=utf-8", URLSet,
			[]Entry{{"http://a.test/a", ""}, {"https://a.test/b", ""}}, 1, false, false},
		{"html error page", []byte("<!doctype html><html><body><a href='http://a.test/x'>x</a></body></html>"), "text/html", NotSitemap, nil, 0, true, false},
		{"feed", []byte(`<rss><channel><item><link>http://a.test/x</link></item></channel></rss>`), "application/xml", NotSitemap, nil, 0, true, false},
		{"cut off", []byte(urlset[:strings.Index(urlset, "</url>")+20]), "application/xml", URLSet, []Entry{{"http://a.test/one", "2026-01-02"}}, 0, true, false},
		{"empty", nil, "application/xml", NotSitemap, nil, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Parse(c.body, c.ct)
			if r.Kind != c.kind || fmt.Sprint(r.Entries) != fmt.Sprint(c.entries) || r.Invalid != c.invalid || (r.Err != nil) != c.wantErr || r.Truncated != c.truncate {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

// TestHostileSitemaps: a gzip bomb stops at 50 MB, a file with more than
// 50,000 URLs keeps the first 50,000, 10 MB of random bytes yields nothing.
func TestHostileSitemaps(t *testing.T) {
	t.Run("gzip bomb", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString(`<urlset><url><loc>http://a.test/first</loc></url><!--`)
		b.Write(bytes.Repeat([]byte("A"), 3<<20))
		b.WriteString(`--><url><loc>http://a.test/after</loc></url></urlset>`)
		bomb := gz(t, b.Bytes())
		if len(bomb) > 64<<10 {
			t.Fatalf("bomb is %d bytes compressed", len(bomb))
		}
		r := parse(bomb, "application/x-gzip", 2<<20) // the same code as at 50 MB, 25 times cheaper
		if !errors.Is(r.Err, ErrTooLarge) || !r.Truncated || len(r.Entries) != 1 {
			t.Fatalf("bomb: %+v entries, err %v", len(r.Entries), r.Err)
		}
	})
	t.Run("too many entries", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("<urlset>")
		for i := range MaxEntries + 10 {
			fmt.Fprintf(&b, "<url><loc>http://a.test/%d</loc></url>", i)
		}
		b.WriteString("</urlset>")
		r := Parse([]byte(b.String()), "application/xml")
		if len(r.Entries) != MaxEntries || !r.Truncated {
			t.Fatalf("%d entries, truncated %v", len(r.Entries), r.Truncated)
		}
	})
	t.Run("10 MB of garbage", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		junk := make([]byte, 10<<20) // 10 MB, as the issue asks
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		for _, ct := range []string{"application/xml", "text/plain"} {
			if r := Parse(junk, ct); len(r.Entries) != 0 {
				t.Fatalf("%s: %d entries from garbage", ct, len(r.Entries))
			}
		}
	})
	t.Run("long loc", func(t *testing.T) {
		r := Parse([]byte("<urlset><url><loc>http://a.test/"+strings.Repeat("x", 3000)+"</loc></url></urlset>"), "text/xml")
		if len(r.Entries) != 0 || r.Invalid != 1 {
			t.Fatalf("%+v", r)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(urlset), "application/xml")
	f.Add([]byte("http://a.test/\n"), "text/plain")
	f.Add(gz(f, []byte(urlset)), "")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		r := Parse(body, ct)
		if len(r.Entries) > MaxEntries {
			t.Fatalf("%d entries", len(r.Entries))
		}
		for _, e := range r.Entries {
			if !validLoc(e.Loc) {
				t.Fatalf("invalid loc returned: %q", e.Loc)
			}
		}
	})
}
