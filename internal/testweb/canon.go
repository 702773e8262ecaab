package testweb

import (
	"path"
	"strings"
)

// canonHost lower-cases a Host header value and drops the default port.
func canonHost(h string) string {
	h = strings.ToLower(h)
	h = strings.TrimSuffix(h, ".")
	if strings.HasSuffix(h, ":80") {
		h = h[:len(h)-3]
	}
	return h
}

// cleanPath resolves dot segments, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" || p == "/" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") && c != "/" {
		c += "/"
	}
	return c
}

// canonQuery drops tracking parameters (utm_*, gclid, fbclid) and keeps the
// rest in order.
func canonQuery(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	for part := range strings.SplitSeq(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		name = strings.ToLower(name)
		if part == "" || strings.HasPrefix(name, "utm_") || name == "gclid" || name == "fbclid" {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}

// canonURL is the judge's key for a request: the canonical form Expected
// uses.
func canonURL(host, p, rawQuery string) string {
	u := "http://" + host + p
	if q := canonQuery(rawQuery); q != "" {
		u += "?" + q
	}
	return u
}
