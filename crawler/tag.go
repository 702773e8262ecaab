package crawler

import (
	"sort"
	"strings"
)

// urlTag is what the crawler keeps with a URL in the frontier
// (frontier.Item.Tag, handed back on its leases): "key=value" lines.
// Keys in use:
//
//	sitemap  the URL is a sitemap file, at this nesting level (0: named by
//	         robots.txt or /sitemap.xml; 1: listed by an index; ...)
//	origin   for a sitemap: the host whose robots.txt or /sitemap.xml led
//	         to it; only URLs on that host are taken from it
//	lastmod  the <lastmod> a sitemap gave for the URL
//	etag, lastmod-hdr, sha, ref
//	         after a fetch: the validators and body digest recrawl passes
//	         compare against (recrawl.go)
type urlTag map[string]string

func parseTag(s string) urlTag {
	if s == "" {
		return nil
	}
	t := urlTag{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			t[k] = v
		}
	}
	return t
}

// String encodes t with sorted keys; newlines in values become spaces.
func (t urlTag) String() string {
	keys := make([]string, 0, len(t))
	for k, v := range t {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.NewReplacer("\n", " ", "\r", " ").Replace(t[k]))
	}
	return b.String()
}
