package robots

import (
	"net/url"
	"strings"
	"time"
)

// MaxSize is the number of bytes of a robots.txt body that are considered;
// the rest is ignored (RFC 9309 §2.5 requires parsers to handle at least
// 500 KiB).
const MaxSize = 500 << 10

// maxCrawlDelay bounds a parsed Crawl-delay so that the float → Duration
// conversion cannot overflow; the caller applies its own, lower cap.
const maxCrawlDelay = 24 * time.Hour

type mode uint8

const (
	modeParsed mode = iota
	modeAllowAll
	modeDisallowAll
)

// Rules is a parsed robots.txt file. Use Parse, AllowAll, DisallowAll or
// FromStatus to build one. A Rules is immutable after construction and safe
// for concurrent use. A nil *Rules disallows everything except /robots.txt
// (fail closed).
type Rules struct {
	mode   mode
	groups []group
}

// group is one RFC 9309 group: the user-agent lines that opened it and the
// rules that followed them.
type group struct {
	agents     []string // lower-case product tokens; "*" for the global group
	rules      []rule
	crawlDelay time.Duration
	hasDelay   bool
}

// Parse parses a robots.txt body. It never fails: lines that cannot be
// understood are skipped, and bytes beyond MaxSize are ignored.
func Parse(body []byte) *Rules {
	return &Rules{mode: modeParsed, groups: parseGroups(body)}
}

// AllowAll returns rules that allow every path for every agent.
func AllowAll() *Rules { return &Rules{mode: modeAllowAll} }

// DisallowAll returns rules that disallow every path for every agent, except
// /robots.txt itself.
func DisallowAll() *Rules { return &Rules{mode: modeDisallowAll} }

// FromStatus maps a robots.txt fetch result per RFC 9309 §2.3.1: 2xx →
// Parse(body); 4xx (including 404) → AllowAll; 5xx or network failure
// (status 0) → DisallowAll (the caller retries later). Any other status
// (1xx, an unfollowed 3xx, nonsense) is treated as unreachable, i.e.
// DisallowAll.
func FromStatus(status int, body []byte) *Rules {
	switch {
	case status >= 200 && status < 300:
		return Parse(body)
	case status >= 400 && status < 500:
		return AllowAll()
	default:
		return DisallowAll()
	}
}

// Allowed reports whether agent may fetch target. agent is a User-Agent
// header or a product token; ProductToken picks the token it is matched by.
// target is an absolute http(s) URL, or the path plus optional "?query" of
// one exactly as it appears in the URL (percent-encoded, starting with
// "/"). Anything else is refused (false): reading a URL as a path would
// match it against no rule and allow it. "/robots.txt" is always allowed.
func (r *Rules) Allowed(agent, target string) bool {
	target, ok := requestTarget(target)
	if !ok {
		return false
	}
	if p, _, _ := strings.Cut(target, "?"); p == "/robots.txt" {
		return true
	}
	if r == nil || r.mode == modeDisallowAll {
		return false
	}
	if r.mode == modeAllowAll {
		return true
	}
	path := normalize(target, false)
	best, allow := -1, true
	r.eachGroup(agent, func(g *group) {
		for i := range g.rules {
			ru := &g.rules[i]
			n := len(ru.pattern)
			if n < best || (n == best && !ru.allow) {
				continue // cannot beat the current best
			}
			if ru.match(path) {
				best, allow = n, ru.allow
			}
		}
	})
	return allow
}

// CrawlDelay returns the Crawl-delay of agent's group, or 0 if none. When
// several groups are merged, the first Crawl-delay in file order wins.
func (r *Rules) CrawlDelay(agent string) time.Duration {
	if r == nil || r.mode != modeParsed {
		return 0
	}
	var d time.Duration
	found := false
	r.eachGroup(agent, func(g *group) {
		if g.hasDelay && !found {
			d, found = g.crawlDelay, true
		}
	})
	return d
}

// eachGroup calls fn for every group that applies to agent: all groups
// naming its product token (merged, RFC 9309 §2.2.1), or, when there are
// none, all "*" groups.
func (r *Rules) eachGroup(agent string, fn func(*group)) {
	tok := ProductToken(agent)
	specific := false
	if tok != "" {
		for i := range r.groups {
			if r.groups[i].names(tok) {
				specific = true
				fn(&r.groups[i])
			}
		}
	}
	if specific {
		return
	}
	for i := range r.groups {
		if r.groups[i].names("*") {
			fn(&r.groups[i])
		}
	}
}

func (g *group) names(tok string) bool {
	for _, a := range g.agents {
		if a == tok {
			return true
		}
	}
	return false
}

// requestTarget turns an absolute http(s) URL or an origin-form path into
// the match target: path plus "?query", percent-encoded as in the URL, the
// fragment dropped. ok is false for anything else.
func requestTarget(target string) (string, bool) {
	target, _, _ = strings.Cut(target, "#")
	if strings.HasPrefix(target, "/") {
		return target, true
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		p += "?" + u.RawQuery
	}
	return p, true
}

// ProductToken is the name robots.txt groups are matched against for a
// User-Agent (RFC 9309 §2.2.1), lower-cased: the first product's name, so
// "trawl/1.0" → "trawl"; but in the common "Mozilla/5.0 (compatible;
// NAME/1.0; ...)" form, the product named in the comment ("name"), since
// "Mozilla" names no crawler. Only [A-Za-z_-] count; "" when none do. It is
// also what a robots.txt User-agent line is reduced to, so both sides of
// the match are made by this one function.
func ProductToken(userAgent string) string {
	ua := strings.TrimSpace(userAgent)
	if open := strings.IndexByte(ua, '('); open >= 0 && strings.EqualFold(leadingToken(ua), "mozilla") {
		comment := ua[open+1:]
		if end := strings.IndexByte(comment, ')'); end >= 0 {
			comment = comment[:end]
		}
		for _, part := range strings.Split(comment, ";") {
			part = strings.TrimSpace(part)
			if strings.EqualFold(part, "compatible") || !strings.Contains(part, "/") {
				continue
			}
			if tok := leadingToken(part); tok != "" {
				return strings.ToLower(tok)
			}
		}
	}
	return strings.ToLower(leadingToken(ua))
}

// leadingToken returns the leading run of [A-Za-z_-] in s (RFC 9309 §2.2.1:
// product tokens consist of those characters), so "trawl/1.0" → "trawl" and
// "FooBot Bar" → "FooBot".
func leadingToken(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return s[:i]
		}
	}
	return s
}
