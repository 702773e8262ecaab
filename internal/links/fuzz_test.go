package links

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func FuzzCanonical(f *testing.F) {
	for _, s := range [][2]string{
		{"../a/%2e%2e/b?utm_source=x&q=1#f", "http://Example.com:80/x/y"},
		{"//bücher.de\\p", "https://h/"},
		{"http://[::1]:443/%%361", ""},
		{"javascript:alert(1)", "http://h/"},
		{"?a=%7e&b", "http://u:p@h/p"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, ref, base string) {
		out, err := Canonical(ref, base)
		if err != nil {
			return
		}
		if !strings.HasPrefix(out, "http://") && !strings.HasPrefix(out, "https://") {
			t.Fatalf("Canonical(%q, %q) = %q: not http(s)", ref, base, out)
		}
		again, err := Canonical(out, "")
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q, %v", ref, out, again, err)
		}
		if HostKey(out) == "" || Origin(out) == "" {
			t.Fatalf("no host key/origin for %q", out)
		}
	})
}

func FuzzExtract(f *testing.F) {
	f.Add(`<base href="/b/"><a href="x" rel=nofollow>x</a><meta http-equiv=refresh content="0;url=y">`, "http://h/p")
	f.Add(`<link rel=canonical href="//o/c"><iframe src="javascript:x"></iframe><area href="%zz">`, "https://h:8443/")
	f.Add(`<a href="\\evil\x">`, "http://h/")
	f.Fuzz(func(t *testing.T, html, page string) {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
		if err != nil {
			return
		}
		p := ExtractWithRequisites(doc, page, 50)
		if len(p.Links)+len(p.Requisites) > 50 {
			t.Fatalf("%d links and %d requisites over the cap", len(p.Links), len(p.Requisites))
		}
		for _, l := range p.Requisites {
			if c, err := Canonical(l.URL, ""); err != nil || c != l.URL {
				t.Fatalf("requisite %q not canonical (%q, %v)", l.URL, c, err)
			}
		}
		seen := map[string]bool{}
		for _, l := range p.Links {
			if seen[l.URL] {
				t.Fatalf("duplicate %q", l.URL)
			}
			seen[l.URL] = true
			if c, err := Canonical(l.URL, ""); err != nil || c != l.URL {
				t.Fatalf("link %q not canonical (%q, %v)", l.URL, c, err)
			}
		}
	})
}
