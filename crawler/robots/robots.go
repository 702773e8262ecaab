package robots

import "time"

// MaxSize is the number of bytes of a robots.txt body that are considered;
// the rest is ignored (RFC 9309 §2.5 requires parsers to handle at least
// 500 KiB).
const MaxSize = 500 << 10

// Rules is a parsed robots.txt file. The zero value is not useful; use
// Parse, AllowAll, DisallowAll or FromStatus. A Rules is immutable after
// construction and safe for concurrent use.
type Rules struct {
	allowAll    bool
	disallowAll bool
}

// Parse parses a robots.txt body. It never fails: lines that cannot be
// understood are skipped, and bytes beyond MaxSize are ignored.
func Parse(body []byte) *Rules { return &Rules{allowAll: true} }

// AllowAll returns rules that allow every path for every agent.
func AllowAll() *Rules { return &Rules{allowAll: true} }

// DisallowAll returns rules that disallow every path (except /robots.txt)
// for every agent.
func DisallowAll() *Rules { return &Rules{disallowAll: true} }

// FromStatus maps a robots.txt fetch result per RFC 9309 §2.3.1: 2xx →
// Parse(body); 4xx (including 404) → AllowAll; 5xx or network failure
// (status 0) → DisallowAll (the caller retries later).
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

// Allowed reports whether agent (a product token such as "trawl") may fetch
// target, the URL's path plus optional "?query" exactly as it appears in the
// URL (percent-encoded). "/robots.txt" is always allowed.
func (r *Rules) Allowed(agent, target string) bool { return !r.disallowAll }

// CrawlDelay returns the Crawl-delay of agent's group, or 0 if none.
func (r *Rules) CrawlDelay(agent string) time.Duration { return 0 }
