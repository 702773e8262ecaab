package crawler

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/internal/atomicfile"
	"github.com/trawl-crawler/trawl/internal/links"
)

// Requests users shape (--header, --cookies, the cookie jar, --netrc): the
// policy of what each request carries lives here, above crawler/fetch,
// which only sends the headers it is given (net/http's Client/Transport
// split). The rules:
//   - every request is decided on its own URL's host. Redirects are
//     separate frontier URLs, so a header, a cookie or a credential never
//     follows a redirect to another host: the hop is checked like any URL;
//   - a --header "Name: value" goes to the seeds' hosts only;
//     "HOST=Name: value" to HOST (host[:port], exactly) and
//     ".example.com=Name: value" to example.com and its subdomains;
//   - cookies follow RFC 6265 (domain, path, Secure, expiry): those of
//     --cookies FILE, then those servers set. The jar is saved with the
//     crawl (DIR/cookies.txt, 0600) and a resume starts from it;
//     --no-cookies keeps no jar (wget and Scrapy keep one by default);
//   - a netrc "machine" entry's login is sent (HTTP Basic, preemptively) to
//     that host name on any port; its "default" entry only to the seeds'
//     hosts. A --header Authorization for the host takes precedence;
//   - secrets are not written anywhere but the jar: Headers and
//     CookiesFile are not in crawl.json (json:"-"; give --header again on
//     resume), stored request headers (the WARC request records, JSONL)
//     have Authorization, Proxy-Authorization, Cookie and every --header
//     name replaced by "[redacted]", and nothing here is logged;
//   - robots.txt is fetched without them (a robots.txt is public);
//   - a --proxy password is kept out of crawl.json too (redactProxy); the
//     frontier's copy of the config, which resume reads, keeps it.

// redacted replaces a secret header value in stored records.
const redacted = "[redacted]"

// jarSaveInterval bounds how often the cookie jar is rewritten while a
// crawl runs (it is always saved when the crawl stops).
const jarSaveInterval = 5 * time.Second

// headerRule is one --header.
type headerRule struct {
	host        string // "": the seeds' hosts; ".d": d and its subdomains; else a host key
	name, value string // name canonicalised
}

// refusedHeaders are the headers trawl owns (or HTTP framing): setting
// them by hand would break the fetch or robots.txt matching.
var refusedHeaders = map[string]string{
	"Host": "", "Content-Length": "", "Transfer-Encoding": "", "Connection": "", "Te": "", "Trailer": "", "Upgrade": "",
	"Accept-Encoding": " (trawl decodes bodies itself)", "User-Agent": " (use --user-agent: robots.txt rules match it)",
}

// parseHeaderRule reads "Name: value" or "HOST=Name: value". A header
// name holds neither '=' nor ':', so "HOST=" is recognised by a prefix
// before the first '=' that is a host or host:port (no space, numeric port).
func parseHeaderRule(s string) (headerRule, error) {
	var r headerRule
	if i := strings.IndexByte(s, '='); i > 0 && isHostPrefix(s[:i]) {
		r.host, s = strings.ToLower(s[:i]), s[i+1:]
	}
	head, value, ok := strings.Cut(s, ":")
	if !ok {
		return r, fmt.Errorf("header %q: want \"Name: value\" or \"HOST=Name: value\"", redactHeaderArg(s))
	}
	name := strings.TrimSpace(head)
	if !httpguts.ValidHeaderFieldName(name) {
		return r, fmt.Errorf("header %q: %q is not a valid header name", redactHeaderArg(s), name)
	}
	value = strings.TrimSpace(value)
	if !httpguts.ValidHeaderFieldValue(value) {
		return r, fmt.Errorf("header %s: the value holds a control character", name)
	}
	r.name, r.value = textproto.CanonicalMIMEHeaderKey(name), value
	if why, refused := refusedHeaders[r.name]; refused {
		return r, fmt.Errorf("header %s cannot be set by hand%s", r.name, why)
	}
	return r, nil
}

