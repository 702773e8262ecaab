package links

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// streamCases are documents on which the token stream and the parsed tree
// must give the same Page (with and without requisites).
var streamCases = map[string]string{
	"anchors":         `<a href="a">1</a><a href="/b#x">2</a><a href="https://Other.org">3</a>`,
	"base late":       `<a href="x">x</a><BASE HREF="http://cdn.example.net/root/"><a href="y">y</a><base href="/ignored/">`,
	"relative base":   `<base href="../other/"><a href="y">y</a>`,
	"javascript base": `<base href="javascript:x"><a href="y">y</a>`,
	"nofollow dedup":  `<a rel="NoFollow ugc" href="a">1</a><a href="b" rel="nofollow">2</a><a href="b">3</a>`,
	"schemes":         `<a href="javascript:void(0)">j</a><a href="mailto:x@y">m</a><a href="http://[bad">b</a><a href="ok">ok</a>`,
	"link rels":       `<link rel="stylesheet" href="s.css"><link rel="canonical" href="/c"><link rel="next" href="n"><link rel="alternate icon" href="f.png">`,
	"meta":            `<meta name="ROBOTS" content="noindex, NOFOLLOW"><meta http-equiv="Refresh" content="5;URL=r2">`,
	"malformed":       `<a href="m1"><div><a href=m2 <p>unclosed <a href='m3'`,
	"sloppy":          `<P CLASS=x>text<A HREF=up.html>u</A><table><tr><td><a href="t&amp;q=1">t</a><td></table></div></span><a href="&#47;abs">e</a>`,
	"raw text":        `<script>document.write('<a href="no1">')</script><textarea><a href="no2"></textarea><title><a href="no3"></title><noscript><a href="no4"></noscript><!-- <a href="no5"> --><a href="yes">y</a>`,
	"requisites": `<html><head><base href="/b/"><link rel=stylesheet href="s.css"><script src="/app.js"></script>
<style>@import "imp.css"; body { background: url( 'bg.png' ) }</style></head><body background="body.gif">
<img src="i.png" srcset="i.png 1x, i@2x.png 2x"><div style="background-image:url(div.jpg)"></div>
<video poster="v.jpg" src="v.mp4"></video><input type=image src="go.png"><iframe src="frame.html"></iframe><a href="page2">p</a></body></html>`,
}

func TestExtractTokensMatchesExtract(t *testing.T) {
	const page = "http://example.com/dir/page.html"
	for name, html := range streamCases {
		for _, req := range []bool{false, true} {
			want := extract(parse(t, html), page, 0, req)
			got := ExtractTokens([]byte(html), page, 0, req)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s (requisites %v):\n tokens %+v\n   tree %+v", name, req, got, want)
			}
		}
	}
}

// A realistic page (the bench's generated documentation shape, written
// out here) and the cap.
func TestExtractTokensLargePage(t *testing.T) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>t</title><link rel=stylesheet href=/s.css></head><body>")
	for i := range 12000 {
		fmt.Fprintf(&b, "<p>prose <b>bold <i>x</b></i> <a href=\"/s%d/p%d.html\">l</a>", i%7, i)
		if i%5 == 0 {
			fmt.Fprintf(&b, "<A HREF=../q%d.html rel=nofollow>n</A><table><tr><td>c<td>d</table>", i)
		}
	}
	html := b.String()
	const page = "http://example.com/dir/page.html"
	for _, max := range []int{0, 7} {
		want := Extract(parse(t, html), page, max)
		got := ExtractTokens([]byte(html), page, max, false)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cap %d: tokens gave %d links, tree %d", max, len(got.Links), len(want.Links))
		}
	}
}
