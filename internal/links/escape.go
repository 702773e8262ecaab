package links

import "strings"

// Percent-encoding, written once: Canonical normalises the escapes of a
// URL's path and query with these, and package robots normalises paths and
// rules the same way before it compares them (RFC 9309 §2.2.2), so a page's
// canonical path and the path robots.txt rules are matched against agree on
// every escape.

// WriteNormalEscape writes the normal form of the %XX escape that starts s
// to b and reports whether s starts with a valid one (if not, it writes
// nothing): the octet itself for an RFC 3986 unreserved character (§2.3),
// else the escape with upper-case hex digits (§6.2.2.1).
func WriteNormalEscape(b *strings.Builder, s string) bool {
	if len(s) < 3 || s[0] != '%' || !isHex(s[1]) || !isHex(s[2]) {
		return false
	}
	if v := unhex(s[1])<<4 | unhex(s[2]); isUnreserved(v) {
		b.WriteByte(v)
	} else {
		WriteEscape(b, v)
	}
	return true
}

// WriteEscape writes c to b as a %XX escape with upper-case hex digits.
func WriteEscape(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// isUnreserved reports RFC 3986 §2.3 unreserved characters.
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
