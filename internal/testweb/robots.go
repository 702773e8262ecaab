package testweb

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// agentToken is the product token whose robots.txt group the judge and
// Expected apply.
const agentToken = "trawl"

// rule is one Allow or Disallow line.
type rule struct {
	allow   bool
	pattern string
}

// group is one robots.txt group: user-agents and their rules.
type group struct {
	agents []string
	rules  []rule
	delay  time.Duration
}

// robotsFile is what one host serves at /robots.txt.
type robotsFile struct {
	status      int // 200, or 404 for "no robots.txt"
	firstStatus int // if non-zero, the answer to the first robots request only
	groups      []group
}

// text renders the 200 body.
func (f robotsFile) text() []byte {
	var b bytes.Buffer
	b.WriteString("# robots.txt of the trawl synthetic test web\n")
	for i, g := range f.groups {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, a := range g.agents {
			b.WriteString("User-agent: " + a + "\n")
		}
		for _, r := range g.rules {
			if r.allow {
				b.WriteString("Allow: " + r.pattern + "\n")
			} else {
				b.WriteString("Disallow: " + r.pattern + "\n")
			}
		}
		if g.delay > 0 {
			b.WriteString("Crawl-delay: " + strconv.FormatFloat(g.delay.Seconds(), 'f', -1, 64) + "\n")
		}
	}
	return b.Bytes()
}

// parseRobots returns the rules and Crawl-delay that apply to agent: the
// groups naming agent (case-insensitive), or else the "*" groups, merged as
// RFC 9309 says. It understands the subset of the format this package serves.
func parseRobots(text []byte, agent string) ([]rule, time.Duration) {
	type parsed struct {
		agents []string
		g      group
	}
	var groups []*parsed
	var cur *parsed
	inAgents := false
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if !inAgents {
				cur = &parsed{}
				groups = append(groups, cur)
				inAgents = true
			}
			cur.agents = append(cur.agents, strings.ToLower(val))
		case "allow", "disallow":
			inAgents = false
			if cur != nil && val != "" {
				cur.g.rules = append(cur.g.rules, rule{allow: key == "allow", pattern: val})
			}
		case "crawl-delay":
			inAgents = false
			if cur != nil {
				if s, err := strconv.ParseFloat(val, 64); err == nil && s > 0 {
					cur.g.delay = time.Duration(s * float64(time.Second))
				}
			}
		}
	}
	pick := func(name string) ([]rule, time.Duration, bool) {
		var rules []rule
		var delay time.Duration
		found := false
		for _, p := range groups {
			for _, a := range p.agents {
				if a == name {
					found = true
					rules = append(rules, p.g.rules...)
					delay = max(delay, p.g.delay)
					break
				}
			}
		}
		return rules, delay, found
	}
	if rules, delay, ok := pick(strings.ToLower(agent)); ok {
		return rules, delay
	}
	rules, delay, _ := pick("*")
	return rules, delay
}

// allowed reports whether rules allow pathQuery: the longest matching
// pattern wins, and Allow wins a tie (RFC 9309 section 2.2.2).
func allowed(rules []rule, pathQuery string) bool {
	best, allow := -1, true
	for _, r := range rules {
		if !patternMatch(r.pattern, pathQuery) {
			continue
		}
		if n := len(r.pattern); n > best || n == best && r.allow {
			best, allow = n, r.allow
		}
	}
	return allow
}

// patternMatch matches a robots.txt path pattern anchored at the path's
// start, where '*' matches any run of characters and a final '$' anchors the
// end.
func patternMatch(pat, p string) bool {
	end := strings.HasSuffix(pat, "$")
	if end {
		pat = pat[:len(pat)-1]
	}
	parts := strings.Split(pat, "*")
	if !strings.HasPrefix(p, parts[0]) {
		return false
	}
	p = p[len(parts[0]):]
	if len(parts) == 1 {
		return !end || p == ""
	}
	for i, part := range parts[1:] {
		if end && i == len(parts)-2 {
			return strings.HasSuffix(p, part)
		}
		j := strings.Index(p, part)
		if j < 0 {
			return false
		}
		p = p[j+len(part):]
	}
	return true
}
