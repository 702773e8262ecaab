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
