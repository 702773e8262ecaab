package crawler

import (
	"regexp"
	"strings"

	"github.com/trawl-crawler/trawl/internal/links"
)

// scope decides whether a canonical URL belongs to the crawl. It is built
// once from the config and read concurrently by parse workers.
type scope struct {
	mode     string
	hosts    map[string]bool // host mode: seed host keys
	domains  map[string]bool // domain mode: seed registrable domains
	prefixes []string        // seeds-prefix mode
	include  []*regexp.Regexp
	exclude  []*regexp.Regexp
	maxDepth int
}

func newScope(cfg Config, canonicalSeeds []string) *scope {
	s := &scope{
		mode:     cfg.Scope,
		hosts:    map[string]bool{},
		domains:  map[string]bool{},
		maxDepth: cfg.MaxDepth,
	}
	for _, seed := range canonicalSeeds {
		hk := links.HostKey(seed)
		s.hosts[hk] = true
		s.domains[links.Domain(hk)] = true
		s.prefixes = append(s.prefixes, seed)
	}
	for _, re := range cfg.Include {
		s.include = append(s.include, regexp.MustCompile(re)) // validated by Config.Validate
	}
	for _, re := range cfg.Exclude {
		s.exclude = append(s.exclude, regexp.MustCompile(re))
	}
	return s
}

// allows reports whether canonical URL u at depth may be queued, and if not, why.
func (s *scope) allows(u string, depth int) (bool, string) {
	if s.maxDepth >= 0 && depth > s.maxDepth {
		return false, "max-depth"
	}
	switch s.mode {
	case ScopeHost:
		if !s.hosts[links.HostKey(u)] {
			return false, "out of scope (host)"
		}
	case ScopeDomain:
		if !s.domains[links.Domain(links.HostKey(u))] {
			return false, "out of scope (domain)"
		}
	case ScopeSeedsPrefix:
		ok := false
		for _, p := range s.prefixes {
			if strings.HasPrefix(u, p) {
				ok = true
				break
			}
		}
		if !ok {
			return false, "out of scope (seeds-prefix)"
		}
	}
	if len(s.include) > 0 {
		ok := false
		for _, re := range s.include {
			if re.MatchString(u) {
				ok = true
				break
			}
		}
		if !ok {
			return false, "not included"
		}
	}
	for _, re := range s.exclude {
		if re.MatchString(u) {
			return false, "excluded"
		}
	}
	return true, ""
}
