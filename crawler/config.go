package crawler

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Politeness keys for Config.PolitenessKey.
const (
	PolitenessHost   = "host"   // each host[:port] is polite on its own (Heritrix's and Scrapy's default)
	PolitenessDomain = "domain" // every host of one registrable domain shares one budget
	PolitenessIP     = "ip"     // every host on one IP address shares one budget
)

// Scope values for Config.Scope.
const (
	ScopeHost        = "host"         // only the seeds' exact hosts
	ScopeDomain      = "domain"       // the seeds' registrable domains (www.example.com covers docs.example.com)
	ScopeSeedsPrefix = "seeds-prefix" // URLs that start with one of the seeds
	ScopeAny         = "any"          // every http(s) URL (bounded only by depth, pages and filters)
)

// Config is every setting of a crawl. The YAML file (configs/trawl.yaml) and
// the CLI flags fill this same struct; Default gives the documented defaults.
type Config struct {
	// Scope settings: fixed for the life of a crawl (resume refuses to change them).
	Seeds        []string `yaml:"seeds" json:"seeds"`
	MaxDepth     int      `yaml:"max_depth" json:"max_depth"` // shortest link distance from any seed (seed = 0; a redirect adds none); -1 = unlimited
	Scope        string   `yaml:"scope" json:"scope"`
	Include      []string `yaml:"include" json:"include"` // URL must match one of these (if any)
	Exclude      []string `yaml:"exclude" json:"exclude"` // URL must match none of these
	UserAgent    string   `yaml:"user_agent" json:"user_agent"`
	IgnoreRobots bool     `yaml:"ignore_robots" json:"ignore_robots"`
	// FollowNofollow follows rel=nofollow links and pages marked nofollow.
	FollowNofollow bool `yaml:"follow_nofollow" json:"follow_nofollow"`
	// Sitemaps also takes URLs from each host's sitemaps: the Sitemap:
	// lines of its robots.txt and /sitemap.xml (sitemaps.go). Off by
	// default: a crawl is what its seeds link to, and sitemaps can list
	// millions of URLs the user did not ask for.
	Sitemaps bool `yaml:"sitemaps" json:"sitemaps"`
	// FollowLinks queues the links found on each page (default true). With
	// false only seeds, redirects and callbacks' Request.Visit calls are
	// queued: what a ported colly program that Visits by hand expects.
	FollowLinks bool `yaml:"follow_links" json:"follow_links"`
	// PageRequisites also fetches what each page needs to render (wget -p):
	// see requisites.go for the rules (depth, hosts, filters).
	PageRequisites bool `yaml:"page_requisites" json:"page_requisites"`
	// RequisiteHosts says where requisites may come from: "domain" (the
	// page's registrable domain, or anywhere in the crawl's scope) or "any".
	RequisiteHosts string `yaml:"requisite_hosts" json:"requisite_hosts"`
	// PolitenessKey is what --per-host and --delay count against, and
	// what Crawl-delay and Retry-After back off: each host (default), each
	// registrable domain, or each IP address. robots.txt stays per origin
	// whatever the key. Fixed for a crawl's life: queued URLs carry it.
	PolitenessKey string `yaml:"politeness_key" json:"politeness_key"`

	// Requests users shape (request.go): may change on resume. Headers and
	// CookiesFile are never stored with the crawl (secrets; the cookie jar
	// is, in DIR/cookies.txt, mode 0600).
	Headers     []string `yaml:"headers" json:"-"`             // "Name: value" (seed hosts) or "HOST=Name: value"
	CookiesFile string   `yaml:"cookies" json:"-"`             // Netscape cookies.txt loaded into the jar at start
	NoCookies   bool     `yaml:"no_cookies" json:"no_cookies"` // keep no cookie jar
	NetrcFile   string   `yaml:"netrc" json:"netrc"`           // credentials per host (HTTP Basic)

	// Limits and politeness: may change on resume.
	MaxPages       int64         `yaml:"max_pages" json:"max_pages"` // 0 = unlimited
	Concurrency    int           `yaml:"concurrency" json:"concurrency"`
	PerHost        int           `yaml:"per_host" json:"per_host"`
	Delay          time.Duration `yaml:"delay" json:"delay"`
	Timeout        time.Duration `yaml:"timeout" json:"timeout"`
	ConnectTimeout time.Duration `yaml:"connect_timeout" json:"connect_timeout"`
	StallTimeout   time.Duration `yaml:"stall_timeout" json:"stall_timeout"`
	MaxBody        int64         `yaml:"max_body" json:"max_body"`
	Retries        int           `yaml:"retries" json:"retries"`
	RetryBackoff   time.Duration `yaml:"retry_backoff" json:"retry_backoff"` // first retry delay; doubles per attempt, ±25% jitter
	MaxBackoff     time.Duration `yaml:"max_backoff" json:"max_backoff"`     // cap on any retry or Retry-After wait
	// MaxWait is the longest wait trawl accepts for one URL or host: a
	// retry whose backoff or Retry-After is longer, and a host whose
	// robots.txt is still unavailable after Retries tries, are deferred
	// (the run can finish without them; resume retries them).
	MaxWait time.Duration `yaml:"max_wait" json:"max_wait"`
	// MaxLinksPerPage bounds the links taken from one page (the first ones
	// in document order); what a page has beyond it is counted, logged and
	// recorded with the page, never dropped in silence. The default fits
	// real index pages with room to spare; the bound is on the parse
	// stage's memory (docs/ARCHITECTURE.md, "Link cap").
	MaxLinksPerPage int    `yaml:"max_links_per_page" json:"max_links_per_page"`
	Proxy           string `yaml:"proxy" json:"proxy"`
	ProxyFromEnv    bool   `yaml:"proxy_from_env" json:"proxy_from_env"`
	AllowPrivate    bool   `yaml:"allow_private" json:"allow_private"`
	// ParseWorkers is the parse stage's size (0 = number of CPUs); 1
	// serialises every callback on one goroutine.
	ParseWorkers int `yaml:"parse_workers" json:"parse_workers"`
	// NoDedup stores every body in its own record. By default a body
	// identical to one already stored (same SHA-256, at least
	// storage.MinDedupBody bytes) is stored as a reference to it
	// (docs/STORAGE.md); exports still write every body.
	NoDedup bool `yaml:"no_dedup" json:"no_dedup"`
}

