package crawler

import "testing"

// TestScopeAllows is the scope rule as a table: depth first, then the
// mode's host, domain or prefix test, then include, then exclude — and the
// reason names the first rule that refused.
func TestScopeAllows(t *testing.T) {
	seeds := []string{"https://www.example.com/docs/", "http://blog.other.org/"}
	mk := func(mode string, maxDepth int, include, exclude []string) *scope {
		cfg := Default()
		cfg.Scope, cfg.MaxDepth, cfg.Include, cfg.Exclude = mode, maxDepth, include, exclude
		return newScope(cfg, seeds)
	}
	for _, tc := range []struct {
		name   string
		s      *scope
		url    string
		depth  int
		ok     bool
		reason string
	}{
		{"host: a seed host", mk(ScopeHost, -1, nil, nil), "https://www.example.com/x", 0, true, ""},
		{"host: the other seed's host", mk(ScopeHost, -1, nil, nil), "http://blog.other.org/a", 9, true, ""},
		{"host: the seed host over http too", mk(ScopeHost, -1, nil, nil), "http://www.example.com/x", 0, true, ""},
		{"host: a sibling host", mk(ScopeHost, -1, nil, nil), "https://docs.example.com/x", 0, false, "out of scope (host)"},
		{"domain: a sibling host", mk(ScopeDomain, -1, nil, nil), "https://docs.example.com/x", 0, true, ""},
		{"domain: another scheme", mk(ScopeDomain, -1, nil, nil), "http://example.com/", 0, true, ""},
		{"domain: a look-alike", mk(ScopeDomain, -1, nil, nil), "https://example.com.evil.test/", 0, false, "out of scope (domain)"},
		{"seeds-prefix: under a seed", mk(ScopeSeedsPrefix, -1, nil, nil), "https://www.example.com/docs/a/b", 0, true, ""},
		{"seeds-prefix: beside it", mk(ScopeSeedsPrefix, -1, nil, nil), "https://www.example.com/blog/", 0, false, "out of scope (seeds-prefix)"},
		{"any: anything", mk(ScopeAny, -1, nil, nil), "https://anywhere.test/", 0, true, ""},
		{"depth: at the limit", mk(ScopeAny, 2, nil, nil), "https://anywhere.test/", 2, true, ""},
		{"depth: past it, before the host test", mk(ScopeHost, 2, nil, nil), "https://elsewhere.test/", 3, false, "max-depth"},
		{"depth: -1 is unlimited", mk(ScopeAny, -1, nil, nil), "https://anywhere.test/", 1 << 20, true, ""},
		{"include: matched", mk(ScopeAny, -1, []string{`/docs/`, `\.pdf$`}, nil), "https://a.test/x.pdf", 0, true, ""},
		{"include: none matched", mk(ScopeAny, -1, []string{`/docs/`}, nil), "https://a.test/blog", 0, false, "not included"},
		{"exclude wins over include", mk(ScopeAny, -1, []string{`/docs/`}, []string{`\?print=`}), "https://a.test/docs/?print=1", 0, false, "excluded"},
		{"host refusal comes before include", mk(ScopeHost, -1, []string{`.`}, nil), "https://a.test/", 0, false, "out of scope (host)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := tc.s.allows(tc.url, tc.depth)
			if ok != tc.ok || reason != tc.reason {
				t.Errorf("allows(%q, %d) = %v %q, want %v %q", tc.url, tc.depth, ok, reason, tc.ok, tc.reason)
			}
		})
	}
}
