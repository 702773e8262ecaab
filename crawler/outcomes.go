package crawler

import (
	"errors"
	"fmt"
	"sync"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
)

// ErrAllSeedsFailed: the crawl finished without fetching anything because
// every seed failed (refused, unresolvable, unreachable, or an error
// status after the retries). Run and Resume return it wrapped with the
// first seed's reason; the CLI exits 1.
var ErrAllSeedsFailed = errors.New("every seed failed")

// outcomeLog is what the engine tells about deferred and refused URLs: the
// first deferral of a host and the first refusal of a seed are logged at
// warn level (with how to allow it), the rest at debug; the first seed
// failure is kept for ErrAllSeedsFailed.
type outcomeLog struct {
	mu          sync.Mutex
	hosts       map[string]bool // hosts whose deferral was logged
	seedHinted  bool
	seedFailure string
}

// deferred logs a deferral decision for l.
func (e *engine) deferred(l frontier.Lease, d decision) {
	o := &e.outcomes
	o.mu.Lock()
	first := d.deferHost && !o.hosts[l.Host]
	if first {
		if o.hosts == nil {
			o.hosts = map[string]bool{}
		}
		o.hosts[l.Host] = true
	}
	o.mu.Unlock()
	if first {
		e.c.log.Warn("host deferred: its URLs wait for trawl resume", "host", l.Host, "reason", d.reason)
		return
	}
	e.c.log.Debug("deferred", "url", l.URL, "reason", d.reason)
}

// refused notes a final failure without a response. A seed refused by the
// address guard gets a warning saying how to allow it (once per crawl).
func (e *engine) refused(l frontier.Lease, reason, class string) {
	if l.Depth != 0 || l.Parent != "" {
		return
	}
	o := &e.outcomes
	o.mu.Lock()
	hint := class == string(fetch.ClassBlocked) && !e.cfg.AllowPrivate && !o.seedHinted
	if hint {
		o.seedHinted = true
	}
	o.mu.Unlock()
	if hint {
		e.c.log.Warn("seed refused: its host is a loopback or private address; pass --allow-private (allow_private: true) to crawl it",
			"url", l.URL, "reason", reason)
		return
	}
	e.c.log.Warn("seed failed", "url", l.URL, "reason", reason)
}

// seedFailed remembers the first seed's final failure.
func (e *engine) seedFailed(l frontier.Lease, reason, class string) {
	if l.Depth != 0 || l.Parent != "" {
		return
	}
	if class == string(fetch.ClassBlocked) && !e.cfg.AllowPrivate {
		reason += " (pass --allow-private to crawl loopback and private addresses)"
	}
	o := &e.outcomes
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seedFailure == "" {
		o.seedFailure = l.URL + ": " + reason
	}
}

// allSeedsFailed is the run's error when it finished having fetched
// nothing and failed at least one URL: every seed failed.
func (e *engine) allSeedsFailed(st Stats) error {
	if !e.finished.Load() || st.Done != 0 || st.Failed == 0 {
		return nil
	}
	e.outcomes.mu.Lock()
	first := e.outcomes.seedFailure
	e.outcomes.mu.Unlock()
	if first == "" {
		return ErrAllSeedsFailed
	}
	return fmt.Errorf("%w; the first: %s", ErrAllSeedsFailed, first)
}

// deferredCache keeps the per-host summary of deferred URLs; it is read
// from the frontier again only when the count has changed (a scan of the
// deferred URLs), and kept once the frontier is closed.
type deferredCache struct {
	mu    sync.Mutex
	n     int64
	hosts []DeferredHost
}

// deferredHosts is the per-host summary for n deferred URLs.
func (e *engine) deferredHosts(n int64) []DeferredHost {
	c := &e.deferredSummary
	c.mu.Lock()
	defer c.mu.Unlock()
	if n == c.n {
		return c.hosts
	}
	hosts, err := e.fr.DeferredHosts()
	if err != nil {
		return c.hosts // closed or broken: the last summary stands
	}
	c.n, c.hosts = n, hosts
	return hosts
}