// Default returns the documented defaults. Delay defaults to 1s between
// request starts to one host: polite for real sites; tests and benchmarks
// against the local test web set it to 0.
func Default() Config {
	return Config{
		MaxDepth:        -1,
		Scope:           ScopeDomain,
		PolitenessKey:   PolitenessHost,
		FollowLinks:     true,
		RequisiteHosts:  RequisiteHostsDomain,
		UserAgent:       DefaultUserAgent,
		Concurrency:     256,
		PerHost:         2,
		Delay:           time.Second,
		Timeout:         30 * time.Second,
		ConnectTimeout:  10 * time.Second,
		StallTimeout:    10 * time.Second,
		MaxBody:         10 << 20,
		Retries:         3,
		RetryBackoff:    time.Second,
		MaxBackoff:      10 * time.Minute,
		MaxWait:         time.Minute,
		MaxLinksPerPage: 100000,
		ProxyFromEnv:    true,
	}
}

// ErrConfig marks a configuration error (the CLI exits 2 on it).
var ErrConfig = errors.New("invalid configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// FieldError is a configuration error in one field, named by its YAML key
// (per_host), so that a front end can name the setting as its user wrote it
// (the CLI says --per-host). It matches ErrConfig with errors.Is.
type FieldError struct {
	Key     string // YAML key: "per_host"
	Problem string // "must be at least 1"
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s %s", ErrConfig, e.Key, e.Problem)
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *FieldError) Is(target error) bool { return target == ErrConfig }

func fieldErr(key, format string, a ...any) error {
	return &FieldError{Key: key, Problem: fmt.Sprintf(format, a...)}
}

// seedHint suggests the URL a seed without a scheme probably meant
// ("example.com" → "https://example.com/"), or "".
func seedHint(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") || strings.HasPrefix(s, "/") {
		return ""
	}
	u, err := url.Parse("https://" + s)
	if err != nil || u.Host == "" || !strings.Contains(u.Hostname(), ".") && u.Hostname() != "localhost" {
		return ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// Validate checks every field and names the first problem it finds.
func (c *Config) Validate() error {
	if len(c.Seeds) == 0 {
		return configErr("no seed URLs given")
	}
	for _, s := range c.Seeds {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			if hint := seedHint(s); hint != "" {
				return fieldErr("seeds", "%q is not an absolute http(s) URL: did you mean %s?", s, hint)
			}
			return fieldErr("seeds", "%q is not an absolute http(s) URL", s)
		}
	}
	switch c.Scope {
	case ScopeHost, ScopeDomain, ScopeSeedsPrefix, ScopeAny:
	default:
		return fieldErr("scope", "%q: want host, domain, seeds-prefix or any", c.Scope)
	}
	switch c.PolitenessKey {
	case PolitenessHost, PolitenessDomain, PolitenessIP:
	case "":
		c.PolitenessKey = PolitenessHost // a config stored before the setting existed
	default:
		return fieldErr("politeness_key", "%q: want host, domain or ip", c.PolitenessKey)
	}
	for i, list := range [][]string{c.Include, c.Exclude} {
		for _, re := range list {
			if _, err := regexp.Compile(re); err != nil {
				return fieldErr([]string{"include", "exclude"}[i], "has a bad regular expression %q: %v", re, err)
			}
		}
	}
	if err := c.validateRequisites(); err != nil {
		return err
	}
	if err := c.validateRequests(); err != nil {
		return err
	}
	if c.UserAgent == "" {
		return fieldErr("user_agent", "is empty")
	}
	checks := []struct {
		key, problem string
		bad          bool
	}{
		{"max_depth", "must be -1 (unlimited) or more", c.MaxDepth < -1},
		{"max_pages", "must not be negative", c.MaxPages < 0},
		{"concurrency", "must be at least 1", c.Concurrency < 1},
		{"per_host", "must be at least 1", c.PerHost < 1},
		{"delay", "must not be negative", c.Delay < 0},
		{"timeout", "must be positive", c.Timeout <= 0},
		{"connect_timeout", "must be positive", c.ConnectTimeout <= 0},
		{"stall_timeout", "must be positive", c.StallTimeout <= 0},
		{"max_body", "must be positive", c.MaxBody <= 0},
		{"retries", "must not be negative", c.Retries < 0},
		{"retry_backoff", "must not be negative", c.RetryBackoff < 0},
		{"max_backoff", "must not be negative", c.MaxBackoff < 0},
		{"max_wait", "must not be negative", c.MaxWait < 0},
		{"max_links_per_page", "must be at least 1", c.MaxLinksPerPage < 1},
		{"parse_workers", "must not be negative", c.ParseWorkers < 0},
	}
	for _, ch := range checks {
		if ch.bad {
			return fieldErr(ch.key, "%s", ch.problem)
		}
	}
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr("proxy", "%q is not an http(s)://host:port URL", c.Proxy)
		}
	}
	return nil
}

func parseProxy(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, configErr("proxy %q is not a URL", s)
	}
	return u, nil
}
