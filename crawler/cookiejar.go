package crawler

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// cookieJar holds the crawl's cookies: those of --cookies (a Netscape
// cookies.txt as wget and curl read and write) and those servers set. It
// follows RFC 6265 for which request gets which cookie (domain and path
// match, Secure only over https, expiry), and unlike net/http/cookiejar it
// can list its cookies, so that it is saved with the crawl (DIR/cookies.txt,
// mode 0600) and a resumed crawl keeps its session.
type cookieJar struct {
	mu      sync.Mutex
	cookies map[cookieKey]*jarCookie
	seq     uint64 // creation order, for the Cookie header's order
	dirty   bool   // changed since the last save
}

type cookieKey struct{ domain, path, name string }

type jarCookie struct {
	name, value  string
	domain, path string // domain lower-case, without a leading dot
	hostOnly     bool   // sent to domain exactly, not its subdomains
	secure       bool
	httpOnly     bool
	expires      time.Time // zero: a session cookie (kept for the crawl's life)
	seq          uint64
}

func newCookieJar() *cookieJar { return &cookieJar{cookies: map[cookieKey]*jarCookie{}} }

// empty reports a nil or empty jar.
func (j *cookieJar) empty() bool {
	if j == nil {
		return true
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.cookies) == 0
}

func (j *cookieJar) put(c *jarCookie) {
	j.seq++
	k := cookieKey{c.domain, c.path, c.name}
	if old, ok := j.cookies[k]; ok {
		c.seq = old.seq // RFC 6265 5.3 step 11: keep the creation time
	} else {
		c.seq = j.seq
	}
	j.cookies[k] = c
	j.dirty = true
}

// header returns the Cookie header value for u at now ("" for none).
func (j *cookieJar) header(u *url.URL, now time.Time) string {
	host := canonicalCookieHost(u.Hostname())
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	j.mu.Lock()
	var sel []*jarCookie
	for k, c := range j.cookies {
		if !c.expires.IsZero() && !c.expires.After(now) {
			delete(j.cookies, k)
			j.dirty = true
			continue
		}
		if c.secure && u.Scheme != "https" {
			continue
		}
		if !domainMatch(host, c.domain, c.hostOnly) || !pathMatch(p, c.path) {
			continue
		}
		sel = append(sel, c)
	}
	j.mu.Unlock()
	sort.Slice(sel, func(a, b int) bool {
		if len(sel[a].path) != len(sel[b].path) {
			return len(sel[a].path) > len(sel[b].path)
		}
		return sel[a].seq < sel[b].seq
	})
	parts := make([]string, len(sel))
	for i, c := range sel {
		parts[i] = c.name + "=" + c.value
	}
	return strings.Join(parts, "; ")
}

// setFromResponse stores the Set-Cookie headers of a response to u,
// refusing cookies for other domains and for public suffixes.
func (j *cookieJar) setFromResponse(u *url.URL, h http.Header, now time.Time) {
	lines := h.Values("Set-Cookie")
	if len(lines) == 0 {
		return
	}
	host := canonicalCookieHost(u.Hostname())
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, line := range lines {
		hc, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		c := &jarCookie{name: hc.Name, value: hc.Value, secure: hc.Secure, httpOnly: hc.HttpOnly, path: hc.Path}
		domain := strings.TrimPrefix(strings.ToLower(hc.Domain), ".")
		switch {
		case domain == "" || domain == host:
			c.domain, c.hostOnly = host, domain == ""
		case net.ParseIP(host) != nil:
			continue // an IP address takes no Domain attribute but its own
		case !strings.HasSuffix(host, "."+domain):
			continue // a cookie for another site
		case isPublicSuffix(domain):
			continue // "example.co.uk" may not set cookies for all of "co.uk"
		default:
			c.domain = domain
		}
		if c.secure && u.Scheme != "https" {
			continue // RFC 6265bis: only a secure origin sets Secure cookies
		}
		if c.path == "" || c.path[0] != '/' {
			c.path = defaultCookiePath(u.EscapedPath())
		}
		switch {
		case hc.MaxAge < 0:
			c.expires = now.Add(-time.Second)
		case hc.MaxAge > 0:
			c.expires = now.Add(time.Duration(hc.MaxAge) * time.Second)
		case !hc.Expires.IsZero():
			c.expires = hc.Expires
		}
		if !c.expires.IsZero() && !c.expires.After(now) {
			k := cookieKey{c.domain, c.path, c.name}
			if _, ok := j.cookies[k]; ok {
				delete(j.cookies, k)
				j.dirty = true
			}
			continue
		}
		j.put(c)
	}
}

func canonicalCookieHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

func isPublicSuffix(domain string) bool {
	ps, _ := publicsuffix.PublicSuffix(domain)
	return ps == domain
}

// domainMatch is RFC 6265 5.1.3 (plus host-only cookies).
func domainMatch(host, domain string, hostOnly bool) bool {
	if host == domain {
		return true
	}
	return !hostOnly && net.ParseIP(host) == nil && strings.HasSuffix(host, "."+domain)
}

// pathMatch is RFC 6265 5.1.4.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// defaultCookiePath is RFC 6265 5.1.4's default-path.
func defaultCookiePath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// httpOnlyPrefix marks an HttpOnly cookie in a Netscape cookies.txt (curl).
const httpOnlyPrefix = "#HttpOnly_"

// load reads a Netscape cookies.txt: one cookie a line, seven TAB-separated
// fields (domain, include-subdomains TRUE/FALSE, path, secure TRUE/FALSE,
// expiry in Unix seconds with 0 for a session cookie, name, value); '#'
// starts a comment except in curl's "#HttpOnly_" prefix. Expired cookies
// are skipped. Errors name the file and line, never a cookie's value.
func (j *cookieJar) load(name string, r io.Reader, now time.Time) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	j.mu.Lock()
	defer j.mu.Unlock()
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, httpOnlyPrefix); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) == 6 { // an empty value may have lost its TAB
			f = append(f, "")
		}
		if len(f) != 7 {
			return fmt.Errorf("%s:%d: want 7 TAB-separated fields (domain, subdomains, path, secure, expiry, name, value), got %d", name, n, len(f))
		}
		exp, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			return fmt.Errorf("%s:%d: expiry %q is not a Unix time", name, n, f[4])
		}
		c := &jarCookie{
			domain:   canonicalCookieHost(strings.TrimPrefix(f[0], ".")),
			hostOnly: !strings.EqualFold(f[1], "TRUE"),
			path:     f[2],
			secure:   strings.EqualFold(f[3], "TRUE"),
			httpOnly: httpOnly,
			name:     f[5],
			value:    f[6],
		}
		if c.domain == "" || c.name == "" {
			return fmt.Errorf("%s:%d: a cookie needs a domain and a name", name, n)
		}
		if c.path == "" {
			c.path = "/"
		}
		if exp > 0 {
			c.expires = time.Unix(exp, 0)
			if !c.expires.After(now) {
				continue
			}
		}
		j.put(c)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// loadFile is load for a file path.
func (j *cookieJar) loadFile(path string, now time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cookies: %w", err)
	}
	defer f.Close()
	return j.load("cookies file "+path, f, now)
}

// netscape returns the jar in Netscape cookies.txt form (session cookies
// with expiry 0), sorted so that equal jars give equal files, and clears
// the dirty flag; changed is false when nothing changed since last time.
func (j *cookieJar) netscape() (b []byte, changed bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.dirty {
		return nil, false
	}
	j.dirty = false
	list := make([]*jarCookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		list = append(list, c)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].seq < list[b].seq })
	var sb strings.Builder
	sb.WriteString("# Netscape HTTP Cookie File\n# The cookie jar of a trawl crawl: secrets, keep it private.\n")
	tf := func(v bool) string {
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	for _, c := range list {
		domain := c.domain
		if !c.hostOnly {
			domain = "." + domain
		}
		if c.httpOnly {
			domain = httpOnlyPrefix + domain
		}
		var exp int64
		if !c.expires.IsZero() {
			exp = c.expires.Unix()
		}
		fmt.Fprintf(&sb, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", domain, tf(!c.hostOnly), c.path, tf(c.secure), exp, c.name, c.value)
	}
	return []byte(sb.String()), true
}
