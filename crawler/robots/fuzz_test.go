package robots

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzRobots(f *testing.F) {
	for _, c := range conformance[:20] {
		f.Add([]byte(c.body), c.agent, c.target)
	}
	f.Add([]byte("User-agent: other\nDisallow: /\n"), "trawl", "/x")
	f.Add([]byte("\xef\xbb\xbfUser-agent: *\r\nDisallow: /*$\r\n"), "trawl", "/a%2")
	f.Fuzz(func(t *testing.T, body []byte, agent, target string) {
		r := Parse(body)
		got := r.Allowed(agent, target)
		_ = r.CrawlDelay(agent)
		if !r.Allowed(agent, "/robots.txt") {
			t.Fatal("/robots.txt disallowed")
		}
		// Deterministic and independent of a fragment.
		if r.Allowed(agent, target+"#frag") != got {
			t.Fatal("fragment changed the answer")
		}
		// A target that is neither a path nor an http(s) URL is refused.
		if _, ok := requestTarget(target); !ok {
			if got {
				t.Fatalf("malformed target %q allowed", target)
			}
			return
		}
		// A file naming no group that applies to "trawl" allows everything.
		if !appliesToTrawl(body) && !r.Allowed("trawl", target) {
			t.Fatalf("no group applies to trawl, yet %q is disallowed", target)
		}
		// Only Disallow lines for other agents: "trawl" is unaffected.
		other := append([]byte("User-agent: otherbot\n"), onlyDisallows(body)...)
		if !Parse(other).Allowed("trawl", target) {
			t.Fatalf("rules for otherbot disallowed %q for trawl", target)
		}
	})
}

// appliesToTrawl is a deliberately crude over-approximation: it reports
// whether any user-agent-ish line could name "*" or "trawl".
func appliesToTrawl(body []byte) bool {
	low := bytes.ToLower(body)
	return bytes.Contains(low, []byte("*")) || bytes.Contains(low, []byte("trawl"))
}

// onlyDisallows keeps the lines of body that cannot open a group.
func onlyDisallows(body []byte) []byte {
	var out []byte
	for _, line := range strings.Split(string(body), "\n") {
		if k, _, ok := splitLine([]byte(line)); ok && k == keyUserAgent {
			continue
		}
		if strings.ContainsAny(line, "\r") {
			continue // a lone CR could smuggle a second line
		}
		out = append(out, "Disallow: "...)
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out
}
