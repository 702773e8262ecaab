package links

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/publicsuffix"
)

// ErrScheme reports a URL whose scheme is not http or https; such URLs are
// ignored and never followed.
var ErrScheme = errors.New("scheme is not http or https")

// ErrInvalid reports a URL that WHATWG parsing rejects, or one without a
// host.
var ErrInvalid = errors.New("invalid URL")

// Canonical resolves ref against base ("" means ref must be absolute) with
// WHATWG URL parsing and returns the canonical form used for dedup: scheme
// and host lower-case, IDNA hosts in ASCII (punycode), default ports, the
// fragment and userinfo dropped, dot segments resolved, an empty path "/",
// percent-encoding normalised (unreserved characters decoded, hex
// upper-case, a stray '%' encoded as %25), tracking parameters stripped, an
// empty query dropped, the remaining query order kept. Errors wrap ErrScheme
// or ErrInvalid.
func Canonical(ref, base string) (string, error) {
	var (
		u   *url.Url
		err error
	)
	if base == "" {
		u, err = url.Parse(ref)
	} else {
		u, err = url.ParseRef(base, ref)
	}
	if err != nil {
		return "", fmt.Errorf("parse %q: %w: %v", ref, ErrInvalid, err)
	}
	return serialize(u, ref)
}

// serialize writes a parsed URL in canonical form; ref is only for errors.
func serialize(u *url.Url, ref string) (string, error) {
	scheme := u.Scheme()
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("canonicalise %q: %w", ref, ErrScheme)
	}
	host := u.Host() // already lower-case, punycode, default port dropped
	if u.Hostname() == "" {
		return "", fmt.Errorf("canonicalise %q: %w: empty host", ref, ErrInvalid)
	}
	var b strings.Builder
	b.Grow(len(ref) + len(host) + 16)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	path := normalizeEscapes(u.Pathname())
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if q := stripTracking(normalizeEscapes(u.Query())); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String(), nil
}

// stripTracking removes tracking parameters from a raw query, keeping the
// order (and exact spelling) of everything else.
func stripTracking(q string) string {
	if q == "" || !mayTrack(q) {
		return q
	}
	var kept []string
	for _, pair := range strings.Split(q, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if !isTracking(strings.ToLower(k)) {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}

// mayTrack is a cheap pre-check so that most queries are not split.
func mayTrack(q string) bool {
	low := strings.ToLower(q)
	for _, s := range []string{"utm_", "clid", "mc_", "_ga", "igshid"} {
		if strings.Contains(low, s) {
			return true
		}
	}
	return false
}

func isTracking(k string) bool {
	if strings.HasPrefix(k, "utm_") {
		return true
	}
	switch k {
	case "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "yclid", "igshid":
		return true
	}
	return false
}

// normalizeEscapes decodes %XX escapes of RFC 3986 unreserved characters,
// upper-cases the hex of the others and encodes a '%' that starts no valid
// escape as "%25" (otherwise decoding could manufacture a new escape, e.g.
// "%%361" → "%61", and the result would not be idempotent).
func normalizeEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c != '%':
			b.WriteByte(c)
		case WriteNormalEscape(&b, s[i:]):
			i += 2
		default:
			WriteEscape(&b, c)
		}
	}
	return b.String()
}

// HostKey returns the politeness key of a canonical URL: the lower-case
// host plus ":port" when the port is not the scheme's default, so http and
// https of one host share a key. It returns "" for a string without a host.
func HostKey(canonical string) string {
	_, hostport := split(canonical)
	return hostport
}

// Origin returns scheme://host[:port] of a canonical URL (robots.txt is per
// origin), or "" for a string without a host.
func Origin(canonical string) string {
	scheme, hostport := split(canonical)
	if scheme == "" || hostport == "" {
		return ""
	}
	return scheme + "://" + hostport
}

// split returns the lower-case scheme and host[:port] of an absolute URL,
// dropping any userinfo and a default port. It is a string operation: the
// input is expected to come from Canonical.
func split(s string) (scheme, hostport string) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", ""
	}
	scheme = strings.ToLower(scheme)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	rest = strings.ToLower(rest)
	if h, ok := strings.CutSuffix(rest, ":"+DefaultPort(scheme)); ok && DefaultPort(scheme) != "" {
		rest = h
	}
	return scheme, rest
}

// DefaultPort is the port a scheme implies ("80" for http, "443" for
// https), "" for schemes trawl does not fetch. Case-insensitive.
func DefaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// Domain returns the registrable domain (eTLD+1) of host, per the public
// suffix list. For an IP address, a single-label host, or a host that is
// itself a public suffix it returns the host. Hosts under an unlisted TLD
// are treated as if the TLD were a suffix: "h1.site.test" → "site.test".
// A port, if present, is ignored; the result is lower-case.
func Domain(host string) string {
	h := strings.ToLower(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	if net.ParseIP(h) != nil {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	if !strings.Contains(h, ".") {
		return h
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return h
	}
	return d
}

// Hostname returns the host of a host key (HostKey's result) without its
// port or IPv6 brackets: "a.test:8080" → "a.test", "[::1]:8080" → "::1".
func Hostname(hostKey string) string {
	if h, _, err := net.SplitHostPort(hostKey); err == nil {
		return h
	}
	return strings.Trim(hostKey, "[]")
}
