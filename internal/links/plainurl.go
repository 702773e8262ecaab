package links

import "strings"

// plainSerialization reports whether u is already its own WHATWG
// serialisation (without fragment) and of the plain shape fastResolve
// handles: http or https, a plain host name or a dotted-decimal IPv4
// address, a port only when it is not the scheme's default and has no
// leading zero, a path of plain bytes with no dot segments, a plain query.
// A crawl's page URLs come from Canonical, so nearly all are: parsing one
// again to get the base for its links cost ~4 % of a crawl's CPU (docs/
// BENCHMARKS.md, issue 15). FuzzPlainSerialization checks it against the
// parser.
func plainSerialization(u string) bool {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return false
	}
	defaultPort := DefaultPort(scheme)
	end := strings.IndexByte(rest, '/')
	if end <= 0 {
		return false // no path: the serialisation adds "/"
	}
	host, port, hasPort := strings.Cut(rest[:end], ":")
	if !plainHost(host) && !plainIPv4(host) {
		return false
	}
	if hasPort && (!plainDecimal(port, 65535) || port == defaultPort) {
		return false
	}
	path, query, _ := strings.Cut(rest[end:], "?")
	return plainPart(path, false) && plainPart(query, true) && removeDotSegments(path) == path
}

// plainIPv4: four decimal parts of 0-255 without leading zeros, as the
// WHATWG host serialiser writes an IPv4 address.
func plainIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !plainDecimal(p, 255) {
			return false
		}
	}
	return true
}

// plainDecimal: 1-5 digits, no leading zero (but "0"), at most max.
func plainDecimal(s string, max int) bool {
	if s == "" || len(s) > 5 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= max
}
