package robots

import (
	"strings"

	"github.com/trawl-crawler/trawl/internal/links"
)

// rule is one allow or disallow line, normalised for matching.
type rule struct {
	allow    bool
	pattern  string   // normalised pattern; len(pattern) is its specificity
	parts    []string // pattern split at '*', without the '$' anchor
	anchored bool     // pattern ended in '$'
}

func newRule(val string, allow bool) rule {
	// A path not starting with '/' or '*' (e.g. "private/") is read as
	// "/private/"; anchoring it at the path start as written would make it
	// match nothing, which is the impolite reading.
	if val[0] != '/' && val[0] != '*' {
		val = "/" + val
	}
	p := normalize(val, true)
	body, anchored := strings.CutSuffix(p, "$")
	return rule{allow: allow, pattern: p, parts: strings.Split(body, "*"), anchored: anchored}
}

// match reports whether the rule matches path (already normalised). The
// pattern is anchored at the path start; '*' matches any run of octets.
// Matching the literal pieces leftmost-first is exact for '*'-only patterns
// and runs in linear time, so hostile patterns cannot blow up.
func (r *rule) match(path string) bool {
	parts := r.parts
	if len(parts) == 1 {
		if r.anchored {
			return path == parts[0]
		}
		return strings.HasPrefix(path, parts[0])
	}
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	pos := len(parts[0])
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(path[pos:], p)
		if i < 0 {
			return false
		}
		pos += i + len(p)
	}
	if r.anchored {
		return len(path)-len(parts[last]) >= pos && strings.HasSuffix(path, parts[last])
	}
	return strings.Contains(path[pos:], parts[last])
}

// normalize puts a path (or, with pattern set, a rule pattern) into the form
// compared octet by octet (RFC 9309 §2.2.2): %XX escapes of unreserved
// characters are decoded, other escapes upper-cased, non-ASCII octets
// percent-encoded, and a '%' that starts no valid escape becomes "%25".
// Literal '*' and '$' in a path, and a '$' that is not the final character
// of a pattern, become %2A / %24 so that they can only be matched by a
// pattern that spells them percent-encoded (RFC 9309 §2.2.3).
func normalize(s string, pattern bool) string {
	if !needsNormalize(s, pattern) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && links.WriteNormalEscape(&b, s[i:]): // a valid escape, written
			i += 2
		case c == '%', c >= 0x80:
			links.WriteEscape(&b, c)
		case c == '*' && !pattern:
			b.WriteString("%2A")
		case c == '$' && (!pattern || i != len(s)-1):
			b.WriteString("%24")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func needsNormalize(s string, pattern bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%', c >= 0x80:
			return true
		case c == '*' && !pattern:
			return true
		case c == '$' && (!pattern || i != len(s)-1):
			return true
		}
	}
	return false
}
