package crawler

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/internal/links"
)

// politenessKeys maps a canonical URL to the key the frontier's schedule
// counts it against (frontier.Item.Host): --per-host, --delay, Crawl-delay
// and Retry-After apply per key. robots.txt is still per origin (RFC 9309),
// kept under links.HostKey whatever the key.
//
//   - host: the URL's host[:port] (links.HostKey).
//   - domain: its registrable domain (links.Domain), as the scope uses.
//   - ip: the first address its host name resolves to, looked up once per
//     host name and cached for the life of the process. A name that does
//     not resolve (or a proxy-only name) is its own key, and its request
//     then fails or goes through the proxy as usual. The lookup is the only
//     network wait outside a fetcher: one per new host name, bounded by
//     --connect-timeout. Queued URLs keep the key they were added with: if
//     a host's address changes, its new URLs group with the new address.
//     Through a proxy trawl still resolves names itself, because politeness
//     is owed to the origin server, not to the proxy.
type politenessKeys struct {
	mode     string
	resolver fetch.Resolver
	timeout  time.Duration

	mu  sync.Mutex
	ips map[string]string // host name → its key in ip mode
}

func newPolitenessKeys(mode string, resolver fetch.Resolver, timeout time.Duration) *politenessKeys {
	return &politenessKeys{mode: mode, resolver: resolver, timeout: timeout, ips: map[string]string{}}
}

// key returns the politeness key of canonical URL u.
func (p *politenessKeys) key(u string) string {
	hk := links.HostKey(u)
	switch p.mode {
	case PolitenessDomain:
		return links.Domain(hk)
	case PolitenessIP:
		return p.ipKey(hk)
	}
	return hk
}

func (p *politenessKeys) ipKey(hostKey string) string {
	name := links.Hostname(hostKey)
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.String()
	}
	p.mu.Lock()
	k, ok := p.ips[name]
	p.mu.Unlock()
	if ok {
		return k
	}
	k = hostKey
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	addrs, err := p.resolver.LookupIPAddr(ctx, name)
	cancel()
	if err == nil && len(addrs) > 0 {
		if ip, ok := netip.AddrFromSlice(addrs[0].IP); ok {
			k = ip.Unmap().String()
		}
	}
	p.mu.Lock()
	p.ips[name] = k
	p.mu.Unlock()
	return k
}
