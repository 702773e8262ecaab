package links

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// walkTokenizer is walkTokens over x/net/html's Tokenizer (what it was
// before tagScanner): the reference tagScanner must match.
func walkTokenizer(body []byte, all bool, visit func(*html.Node) bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		name, hasAttr := z.TagName()
		if !all && !linkTag(name) {
			continue
		}
		n := &html.Node{Type: html.ElementNode, Data: string(name)}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			n.Attr = append(n.Attr, html.Attribute{Key: string(k), Val: string(v)})
		}
		if n.Data == "style" && tt == html.StartTagToken && z.Next() == html.TextToken {
			n.FirstChild = &html.Node{Type: html.TextNode, Data: string(z.Text()), Parent: n}
		}
		if !visit(n) {
			return
		}
	}
}

// linkTag: the elements Extract reads without requisites (nameIsLinkTag).
func linkTag(name []byte) bool {
	switch string(name) {
	case "a", "area", "frame", "iframe", "link", "meta", "base":
		return true
	}
	return false
}

// scannedElement is what a walk hands visit, comparable.
type scannedElement struct {
	Name  string
	Attr  []html.Attribute
	Style string
}

func elements(walker func([]byte, bool, func(*html.Node) bool), body []byte, all bool) []scannedElement {
	var out []scannedElement
	walker(body, all, func(n *html.Node) bool {
		e := scannedElement{Name: n.Data, Attr: n.Attr}
		if n.FirstChild != nil {
			e.Style = "text:" + n.FirstChild.Data
		}
		out = append(out, e)
		return true
	})
	return out
}

// scanCases are the Tokenizer's corners: raw text and its end tags, the
// script escapes, comments and their abrupt ends, doctypes and bogus
// comments, attribute syntax, self-closing tags, character references,
// NUL and carriage returns, and pages cut inside each.
var scanCases = []string{
	`<a href=x>`, `<A HREF="X" href=y Href='z'>`, `<a href = "x" / >`, `<a =x href=y>`, `<a href=x/>`, `<a b=/>`,
	`<a href=x`, `<a href="x`, `<a href=`, `<a `, `<a`, `<`, `</`, `</>`, `</a`, `</ a>`, `<!`, `<!-`, `<!--`, `<!-->`, `<!--->`,
	`<!-- x --!><a href=1>`, `<!-- x --!-><a href=2>-->`, `<!-- <a href=n> -- ><a href=3>`, `<!DOCTYPE html><a href=d>`, `<!doctype`, `<!DOCT`,
	`<!x><a href=b>`, `<?xml ?><a href=p>`, `<![CDATA[<a href=c>]]><a href=e>`, `a < b <a href=t>`, `<<a href=u>`, `<1a><a href=v>`,
	`<script>"</scrip" + "t><a href=s1>"</script ><a href=s2>`, `<script><!--<script></script><a href=no></script>--></script><a href=s3>`,
	`<script><!-- --><a href=no></script><a href=s4>`, `<SCRIPT>x</SCRIPT/><a href=s5>`, `<script>`, `<script><!--<script>`, `<script><!--`,
	`<script><!--<script>-></script><a href=no></script><a href=s6>`, `<script><!--<script>---></script><a href=s7>`, `<script><!--<script></script>-></script><a href=s8>`,
	`<script><!-<a href=no></script><a href=s9>`, `<script><!--x-><a href=no>--></script><a href=s10>`, `<script><!--<scripx></script><a href=s11>`,
	`<script><!--<script/--></script><a href=s12>`, `<script><!--<SCRIPT ><</script>--></script><a href=s13>`, `<script><!--<script>-<--></script><a href=s14>`,
	`<style>a{}</style><a href=y1>`, `<style/>body{}</style><a href=y2>`, `<style></style><a href=y3>`, `<style>x`, `<STYLE media=x>p{}</Style >`,
	"<style>a\r\nb\rc\x00d</style>", `<title><a href=t1></title ><a href=t2>`, `<textarea></textarea x><a href=t3>`, `<textarea>&amp;</textareax></textarea>`,
	`<iframe src=f1><a href=no></iframe><a href=f2>`, `<noscript><a href=no></noscript><a href=n1>`, `<xmp><a></xmp>`, `<noembed></noembed>`, `<noframes><a href=z></noframes>`,
	`<plaintext><a href=no></plaintext><a href=no>`, "<a href='a&amp;b' title=\"&lt;\">", "<a href=\"x&ampy=1&amp=2&notit;\">", "<a hr\x00ef=\"x\x00y\">", "<a\x00 href=1>",
	"<a href=\"a\r\nb\rc\">", "<base href=/b/><link rel=next href=n><meta name=robots content=nofollow><area href=ar><frame src=fr>", `<img src=i.png srcset="a 1x"><div style="x">`,
	"<a href=1\t\n\f/>x</a>", `<a/href=x>`, `<a href=x/ y=z>`, `<p <a href=x>`, `<a href="x"title=y>`, `<a href='x'>`, `<a href=">"><a href=q>`,
}

