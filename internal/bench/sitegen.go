package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// bigSite shapes the generated documentation-like site of the real-site
// benchmark's "bigpages" case: the shape of a large real documentation
// site (pages from a few KB to 10 MB, most small, a few huge reference
// pages full of links), served by nginx like the real one.
type bigSite struct {
	Pages    int    // content pages (section indexes and the home page come on top)
	Sections int    // /s0/ … ; section 1 lives under /s1/deep/ with <base href="/">
	Seed     uint64 // everything is a function of it
}

// bigSiteDisallow is the subtree the big site's robots.txt disallows.
const bigSiteDisallow = "/private/"

// pagePath is the request URI of content page i.
func (s bigSite) pagePath(i int) string {
	switch {
	case i%37 == 5:
		return fmt.Sprintf("/private/p%d.html", i)
	case i%s.Sections == 1:
		return fmt.Sprintf("/s1/deep/p%d.html", i)
	}
	return fmt.Sprintf("/s%d/p%d.html", i%s.Sections, i)
}

// pageSize draws a page's size: 1.5 % are 4–10 MB, 6 % 0.3–1.5 MB, the rest
// 8–60 KB (log-uniform within each band).
func pageSize(rng *rand.Rand) int {
	band := func(lo, hi float64) int {
		return int(math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo))))
	}
	switch r := rng.Float64(); {
	case r < 0.015:
		return band(4e6, 10e6)
	case r < 0.075:
		return band(0.3e6, 1.5e6)
	}
	return band(8e3, 60e3)
}

