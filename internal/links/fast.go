package links

import "strings"

// fastBase is a page's base URL split for fastResolve. ok is false when the
// base is not of the plain shape fastResolve handles (then every link takes
// the WHATWG parser).
type fastBase struct {
	ok     bool
	origin string // "http://host[:port]"
	dir    string // base path up to and including its last '/'
}

func newFastBase(base string) fastBase {
	var scheme string
	switch {
	case strings.HasPrefix(base, "http://"):
		scheme = "http://"
	case strings.HasPrefix(base, "https://"):
		scheme = "https://"
	default:
		return fastBase{}
	}
	rest := base[len(scheme):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		return fastBase{}
	}
	auth, path := rest[:end], rest[end:]
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// The base is a WHATWG serialisation (lower-case, punycode, default
	// port dropped); only userinfo and escapes differ from our canonical form.
	if !plainAuthority(auth) || strings.ContainsRune(path, '%') || path == "" || path[0] != '/' {
		return fastBase{}
	}
	return fastBase{ok: true, origin: scheme + auth, dir: path[:strings.LastIndexByte(path, '/')+1]}
}

// fastResolve resolves the common plain references — "/p/7", "56",
// "http://h1.site.test/p/2?a=b" — without the WHATWG parser, which was the
// largest cost of link extraction. It returns ok=false for anything it does
// not handle exactly as Canonical does: non-plain bytes (escapes,
// whitespace, ':', '\\', non-ASCII, upper case in a host), scheme-relative and query-only references, ports, IP-like or punycode
// hosts. FuzzFastResolve checks it against Canonical.
func fastResolve(b fastBase, ref string) (string, bool) {
	if !b.ok {
		return "", false
	}
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if ref == "" || ref[0] == '?' {
		return "", false
	}
	var prefix, rest string
	switch {
	case strings.HasPrefix(ref, "http://"), strings.HasPrefix(ref, "https://"):
		scheme := ref[:strings.IndexByte(ref, ':')+3]
		after := ref[len(scheme):]
		end := strings.IndexAny(after, "/?")
		if end < 0 {
			end = len(after)
		}
		host := after[:end]
		if !plainHost(host) {
			return "", false
		}
		prefix, rest = scheme+host, after[end:]
		if rest == "" || rest[0] == '?' {
			rest = "/" + rest
		}
	case strings.HasPrefix(ref, "//"):
		return "", false
	case ref[0] == '/':
		prefix, rest = b.origin, ref
	default:
		prefix, rest = b.origin, b.dir+ref
	}
	path, query, _ := strings.Cut(rest, "?")
	if !plainPart(path, false) || !plainPart(query, true) {
		return "", false
	}
	path = removeDotSegments(path)
	query = stripTracking(query)
	if query == "" {
		return prefix + path, true
	}
	return prefix + path + "?" + query, true
}

// plainHost: lower-case letters, digits, '-' and '.', with a last label of
// letters only (so no IPv4 parsing applies) and no punycode to validate.
func plainHost(h string) bool {
	if h == "" || h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") || strings.Contains(h, "xn--") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	for i := 0; i < len(last); i++ {
		if last[i] < 'a' || last[i] > 'z' {
			return false
		}
	}
	return true
}

// plainPart: bytes that neither WHATWG's path nor query percent-encode sets
// touch and that need no normalisation; '=' and '&' (and '?') only in a query.
func plainPart(s string, query bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '/':
		case query && (c == '=' || c == '&' || c == '?'):
		default:
			return false
		}
	}
	return true
}

// removeDotSegments applies WHATWG path parsing to an absolute plain path:
// "." segments vanish, ".." removes the one before it (never above the
// root), and a final "." or ".." leaves a trailing slash.
func removeDotSegments(path string) string {
	if !strings.Contains(path, "/.") {
		return path
	}
	segs := strings.Split(path[1:], "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

// plainAuthority: a serialised host[:port] of the plain alphabet (lower-case
// letters, digits, '-', '.', and ':' or brackets for a port or an IPv6
// literal): anything else (userinfo, escapes, spaces) takes the full parser.
func plainAuthority(a string) bool {
	if a == "" {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