// isHostPrefix reports whether p reads as "host", ".domain" or "host:port".
func isHostPrefix(p string) bool {
	if p == "" || strings.ContainsAny(p, " \t/?#@=") {
		return false
	}
	if h, port, err := net.SplitHostPort(p); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || h == "" {
			return false
		}
		return true
	}
	return !strings.Contains(p, ":")
}

// redactHeaderArg keeps only the name part of a --header argument for an
// error message: the value may be a secret.
func redactHeaderArg(s string) string {
	if i := strings.IndexAny(s, ": \t"); i >= 0 {
		return s[:i] + "…"
	}
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func (r headerRule) matches(hostKey, hostname string, seeds map[string]bool) bool {
	switch {
	case r.host == "":
		return seeds[hostKey]
	case strings.HasPrefix(r.host, "."):
		d := r.host[1:]
		return hostname == d || strings.HasSuffix(hostname, r.host)
	default:
		return hostKey == r.host
	}
}

// validateRequests checks the request-shaping settings.
func (c *Config) validateRequests() error {
	for _, h := range c.Headers {
		if _, err := parseHeaderRule(h); err != nil {
			return configErr("%v", err)
		}
	}
	// The files are read here too, so that a mistake is refused before
	// anything is created in the state directory.
	if c.NetrcFile != "" {
		if _, err := loadNetrc(c.NetrcFile); err != nil {
			return configErr("%v", err)
		}
	}
	if c.CookiesFile != "" {
		if c.NoCookies {
			return configErr("cookies: a cookies file was given with no_cookies")
		}
		if err := newCookieJar().loadFile(c.CookiesFile, time.Now()); err != nil {
			return configErr("%v", err)
		}
	}
	return nil
}

// requestShaper decides the extra headers of each request and keeps the
// cookie jar. It is safe for concurrent use by the fetchers.
type requestShaper struct {
	rules   []headerRule
	seeds   map[string]bool // seed host keys
	netrc   *netrc          // nil: no --netrc
	jar     *cookieJar      // nil: --no-cookies
	jarPath string
	secret  map[string]bool // header names redacted in stored records

	saveMu   sync.Mutex
	lastSave time.Time
}

// newRequestShaper builds the shaper of a crawl: the rules of cfg, the
// jar saved in the state directory (a resume's session) and then the
// cookies of cfg.CookiesFile.
func newRequestShaper(cfg Config, canonicalSeeds []string, jarPath string, now time.Time) (*requestShaper, error) {
	s := &requestShaper{seeds: map[string]bool{}, jarPath: jarPath,
		secret: map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true}}
	for _, seed := range canonicalSeeds {
		s.seeds[links.HostKey(seed)] = true
	}
	for _, h := range cfg.Headers {
		r, err := parseHeaderRule(h)
		if err != nil {
			return nil, configErr("%v", err)
		}
		s.rules = append(s.rules, r)
		s.secret[r.name] = true
	}
	if cfg.NetrcFile != "" {
		n, err := loadNetrc(cfg.NetrcFile)
		if err != nil {
			return nil, configErr("%v", err)
		}
		s.netrc = n
	}
	if cfg.NoCookies {
		if cfg.CookiesFile != "" {
			return nil, configErr("cookies: a cookies file was given with no_cookies")
		}
		return s, nil
	}
	s.jar = newCookieJar()
	if _, err := os.Stat(jarPath); err == nil {
		if err := s.jar.loadFile(jarPath, now); err != nil {
			return nil, fmt.Errorf("the crawl's cookie jar: %w", err)
		}
	}
	if cfg.CookiesFile != "" {
		if err := s.jar.loadFile(cfg.CookiesFile, now); err != nil {
			return nil, configErr("%v", err)
		}
	}
	return s, nil
}

