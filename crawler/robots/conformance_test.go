package robots

import (
	"strings"
	"testing"

	"github.com/temoto/robotstxt"
)

// Bodies shared by several rows.
const (
	rfc51 = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n" +
		"User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n" +
		"User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n" +
		"User-Agent: quxbot\n\nEOF\n"
	rfc52 = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n"
	// Google robots_test.cc ID_LineSyntax_Groups.
	gGroups = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\n" +
		"user-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\n" +
		"user-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n"
	gSpecial1 = "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n"
	gSpecial2 = "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n"
	gSpecial3 = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n"
	gLongest  = "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n"
	gLongest2 = "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n"
	gMerge    = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n"
	trMerge   = "User-agent: trawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /\n\nUser-agent: TRAWL\nDisallow: /b\n"
)

// padded is a robots.txt whose only rule lies beyond MaxSize.
var padded = strings.Repeat("# padding line\n", MaxSize/15+10) + "User-agent: *\nDisallow: /\n"

type confRow struct {
	src         string // where the case comes from
	body        string
	agent       string
	target      string
	want        bool
	temotoWrong bool // temoto/robotstxt v1.1.2 answers differently (or rejects the file)
}

var conformance = []confRow{
	// RFC 9309 §5.1 (simple example).
	{"RFC9309 §5.1", rfc51, "foobot", "/example/page.html", true, false},
	{"RFC9309 §5.1", rfc51, "foobot", "/example/allowed.gif", true, false},
	{"RFC9309 §5.1", rfc51, "foobot", "/other/page.html", false, false},
	{"RFC9309 §5.1", rfc51, "barbot", "/example/page.html", false, false},
	{"RFC9309 §5.1", rfc51, "bazbot", "/example/page.html", false, false},
	{"RFC9309 §5.1 (no * fallback)", rfc51, "barbot", "/example/other", true, false},
	{"RFC9309 §5.1 (empty group)", rfc51, "quxbot", "/example/page.html", true, false},
	{"RFC9309 §5.1 (* group)", rfc51, "trawl", "/example/x", false, false},
	{"RFC9309 §5.1 (* group)", rfc51, "trawl", "/publications/a", true, false},
	{"RFC9309 §5.1 (*.gif$)", rfc51, "trawl", "/img/a.gif", false, false},
	{"RFC9309 §5.1 (*.gif$)", rfc51, "trawl", "/img/a.gif?x=1", true, false},
	// RFC 9309 §5.2 (longest match).
	{"RFC9309 §5.2", rfc52, "foobot", "/example/page/disallowed.gif", false, false},
	{"RFC9309 §5.2", rfc52, "foobot", "/example/page/ok", true, false},
	// RFC 9309 §2.2.2 percent-encoding table and §2.2.3 special characters.
	{"RFC9309 §2.2.2 UTF-8 rule", "User-agent: *\nDisallow: /\nAllow: /foo/bar/ツ\n", "trawl", "/foo/bar/%E3%83%84", true, true},
	{"RFC9309 §2.2.2 %62%61%7A", "User-agent: *\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n", "trawl", "/foo/bar/baz", true, true},
	{"RFC9309 §2.2.2 hex case", "User-agent: *\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n", "trawl", "/foo/bar/%e3%83%84", true, true},
	{"RFC9309 §2.2.2 hex case", "User-agent: *\nDisallow: /a%3cd\n", "trawl", "/a%3Cd", false, true},
	{"RFC9309 §2.2.2 reserved kept", "User-agent: *\nDisallow: /a%2Fb\n", "trawl", "/a/b", true, false},
	{"RFC9309 §2.2.2 reserved kept", "User-agent: *\nDisallow: /a%2fb\n", "trawl", "/a%2Fb", false, true},
	{"RFC9309 §2.2.2 robots.txt implicit", "User-agent: *\nDisallow: /\n", "trawl", "/robots.txt", true, true},
	{"RFC9309 §2.2.2 empty disallow", "User-agent: *\nDisallow:\n", "trawl", "/x", true, false},
	{"RFC9309 §2.2.3 %2A literal", "User-agent: *\nDisallow: /path/file-with-a-%2A.html\n", "trawl", "/path/file-with-a-*.html", false, true},
	{"RFC9309 §2.2.3 %24 literal", "User-agent: *\nDisallow: /path/foo-%24\n", "trawl", "/path/foo-$", false, true},
	{"RFC9309 §2.2.3 $", "User-agent: *\nDisallow: /\nAllow: /this/path/exactly$\n", "trawl", "/this/path/exactly", true, false},
	{"RFC9309 §2.2.3 $", "User-agent: *\nDisallow: /\nAllow: /this/path/exactly$\n", "trawl", "/this/path/exactly/more", false, false},
	{"RFC9309 §2.2.3 *", "User-agent: *\nDisallow: /this/*/exactly\n", "trawl", "/this/is/exactly", false, false},
	// RFC 9309 §2.2.1 group merging and product-token matching.
	{"RFC9309 §2.2.1 merge", trMerge, "trawl", "/a/x", false, false},
	{"RFC9309 §2.2.1 merge", trMerge, "trawl", "/b/x", false, false},
	{"RFC9309 §2.2.1 merge", trMerge, "trawl", "/c/x", true, false},
	{"RFC9309 §2.2.1 token must match", "User-agent: traw\nDisallow: /\n", "trawl", "/x", true, true},
	{"RFC9309 §2.2.1 token must match", "User-agent: trawl\nDisallow: /\n", "trawl/1.0", "/x", false, false},
	// Google robots_test.cc.
	{"google ID_LongestMatch", "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", "/x/page.html", false, false},
	{"google ID_LongestMatch", "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "/x/page.html", true, false},
	{"google ID_LongestMatch", "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "/x/", false, false},
	{"google ID_LongestMatch empty", "user-agent: FooBot\ndisallow: \nallow: \n", "FooBot", "/x/page.html", true, false},
	{"google ID_LongestMatch tie", "user-agent: FooBot\ndisallow: /\nallow: /\n", "FooBot", "/x/page.html", true, true},
	{"google ID_LongestMatch", "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x", false, false},
	{"google ID_LongestMatch", "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x/", true, false},
	{"google ID_LongestMatch tie", "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot", "/x/page.html", true, true},
	{"google ID_LongestMatch", gLongest, "FooBot", "/page.html", false, false},
	{"google ID_LongestMatch", gLongest, "FooBot", "/page", true, false},
	{"google ID_LongestMatch", gLongest2, "FooBot", "/x/page.html", true, true},
	{"google ID_LongestMatch", gLongest2, "FooBot", "/x/y.html", false, false},
	{"google ID_LongestMatch", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "/x/page", true, false},
	{"google ID_LongestMatch", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "/y/page", false, false},
	{"google ID_PercentEncoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n", "FooBot", "/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true, false},
	{"google ID_SpecialCharacters", gSpecial1, "FooBot", "/foo/bar/quz", false, false},
	{"google ID_SpecialCharacters", gSpecial1, "FooBot", "/foo/quz", true, false},
	{"google ID_SpecialCharacters", gSpecial1, "FooBot", "/foo//quz", true, false},
	{"google ID_SpecialCharacters", gSpecial1, "FooBot", "/foo/bax/quz", true, false},
	{"google ID_SpecialCharacters", gSpecial2, "FooBot", "/foo/bar", false, false},
	{"google ID_SpecialCharacters", gSpecial2, "FooBot", "/foo/bar/qux", true, false},
	{"google ID_SpecialCharacters", gSpecial2, "FooBot", "/foo/bar/", true, false},
	{"google ID_SpecialCharacters", gSpecial2, "FooBot", "/foo/bar/baz", true, false},
	{"google ID_SpecialCharacters", gSpecial3, "FooBot", "/foo/bar", true, false},
	{"google ID_SpecialCharacters", gSpecial3, "FooBot", "/foo/quz", false, false},
	{"google ID_UserAgentValueCaseInsensitive", "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "foo", "/x/y", true, false},
	{"google ID_UserAgentValueCaseInsensitive", "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n", "FOO", "/a/b", false, false},
	{"google ID_AcceptUserAgentUpToFirstSpace", "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n", "Foo", "/x/y", true, false},
	{"google ID_GlobalGroups_Secondary", "", "FooBot", "/x/y", true, false},
	{"google ID_GlobalGroups_Secondary", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", false, false},
	{"google ID_GlobalGroups_Secondary", gMerge, "QuxBot", "/x/y", true, false},
	{"google ID_AllowDisallow_Value_CaseSensitive", "user-agent: FooBot\ndisallow: /x/\n", "FooBot", "/x/y", false, false},
	{"google ID_AllowDisallow_Value_CaseSensitive", "user-agent: FooBot\ndisallow: /X/\n", "FooBot", "/x/y", true, false},
	{"google ID_LineSyntax_Line", "foo: FooBot\nbar: /\n", "FooBot", "/x/y", true, false},
	{"google ID_LineSyntax_Line missing colon", "user-agent FooBot\ndisallow /\n", "FooBot", "/x/y", false, false},
	{"google ID_LineSyntax_Groups", gGroups, "FooBot", "/x/b", true, true},
	{"google ID_LineSyntax_Groups", gGroups, "FooBot", "/z/d", true, true},
	{"google ID_LineSyntax_Groups", gGroups, "FooBot", "/y/c", false, true},
	{"google ID_LineSyntax_Groups", gGroups, "BarBot", "/y/c", true, true},
	{"google ID_LineSyntax_Groups", gGroups, "BarBot", "/w/a", true, true},
	{"google ID_LineSyntax_Groups", gGroups, "BarBot", "/z/d", false, true},
	{"google ID_LineSyntax_Groups", gGroups, "BazBot", "/z/d", true, true},
	{"google ID_LineSyntax_Groups rule outside group", gGroups, "FooBot", "/foo/bar/", false, true},
	{"google ID_LineSyntax_Groups_OtherRules sitemap", "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n", "BarBot", "/x", false, false},
	{"google ID_LineSyntax_Groups_OtherRules unknown", "User-agent: BarBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n", "BarBot", "/x", false, false},
	{"google ID_UTF8ByteOrderMarkIsSkipped", "\xef\xbb\xbfUser-Agent: foo\nAllow: /AnyValue\nDisallow: /\n", "foo", "/x", false, false},
	{"google ID_NonStandardLineExample_CarriageReturn", "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r", "bar", "/x", false, false},
	{"google ID_LinesNumbersAreCountedCorrectly CRLF", "User-Agent: foo\r\nAllow: /some/path\r\nDisallow: /\r\n", "foo", "/other", false, false},
	// trawl SPEC: one bad line never voids the file; size cap; rule octets.
	{"spec bad Crawl-delay", "User-agent: *\nCrawl-delay: soon\nDisallow: /private\n", "trawl", "/private/x", false, true},
	{"spec rule before user-agent", "Disallow: /a\nUser-agent: *\nDisallow: /b\n", "trawl", "/b/x", false, true},
	{"spec rule before user-agent", "Disallow: /a\nUser-agent: *\nDisallow: /b\n", "trawl", "/a", true, false},
	{"spec junk lines", "User-agent: *\nthis is junk\n:::\nDisallow /x y z\n\x00\xff\xfe\nDisallow: /private\n", "trawl", "/private", false, false},
	{"spec size cap", padded, "trawl", "/x", true, true},
	{"spec size cap (inside)", "User-agent: *\nDisallow: /\n" + padded, "trawl", "/x", false, false},
	{"RFC9309 §2.2.2 octets, not regexp length", "User-agent: *\nAllow: /a.bc\nDisallow: /a.*c\n", "trawl", "/a.bc", true, true},
}

func TestConformance(t *testing.T) {
	if len(conformance) < 40 {
		t.Fatalf("only %d conformance rows", len(conformance))
	}
	for _, c := range conformance {
		name := c.src + " " + c.agent + " " + c.target
		t.Run(name, func(t *testing.T) {
			r := Parse([]byte(c.body))
			if got := r.Allowed(c.agent, c.target); got != c.want {
				t.Errorf("Allowed(%q, %q) = %v, want %v", c.agent, c.target, got, c.want)
			}
			if c.temotoWrong && temotoAgrees(c) {
				t.Errorf("row marked temotoWrong, but temoto answers %v too", c.want)
			}
		})
	}
}

// temotoAgrees reports whether temoto/robotstxt gives the expected answer;
// a file it rejects counts as disagreement.
func temotoAgrees(c confRow) bool {
	data, err := robotstxt.FromString(c.body)
	if err != nil {
		return false
	}
	return data.TestAgent(c.target, c.agent) == c.want
}
