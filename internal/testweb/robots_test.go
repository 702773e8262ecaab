package testweb

import (
	"testing"
	"time"
)

func TestRobotsRules(t *testing.T) {
	text := []byte(`User-agent: *
Disallow: /private/
Allow: /private/open
Allow: /tie/
Disallow: /tie/
Disallow: /*/print$
Disallow: /a*b*c
Crawl-delay: 0.5

User-agent: otherbot
User-agent: Trawl
Disallow: /notrawl/ # comment
Crawl-delay: 2
`)
	star, starDelay := parseRobots(text, "somebot")
	trawl, trawlDelay := parseRobots(text, agentToken)
	if starDelay != 500*time.Millisecond || trawlDelay != 2*time.Second {
		t.Errorf("delays %v %v", starDelay, trawlDelay)
	}
	tests := []struct {
		rules []rule
		path  string
		want  bool
	}{
		{star, "/", true},
		{star, "/private/x", false},
		{star, "/private/open", true},
		{star, "/private/openx", true},
		{star, "/tie/0", true},
		{star, "/doc/0/print", false},
		{star, "/doc/0/print/full", true},
		{star, "/doc/0/print?x", true},
		{star, "/a-b-c-d", false},
		{star, "/a-c-b", true},
		{star, "/notrawl/x", true},
		{trawl, "/notrawl/x", false},
		{trawl, "/private/x", true},
		{nil, "/anything", true},
	}
	for _, tc := range tests {
		if got := allowed(tc.rules, tc.path); got != tc.want {
			t.Errorf("allowed(%v, %q) = %v, want %v", tc.rules, tc.path, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	exp := map[string]int{"http://h0.s.test/": 200, "http://h0.s.test/a": 301, "http://h0.s.test/b": 200}
	good := Report{
		PerURL:       map[string]int{"http://h0.s.test/": 1, "http://h0.s.test/a": 1, "http://h0.s.test/b": 1, "http://h0.s.test/cal/2024/01": 2},
		Final:        map[string]int{"http://h0.s.test/": 200, "http://h0.s.test/a": 301, "http://h0.s.test/b": 200},
		MaxInFlight:  map[string]int{"h0.s.test": 2, "h1.s.test": 1},
		MinGap:       map[string]time.Duration{"h0.s.test": 100 * time.Millisecond, "h1.s.test": 905 * time.Millisecond}, // within a tenth
		CrawlDelay:   map[string]time.Duration{"h1.s.test": time.Second},
		TrapRequests: 2,
	}
	tests := []struct {
		name   string
		mutate func(r *Report)
		probs  int
	}{
		{"pass", func(*Report) {}, 0},
		{"missing", func(r *Report) { r.PerURL = map[string]int{"http://h0.s.test/": 1, "http://h0.s.test/a": 1} }, 1},
		{"unexpected", func(r *Report) {
			r.PerURL = map[string]int{"http://h0.s.test/": 1, "http://h0.s.test/a": 1, "http://h0.s.test/b": 1, "http://h0.s.test/z": 1}
		}, 1},
		{"final status", func(r *Report) { r.Final = map[string]int{"http://h0.s.test/": 503} }, 1},
		{"duplicate", func(r *Report) { r.Duplicates = []string{"http://h0.s.test/"} }, 1},
		{"violations", func(r *Report) { r.RobotsViolations, r.NofollowViolations = []string{"x"}, []string{"y"} }, 2},
		{"in flight", func(r *Report) { r.MaxInFlight = map[string]int{"h0.s.test": 3} }, 1},
		{"gap", func(r *Report) { r.MinGap = map[string]time.Duration{"h0.s.test": 50 * time.Millisecond} }, 1},
		{"crawl-delay gap", func(r *Report) { r.MinGap = map[string]time.Duration{"h1.s.test": 899 * time.Millisecond} }, 1},
		{"gap a tenth short", func(r *Report) { r.MinGap = map[string]time.Duration{"h0.s.test": 89 * time.Millisecond} }, 1},
		{"trap", func(r *Report) { r.TrapRequests = 3 }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.mutate(&r)
			if probs := r.Check(exp, 2, 100*time.Millisecond, 2); len(probs) != tc.probs {
				t.Errorf("Check = %q, want %d problems", probs, tc.probs)
			}
		})
	}
}
