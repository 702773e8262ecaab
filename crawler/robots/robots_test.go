package robots

import (
	"strings"
	"testing"
	"time"
)

func TestFromStatus(t *testing.T) {
	body := []byte("User-agent: *\nDisallow: /private\n")
	tests := []struct {
		status      int
		wantPrivate bool // Allowed("/private")
		wantPublic  bool // Allowed("/public")
	}{
		{200, false, true},
		{204, false, true},
		{404, true, true},
		{403, true, true},
		{410, true, true},
		{500, false, false},
		{503, false, false},
		{0, false, false},
		{302, false, false},
	}
	for _, tt := range tests {
		r := FromStatus(tt.status, body)
		if got := r.Allowed("trawl", "/private"); got != tt.wantPrivate {
			t.Errorf("status %d: /private allowed = %v, want %v", tt.status, got, tt.wantPrivate)
		}
		if got := r.Allowed("trawl", "/public"); got != tt.wantPublic {
			t.Errorf("status %d: /public allowed = %v, want %v", tt.status, got, tt.wantPublic)
		}
		if !r.Allowed("trawl", "/robots.txt") {
			t.Errorf("status %d: /robots.txt not allowed", tt.status)
		}
	}
}

func TestAllowDisallowAllAndNil(t *testing.T) {
	if !AllowAll().Allowed("trawl", "/x") {
		t.Error("AllowAll disallows /x")
	}
	if DisallowAll().Allowed("trawl", "/x") {
		t.Error("DisallowAll allows /x")
	}
	var r *Rules
	if r.Allowed("trawl", "/x") || !r.Allowed("trawl", "/robots.txt") {
		t.Error("nil Rules must fail closed except for /robots.txt")
	}
	if r.CrawlDelay("trawl") != 0 {
		t.Error("nil Rules has a crawl delay")
	}
}

func TestCrawlDelay(t *testing.T) {
	tests := []struct {
		name, body, agent string
		want              time.Duration
	}{
		{"none", "User-agent: *\nDisallow: /\n", "trawl", 0},
		{"star", "User-agent: *\nCrawl-delay: 2\n", "trawl", 2 * time.Second},
		{"fraction", "User-agent: *\nCrawl-delay: 0.5\n", "trawl", 500 * time.Millisecond},
		{"specific wins", "User-agent: *\nCrawl-delay: 9\n\nUser-agent: trawl\nCrawl-delay: 3\n", "trawl", 3 * time.Second},
		{"specific group without delay", "User-agent: *\nCrawl-delay: 9\n\nUser-agent: trawl\nDisallow: /x\n", "trawl", 0},
		{"first of merged", "User-agent: trawl\nCrawl-delay: 4\n\nUser-agent: trawl\nCrawl-delay: 7\n", "trawl", 4 * time.Second},
		{"bad then good", "User-agent: *\nCrawl-delay: soon\nCrawl-delay: 1\n", "trawl", time.Second},
		{"negative ignored", "User-agent: *\nCrawl-delay: -5\n", "trawl", 0},
		{"huge clamped", "User-agent: *\nCrawl-delay: 1e300\n", "trawl", maxCrawlDelay},
		{"other agent", "User-agent: other\nCrawl-delay: 5\n", "trawl", 0},
	}
	for _, tt := range tests {
		if got := Parse([]byte(tt.body)).CrawlDelay(tt.agent); got != tt.want {
			t.Errorf("%s: CrawlDelay = %v, want %v", tt.name, got, tt.want)
		}
	}
	if AllowAll().CrawlDelay("trawl") != 0 || DisallowAll().CrawlDelay("trawl") != 0 {
		t.Error("AllowAll/DisallowAll must have no crawl delay")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		pattern bool
		want    string
	}{
		{"/plain/path?q=1", false, "/plain/path?q=1"},
		{"/%7euser/%41", false, "/~user/A"},
		{"/a%2fb%3a", false, "/a%2Fb%3A"},
		{"/ツ", false, "/%E3%83%84"},
		{"/a*b$", false, "/a%2Ab%24"},
		{"/a*b$", true, "/a*b$"},
		{"/a$b$", true, "/a%24b$"},
		{"/100%", false, "/100%25"},
		{"/%zz", false, "/%25zz"},
		{"/%4", false, "/%254"},
	}
	for _, tt := range tests {
		if got := normalize(tt.in, tt.pattern); got != tt.want {
			t.Errorf("normalize(%q, %v) = %q, want %q", tt.in, tt.pattern, got, tt.want)
		}
	}
}

func TestRuleMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/", "/anything", true},
		{"/a", "/b", false},
		{"/a$", "/a", true},
		{"/a$", "/ab", false},
		{"/*", "/", true},
		{"*", "/x", true},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxcyyb", false},
		{"/a*b*c$", "/abcbc", true},
		{"/a*b*c$", "/abcb", false},
		{"/a*bc$", "/abc", true},
		{"/a*abc$", "/abc", false}, // the anchored tail may not overlap the prefix
		{"/**x", "/yx", true},
		{"private", "/private/x", true}, // leading "/" supplied
	}
	for _, tt := range tests {
		r := newRule(tt.pattern, false)
		if got := r.match(normalize(tt.path, false)); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestHostilePatternIsFast(t *testing.T) {
	// A pattern of many wildcards against a long path must stay linear.
	body := "User-agent: *\nDisallow: /" + strings.Repeat("a*", 20000) + "b$\n"
	r := Parse([]byte(body))
	path := "/" + strings.Repeat("a", 100000)
	start := time.Now()
	if !r.Allowed("trawl", path) {
		t.Error("hostile pattern should not match")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("matching took %v", d)
	}
}

func TestTruncateDropsCutLine(t *testing.T) {
	pad := strings.Repeat("#", MaxSize-len("User-agent: *\nAllow: /foo\n")-1) + "\n"
	// "Disallow: /foo-bar" is cut by the limit; it must not become "Disallow: /f".
	body := pad + "User-agent: *\nDisallow: /foo-bar\n"
	r := Parse([]byte(body))
	if !r.Allowed("trawl", "/fun") {
		t.Error("a line cut by MaxSize was applied in truncated form")
	}
}

// TestAllowedTakesURL: a full URL is matched by its path and query, not
// read as the path "/http://…" (which no rule matches, so it was allowed);
// a target that is neither a path nor an http(s) URL is refused.
func TestAllowedTakesURL(t *testing.T) {
	r := Parse([]byte("User-agent: *\nDisallow: /private\nDisallow: /*?session=\n"))
	for _, tt := range []struct {
		target string
		want   bool
	}{
		{"/private/x", false},
		{"http://example.com/private/x", false},
		{"https://example.com:8443/private", false},
		{"http://example.com/public", true},
		{"http://example.com", true},
		{"http://example.com/a?session=1", false},
		{"http://example.com/private#frag", false},
		{"http://example.com/robots.txt", true},
		{"private", false},
		{"mailto:x@example.com", false},
		{"ftp://example.com/public", false},
		{"", false},
	} {
		if got := r.Allowed("trawl", tt.target); got != tt.want {
			t.Errorf("Allowed(trawl, %q) = %v, want %v", tt.target, got, tt.want)
		}
	}
}

// TestProductToken: one function reduces a User-Agent and a robots.txt
// User-agent line to the token they are matched by.
func TestProductToken(t *testing.T) {
	for _, tt := range []struct{ ua, want string }{
		{"trawl/0.1", "trawl"},
		{"trawl", "trawl"},
		{"  TrawlBot/2 (+https://example.com/bot)", "trawlbot"},
		{"Mozilla/5.0 (compatible; trawl/1.0)", "trawl"},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "googlebot"},
		{"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "mozilla"},
		{"Foo_Bar-baz 1.0", "foo_bar-baz"},
		{"123", ""},
		{"", ""},
	} {
		if got := ProductToken(tt.ua); got != tt.want {
			t.Errorf("ProductToken(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
	// The compatible form is matched by its crawler's group, not by "*".
	r := Parse([]byte("User-agent: trawl\nDisallow: /no\n\nUser-agent: *\nDisallow: /\n"))
	if !r.Allowed("Mozilla/5.0 (compatible; trawl/1.0)", "/yes") || r.Allowed("Mozilla/5.0 (compatible; trawl/1.0)", "/no") {
		t.Error("Mozilla/5.0 (compatible; trawl/1.0) was not matched by the trawl group")
	}
}

func TestSitemaps(t *testing.T) {
	body := []byte("User-agent: *\nDisallow: /x\nSitemap: https://a.test/s.xml # main\nsite-map:http://b.test/other.xml.gz\nSitemap:\n")
	got := Sitemaps(body)
	if len(got) != 2 || got[0] != "https://a.test/s.xml" || got[1] != "http://b.test/other.xml.gz" {
		t.Fatalf("Sitemaps = %q", got)
	}
}