// header returns the headers a request to canonical URL u carries (nil
// for none).
func (s *requestShaper) header(u string, now time.Time) http.Header {
	if s == nil || (len(s.rules) == 0 && s.netrc == nil && s.jar.empty()) {
		return nil // the common case costs no URL parse
	}
	pu, err := url.Parse(u)
	if err != nil {
		return nil
	}
	hostKey, hostname := links.HostKey(u), strings.ToLower(pu.Hostname())
	h := http.Header{}
	if s.netrc != nil {
		login, ok := s.netrc.machines[hostname]
		if !ok && s.netrc.def != nil && s.seeds[hostKey] {
			login, ok = *s.netrc.def, true
		}
		if ok {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(login.login+":"+login.password)))
		}
	}
	set := map[string]bool{}
	for _, r := range s.rules {
		if !r.matches(hostKey, hostname, s.seeds) {
			continue
		}
		if !set[r.name] { // a --header replaces what netrc set
			h.Del(r.name)
			set[r.name] = true
		}
		h.Add(r.name, r.value)
	}
	if s.jar != nil {
		if c := s.jar.header(pu, now); c != "" {
			if prev := h.Get("Cookie"); prev != "" {
				c = prev + "; " + c
			}
			h.Set("Cookie", c)
		}
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// observe stores the cookies a response to u sets, and saves the jar now
// and then.
func (s *requestShaper) observe(u string, resp http.Header, now time.Time) error {
	if s == nil || s.jar == nil || len(resp.Values("Set-Cookie")) == 0 {
		return nil
	}
	pu, err := url.Parse(u)
	if err != nil {
		return nil
	}
	s.jar.setFromResponse(pu, resp, now)
	s.saveMu.Lock()
	due := now.Sub(s.lastSave) >= jarSaveInterval
	s.saveMu.Unlock()
	if due {
		return s.save(now)
	}
	return nil
}

// save writes the jar to the state directory (mode 0600) if it changed.
func (s *requestShaper) save(now time.Time) error {
	if s == nil || s.jar == nil {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	b, changed := s.jar.netscape()
	if !changed {
		return nil
	}
	s.lastSave = now
	if err := atomicfile.WriteFile(s.jarPath, b, 0o600); err != nil {
		s.jar.mu.Lock()
		s.jar.dirty = true
		s.jar.mu.Unlock()
		return fmt.Errorf("save cookie jar: %w", err)
	}
	return nil
}

// redact returns the request headers as they may be stored: secrets
// replaced by "[redacted]".
func (s *requestShaper) redact(h http.Header) http.Header {
	if s == nil {
		return h
	}
	var out http.Header
	for name := range s.secret {
		if _, ok := h[name]; ok {
			if out == nil {
				out = h.Clone()
			}
			out[name] = []string{redacted}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// afterResponse keeps the cookies a response sets and redacts the secrets
// of the request headers it records, before anything stores or logs them.
func (e *engine) afterResponse(resp *fetch.Response) {
	if resp == nil {
		return
	}
	if err := e.req.observe(resp.URL, resp.Header, time.Now()); err != nil {
		e.c.log.Warn("cookie jar", "err", err)
	}
	resp.RequestHeader = e.req.redact(resp.RequestHeader)
}

// redactProxy hides the password of a proxy URL ("http://u:xxxxx@p:3128")
// for crawl.json; the frontier keeps the real one for resume.
func redactProxy(proxy string) string {
	u, err := url.Parse(proxy)
	if err != nil || u.User == nil {
		return proxy
	}
	if _, has := u.User.Password(); !has {
		return proxy
	}
	return u.Redacted()
}

// unredactProxy: a resume whose proxy setting is the redacted form of the
// stored one (read back from crawl.json, not given anew) uses the stored
// proxy with its password.
func unredactProxy(given, stored string) string {
	if given != "" && given != stored && given == redactProxy(stored) {
		return stored
	}
	return given
}
