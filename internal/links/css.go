package links

import (
	"strings"

	"github.com/nlnwa/whatwg-url/url"
)

// CSSRef is one URL a stylesheet refers to: url(...) anywhere, or the
// string form of @import. Start and End delimit the URL text in the
// stylesheet (inside the quotes, if any), so a rewriter can replace it.
type CSSRef struct {
	Span
	URL    string // the URL text, CSS escapes and surrounding space removed
	Import bool   // an @import (its target is a stylesheet too)
}

// CSSRefs scans a stylesheet (or a style attribute) for the URLs it loads.
// It is a tokenizer, not a parser: comments and strings are skipped, so a
// "url(" inside a comment or a content string is not a reference. Malformed
// input never fails; it yields fewer references.
func CSSRefs(css string) []CSSRef {
	var out []CSSRef
	importPending := false
	for i := 0; i < len(css); {
		c := css[i]
		switch {
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '"' || c == '\'':
			start, end, next := cssString(css, i)
			if importPending {
				out = append(out, CSSRef{Span: Span{start, end}, URL: cssUnescape(css[start:end]), Import: true})
			}
			importPending = false
			i = next
		case c == '@' && hasPrefixFold(css[i+1:], "import"):
			importPending = true
			i += len("@import")
		case (c == 'u' || c == 'U') && hasPrefixFold(css[i:], "url(") && (i == 0 || !isNameChar(css[i-1])):
			ref, next, ok := cssURL(css, i+4)
			if ok {
				ref.Import = importPending
				out = append(out, ref)
			}
			importPending = false
			i = next
		case c == ';' || c == '{' || c == '}':
			importPending = false
			i++
		default:
			i++
		}
	}
	return out
}

// cssString returns the content span of the string starting at css[i]
// (a quote) and the index after its closing quote.
func cssString(css string, i int) (start, end, next int) {
	q := css[i]
	j := i + 1
	for j < len(css) && css[j] != q && css[j] != '\n' {
		if css[j] == '\\' {
			j++
		}
		j++
	}
	end = min(j, len(css))
	return i + 1, end, min(end+1, len(css))
}

// cssURL reads the argument of url( starting at i (just after the paren).
func cssURL(css string, i int) (CSSRef, int, bool) {
	for i < len(css) && isCSSSpace(css[i]) {
		i++
	}
	if i >= len(css) {
		return CSSRef{}, i, false
	}
	var start, end, next int
	if css[i] == '"' || css[i] == '\'' {
		start, end, next = cssString(css, i)
	} else {
		start = i
		for i < len(css) && css[i] != ')' && !isCSSSpace(css[i]) {
			if css[i] == '\\' {
				i++
			}
			i++
		}
		end = min(i, len(css))
		next = end
	}
	if close := strings.IndexByte(css[next:], ')'); close >= 0 {
		next += close + 1
	} else {
		next = len(css)
	}
	u := strings.TrimSpace(cssUnescape(css[start:end]))
	if u == "" {
		return CSSRef{}, next, false
	}
	return CSSRef{Span: Span{start, end}, URL: u}, next, true
}

// cssUnescape removes backslash escapes of single characters ("\)" → ")");
// hex escapes are rare in URLs and kept as written.
func cssUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && !isHex(s[i+1]) && s[i+1] != '\n' {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80
}

func isCSSSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// ExtractCSS returns the canonical URLs a stylesheet at cssURL loads
// (images, fonts, imported stylesheets), deduplicated, in order, at most
// maxLinks (<= 0 means DefaultMaxLinks). Source is "css-import" for
// @import and "css" otherwise.
func ExtractCSS(css, cssURL string, maxLinks int) []Link {
	if maxLinks <= 0 {
		maxLinks = DefaultMaxLinks
	}
	r := &resolver{base: cssURL}
	if u, err := url.Parse(cssURL); err == nil {
		r.base = u.Href(true)
		r.fast = newFastBase(r.base) // needs a WHATWG serialisation, as in Extract
	}
	seen := map[string]bool{}
	var out []Link
	for _, ref := range CSSRefs(css) {
		c, ok := r.resolve(ref.URL)
		if !ok || seen[c] {
			continue
		}
		seen[c] = true
		src := "css"
		if ref.Import {
			src = "css-import"
		}
		out = append(out, Link{URL: c, Source: src})
		if len(out) >= maxLinks {
			break
		}
	}
	return out
}
