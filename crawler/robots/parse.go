package robots

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
)

type key uint8

const (
	keyUnknown key = iota
	keyUserAgent
	keyAllow
	keyDisallow
	keyCrawlDelay
	keySitemap
)

// lookupKey maps a lower-cased line key to its meaning. The misspellings
// are accepted by Google's reference parser and are common in the wild.
func lookupKey(k string) (key, bool) {
	switch k {
	case "user-agent", "useragent", "user agent":
		return keyUserAgent, true
	case "allow":
		return keyAllow, true
	case "disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw":
		return keyDisallow, true
	case "crawl-delay", "crawldelay":
		return keyCrawlDelay, true
	case "sitemap", "site-map":
		return keySitemap, true
	}
	return keyUnknown, false
}

// parseGroups turns a robots.txt body into groups. Bad lines are skipped;
// nothing is fatal.
func parseGroups(body []byte) []group {
	body = truncate(body)
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var groups []group
	inAgents := false // the last significant line was a user-agent line
	for len(body) > 0 {
		var line []byte
		line, body = nextLine(body)
		k, val, ok := splitLine(line)
		if !ok {
			continue
		}
		switch k {
		case keyUserAgent:
			if !inAgents {
				groups = append(groups, group{})
			}
			inAgents = true
			g := &groups[len(groups)-1]
			g.agents = append(g.agents, agentName(val))
		case keyAllow, keyDisallow:
			if len(groups) == 0 {
				continue // rule outside any group: ignored, RFC 9309 §2.1
			}
			inAgents = false
			if val == "" {
				continue // empty rule matches nothing (empty Disallow = allow all)
			}
			g := &groups[len(groups)-1]
			g.rules = append(g.rules, newRule(val, k == keyAllow))
		case keyCrawlDelay:
			if len(groups) == 0 {
				continue
			}
			inAgents = false
			g := &groups[len(groups)-1]
			if d, ok := parseDelay(val); ok && !g.hasDelay {
				g.crawlDelay, g.hasDelay = d, true
			}
		}
	}
	return groups
}

// truncate applies MaxSize. A line cut by the limit is dropped whole: a
// truncated "Allow: /foo-bar" would otherwise become the broader "Allow: /f".
func truncate(body []byte) []byte {
	if len(body) <= MaxSize {
		return body
	}
	body = body[:MaxSize]
	if i := bytes.LastIndexAny(body, "\r\n"); i >= 0 {
		return body[:i+1]
	}
	return nil
}

// nextLine splits off one line ended by LF, CR LF or a lone CR.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if b[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

// splitLine parses "key: value # comment". Like Google's parser it also
// accepts a missing colon when the line is exactly two whitespace-separated
// words ("Disallow /x").
func splitLine(line []byte) (key, string, bool) {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	s := strings.TrimSpace(string(line))
	if s == "" {
		return keyUnknown, "", false
	}
	k, v, found := strings.Cut(s, ":")
	if !found {
		f := strings.Fields(s)
		if len(f) != 2 {
			return keyUnknown, "", false
		}
		k, v = f[0], f[1]
	}
	kind, ok := lookupKey(strings.ToLower(strings.TrimSpace(k)))
	if !ok {
		return keyUnknown, "", false
	}
	return kind, strings.TrimSpace(v), true
}

// agentName returns the group name a user-agent value stands for: "*" for
// the global group, otherwise its lower-cased product token ("" matches no
// crawler).
func agentName(val string) string {
	if val == "*" || strings.HasPrefix(val, "*") && len(val) > 1 && (val[1] == ' ' || val[1] == '\t') {
		return "*"
	}
	return ProductToken(val)
}

func parseDelay(val string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	if f > maxCrawlDelay.Seconds() {
		return maxCrawlDelay, true
	}
	return time.Duration(f * float64(time.Second)), true
}
