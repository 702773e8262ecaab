package testweb

import (
	"cmp"
	"fmt"
	"net"
	"time"
)

// Config describes a synthetic web. Zero fields take the documented defaults.
type Config struct {
	Name         string // domain label; hosts are hN.<Name>.test; default "site"
	Hosts        int    // default 4
	PagesPerHost int    // default 50
	PageSize     int    // approx HTML bytes per page; default 20 KB of reproducible filler
	FanOut       int    // links per page; default 8 (some cross-host)
	// Varied shapes pages like real ones instead of alike: each page's
	// size is drawn log-uniformly from PageSize/4 to 3×PageSize, each
	// chain page's link count from FanOut/3 to 3×FanOut, and the filler
	// is markup (paragraphs, lists, tables, code, named anchors) rather
	// than plain words, so a parser meets as many tags as on a real page.
	Varied   bool
	Latency  time.Duration // added before each response's headers
	Jitter   time.Duration // uniform ± around Latency
	Seed     int64         // the site graph and bodies derive from it
	Features Features      // hazards served
	Addr     string        // listen address; default "127.0.0.1:0"; must be loopback
}

// withDefaults returns c with zero fields replaced by defaults, or an error
// for values that make no site.
func (c Config) withDefaults() (Config, error) {
	c.Name = cmp.Or(c.Name, "site")
	c.Hosts = cmp.Or(c.Hosts, 4)
	c.PagesPerHost = cmp.Or(c.PagesPerHost, 50)
	c.PageSize = cmp.Or(c.PageSize, 20<<10)
	c.FanOut = cmp.Or(c.FanOut, 8)
	c.Addr = cmp.Or(c.Addr, "127.0.0.1:0")
	switch {
	case c.Hosts < 0 || c.PagesPerHost < 0 || c.PageSize < 0 || c.FanOut < 0:
		return c, fmt.Errorf("testweb config: negative size")
	case c.Latency < 0 || c.Jitter < 0 || c.Jitter > c.Latency && c.Latency > 0:
		return c, fmt.Errorf("testweb config: latency %v jitter %v: need 0 <= jitter <= latency", c.Latency, c.Jitter)
	}
	for _, r := range c.Name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return c, fmt.Errorf("testweb config: name %q: want lower-case letters, digits and '-'", c.Name)
		}
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, fmt.Errorf("testweb config: addr %q: %w", c.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return c, fmt.Errorf("testweb config: addr %q: only loopback IP addresses are allowed", c.Addr)
	}
	return c, nil
}