func TestScanMatchesTokenizer(t *testing.T) {
	for _, s := range scanCases {
		for _, all := range []bool{false, true} {
			want := elements(walkTokenizer, []byte(s), all)
			got := elements(walkTokens, []byte(s), all)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q (all %v):\n scanner   %+v\n tokenizer %+v", s, all, got, want)
			}
		}
	}
}

// Pages of the test web shaped like real ones (varied sizes and link
// counts, markup filler, <base>, nofollow, malformed pages), whole and cut
// at 10 or so places, and every page of a directory named by
// TRAWL_SCAN_PAGES (e.g. /usr/share/doc/postgresql-doc-15/html) whole.
func TestScanMatchesTokenizerPages(t *testing.T) {
	web, err := testweb.Start(testweb.Config{Hosts: 2, PagesPerHost: 20, FanOut: 12, Varied: true, Features: testweb.Clean(), Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	var pages [][]byte
	for u := range web.Expected() {
		rec := httptest.NewRecorder()
		web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			pages = append(pages, rec.Body.Bytes())
		}
	}
	if len(pages) < 20 {
		t.Fatalf("only %d HTML pages from the test web", len(pages))
	}
	check := func(name string, body []byte) {
		for _, all := range []bool{false, true} {
			if got, want := elements(walkTokens, body, all), elements(walkTokenizer, body, all); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s (all %v):\n scanner   %+v\n tokenizer %+v", name, all, got, want)
			}
		}
	}
	for i, p := range pages {
		for cut := len(p); cut > 0; cut -= 97 + len(p)/10 {
			check(fmt.Sprintf("page %d cut at %d", i, cut), p[:cut])
		}
	}
	if dir := os.Getenv("TRAWL_SCAN_PAGES"); dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.htm*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("TRAWL_SCAN_PAGES=%s: no HTML files (%v)", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			check(f, b)
		}
	}
}

func FuzzScanMatchesTokenizer(f *testing.F) {
	for _, s := range scanCases {
		f.Add([]byte(s))
	}
	for _, s := range streamCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, all := range []bool{false, true} {
			orig := bytes.Clone(body)
			got := elements(walkTokens, body, all)
			if !bytes.Equal(body, orig) {
				t.Fatalf("the scanner changed the page")
			}
			if want := elements(walkTokenizer, body, all); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q (all %v):\n scanner   %+v\n tokenizer %+v", body, all, got, want)
			}
		}
	})
}

// A tag with thousands of attributes, names repeated in other cases: past
// attrScanMax the scanner keeps a set of names, and must still keep the
// first of each name only, as the Tokenizer does.
func TestScanManyAttributes(t *testing.T) {
	var b strings.Builder
	b.WriteString("<a")
	for i := range 5000 {
		fmt.Fprintf(&b, " k%d=v%d", i, i)
		if i%7 == 0 {
			fmt.Fprintf(&b, " K%d=dup HREF=late", i/2)
		}
		if i == 20 {
			b.WriteString(" href=first")
		}
	}
	b.WriteString("><link rel=next href=n>")
	for _, all := range []bool{false, true} {
		body := []byte(b.String())
		got, want := elements(walkTokens, body, all), elements(walkTokenizer, body, all)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("all %v: scanner %d elements, %d attributes on the first; tokenizer %d, %d", all, len(got), len(got[0].Attr), len(want), len(want[0].Attr))
		}
		if len(got) != 2 || len(got[0].Attr) != 5001 {
			t.Fatalf("all %v: %d elements, %d attributes on the first (want 2 and 5001)", all, len(got), len(got[0].Attr))
		}
	}
}