// generate writes the site under dir (which must not exist yet) and returns
// the total bytes of HTML written.
func (s bigSite) generate(dir string) (int64, error) {
	rng := rand.New(rand.NewPCG(s.Seed, 0x6269677369746573))
	var total int64
	write := func(uri, body string) error {
		p := filepath.Join(dir, filepath.FromSlash(uri))
		if strings.HasSuffix(uri, "/") {
			p = filepath.Join(p, "index.html")
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("generate %s: %w", uri, err)
		}
		total += int64(len(body))
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return fmt.Errorf("generate %s: %w", uri, err)
		}
		return nil
	}
	if err := write("/style.css", "body { font-family: sans-serif; }\n"); err != nil {
		return 0, err
	}
	if err := write("/robots.txt", "User-agent: *\nDisallow: "+bigSiteDisallow+"\n"); err != nil {
		return 0, err
	}
	// Home: every section index, the private area (disallowed), a nofollow
	// link the crawler must not need.
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Big documentation</title></head><body><h1>Manual</h1><ul>\n")
	for k := range s.Sections {
		fmt.Fprintf(&b, "<li><a href=\"/s%d/\">Part %d</a></li>\n", k, k)
	}
	b.WriteString("<li><a href=\"/private/\">Internal notes</a></li>\n</ul></body></html>\n")
	if err := write("/", b.String()); err != nil {
		return 0, err
	}
	// Section indexes (tables of contents) list every page of the section:
	// every allowed page is reachable whatever else links where.
	toc := make([]strings.Builder, s.Sections)
	for k := range toc {
		fmt.Fprintf(&toc[k], "<!DOCTYPE html>\n<html><head><title>Part %d</title></head><body><h1>Part %d</h1><ul class=toc>\n", k, k)
	}
	for i := range s.Pages {
		if strings.HasPrefix(s.pagePath(i), "/private/") {
			continue
		}
		fmt.Fprintf(&toc[i%s.Sections], "<li><a href=\"%s\">Chapter %d</a>\n", s.pagePath(i), i)
	}
	for k := range toc {
		toc[k].WriteString("</ul><p><a href=\"/\">Home</a></p></body></html>\n")
		if err := write(fmt.Sprintf("/s%d/", k), toc[k].String()); err != nil {
			return 0, err
		}
	}
	var priv strings.Builder
	priv.WriteString("<html><body><h1>Internal</h1>\n")
	for i := range s.Pages {
		if p := s.pagePath(i); strings.HasPrefix(p, "/private/") {
			fmt.Fprintf(&priv, "<a href=\"%s\">note %d</a>\n", p, i)
		}
	}
	priv.WriteString("</body></html>\n")
	if err := write("/private/", priv.String()); err != nil {
		return 0, err
	}
	for i := range s.Pages {
		if err := write(s.pagePath(i), s.page(rng, i)); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// page renders content page i: navigation, prose with inline links, code,
// tables; one page in five has sloppy markup (unquoted and upper-case
// attributes, unclosed and stray tags); section 1 uses <base href="/">; a
// few links are rel=nofollow or point at the disallowed subtree or at a
// page that does not exist.
func (s bigSite) page(rng *rand.Rand, i int) string {
	size := pageSize(rng)
	p := s.pagePath(i)
	base := strings.HasPrefix(p, "/s1/deep/")
	sloppy := i%5 == 3
	href := func(target string) string {
		if base {
			return strings.TrimPrefix(target, "/") // resolved against <base href="/">
		}
		return target
	}
	link := func(b *strings.Builder, target, text string) {
		if sloppy && !strings.ContainsAny(href(target), " >\"'") && rng.IntN(2) == 0 {
			fmt.Fprintf(b, "<A HREF=%s>%s</A>", href(target), text)
			return
		}
		fmt.Fprintf(b, "<a href=\"%s\">%s</a>", href(target), text)
	}
	var b strings.Builder
	b.Grow(size + 4096)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chapter %d</title>\n", i)
	if base {
		b.WriteString("<base href=\"/\">\n")
	}
	b.WriteString("<link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><div class=\"navheader\"><table width=\"100%\"><tr>")
	b.WriteString("<td>")
	link(&b, s.pagePath(max(0, i-1)), "Prev")
	b.WriteString("</td><td>")
	link(&b, fmt.Sprintf("/s%d/", i%s.Sections), "Up")
	b.WriteString("</td><td>")
	link(&b, s.pagePath((i+1)%s.Pages), "Next")
	b.WriteString("</td></tr></table></div>\n")
	fmt.Fprintf(&b, "<div class=\"chapter\"><h1>Chapter %d</h1>\n", i)
	// Link density: 10–40 links on a small page; about one per 4 KB on a
	// large one (a reference page), at most 5000.
	nLinks := 10 + rng.IntN(31)
	if size > 160e3 {
		nLinks = min(5000, size/4096)
	}
	step := max(200, size/nLinks)
	nextLink := step
	for b.Len() < size {
		switch rng.IntN(6) {
		case 0:
			b.WriteString("<pre class=\"programlisting\">SELECT name, setting FROM pg_settings WHERE name LIKE 'wal%' ORDER BY 1;\n  -- returns one row per setting &amp; its value\n</pre>\n")
		case 1:
			b.WriteString("<table class=\"table\" border=\"1\"><tr><th>Name</th><th>Type</th><th>Description</th></tr>\n")
			for range 4 + rng.IntN(8) {
				if sloppy {
					b.WriteString("<tr><td>oid<td>integer<td>Row identifier, unclosed cells as old generators wrote them\n")
				} else {
					b.WriteString("<tr><td>oid</td><td>integer</td><td>Row identifier of the entry, unique within the table</td></tr>\n")
				}
			}
			b.WriteString("</table>\n")
		default:
			if sloppy {
				b.WriteString("<p class=para>An unclosed paragraph whose markup a lenient parser has to repair, with <b>bold <i>misnested</b> text</i>\n")
			} else {
				b.WriteString("<p>Documentation prose that explains the feature in some detail, with <code>literal</code> values and <em>emphasis</em>.</p>\n")
			}
		}
		if b.Len() >= nextLink {
			b.WriteString("<p>See ")
			switch r := rng.IntN(100); {
			case r < 4:
				fmt.Fprintf(&b, "<a href=\"%s\" rel=\"nofollow\">a related page</a>", href(s.pagePath(rng.IntN(s.Pages))))
			case r < 6:
				link(&b, s.pagePath(37*rng.IntN(s.Pages/37)+5), "internal notes")
			case r < 7:
				link(&b, fmt.Sprintf("/s%d/missing-%d.html", i%s.Sections, i), "a removed page")
			default:
				link(&b, s.pagePath(rng.IntN(s.Pages)), fmt.Sprintf("section %d", rng.IntN(s.Pages)))
			}
			b.WriteString(" for details.</p>\n")
			nextLink += step
		}
		if sloppy && rng.IntN(20) == 0 {
			b.WriteString("</div></span>\n")
		}
	}
	b.WriteString("</div><div class=\"navfooter\">")
	link(&b, "/", "Home")
	b.WriteString("</div></body></html>\n")
	return b.String()
}
