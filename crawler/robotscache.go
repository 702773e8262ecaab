package crawler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/crawler/robots"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
)

const (
	robotsTTL          = 24 * time.Hour
	robotsMaxRedirects = 5
)

// robotsCache holds the parsed robots.txt of each host. The first lease of a
// host fetches robots.txt inside its own politeness slot; other leases of the
// same host wait for it. Results persist through the frontier's host state,
// so a resumed crawl does not fetch them again within robotsTTL.
type robotsCache struct {
	fr    Frontier
	fc    *fetch.Client
	agent string // product token matched against User-agent lines
	// retry is policy.robotsRetry: after failures failed fetches, whether
	// robots.txt gets another try and after how long.
	retry func(failures int) (time.Duration, bool)

	mu sync.Mutex
	m  map[string]*robotsEntry
}

type robotsEntry struct {
	ready       chan struct{} // closed once rules are set
	rules       *robots.Rules
	unavailable bool // 5xx or network failure: complete disallow until expires
	expires     time.Time
	failures    int
	status      int
	cause       string // why robots.txt is unavailable ("" when it is not)
	err         error  // the fetch was cancelled (shutdown): leases waiting on it release
	// exhausted: unavailable and out of retries for this run (the host is
	// deferred); final: a refusal that cannot succeed (address guard, no
	// such name). Neither is fetched again in this run.
	exhausted bool
	final     bool
	class     string // the failure class of a network failure, for the counters
}

// robotsResult is what a lease learns about its host's robots.txt.
type robotsResult struct {
	rules       *robots.Rules
	unavailable bool
	retryAt     time.Time
	fetched     bool // this lease spent a request on robots.txt
	update      *frontier.HostUpdate
	status      int
	cause       string
	failures    int    // failed robots.txt fetches of the host in this run
	exhausted   bool   // see robotsEntry
	final       bool   // see robotsEntry
	class       string // see robotsEntry
	err         error
}

func newRobotsCache(fr Frontier, fc *fetch.Client, userAgent string, retry func(int) (time.Duration, bool)) *robotsCache {
	return &robotsCache{fr: fr, fc: fc, agent: robots.ProductToken(userAgent), retry: retry, m: map[string]*robotsEntry{}}
}

// crawlDelay is the host's Crawl-delay for our agent, as far as known.
func (r robotsResult) crawlDelay(agent string) time.Duration {
	if r.rules == nil {
		return 0
	}
	return r.rules.CrawlDelay(agent)
}

// lookup returns the robots rules for the lease's host, fetching robots.txt
// when no fresh copy is known.
func (rc *robotsCache) lookup(ctx context.Context, l frontier.Lease, now time.Time) robotsResult {
	origin := links.HostKey(l.URL) // robots.txt is per origin, whatever l.Host groups
	rc.mu.Lock()
	e := rc.m[origin]
	if e != nil {
		select {
		case <-e.ready:
			if now.Before(e.expires) || e.exhausted || e.final {
				rc.mu.Unlock()
				return e.result()
			}
		default:
			rc.mu.Unlock()
			select {
			case <-e.ready:
				return e.result()
			case <-ctx.Done():
				return robotsResult{err: ctx.Err()}
			}
		}
	}
	failures := 0
	if e != nil {
		failures = e.failures
	} else if hs, ok := rc.fr.Host(origin); ok && hs.Robots != nil && now.Before(hs.Robots.Expires) {
		ne := rc.entryFrom(hs.Robots.Status, hs.Robots.Body, hs.Robots.Expires)
		rc.m[origin] = ne
		rc.mu.Unlock()
		return robotsResult{rules: ne.rules, unavailable: ne.unavailable, retryAt: ne.expires, status: ne.status}
	}
	pending := &robotsEntry{ready: make(chan struct{}), failures: failures}
	rc.m[origin] = pending
	rc.mu.Unlock()

	// The lease's own politeness slot.
	// The lease's own politeness slot (ctx carries its Begin hook).
	started := time.Now()
	status, body, fe := rc.fetch(ctx, l.URL)
	if fe != nil && fe.Class == fetch.ClassCanceled {
		// Shutdown, not a failure of the host: the next lease fetches again.
		rc.mu.Lock()
		if e != nil {
			rc.m[l.Host] = e // expired: the next lease fetches again
		} else {
			delete(rc.m, l.Host)
		}
		rc.mu.Unlock()
		pending.err = fe
		close(pending.ready)
		return robotsResult{err: fe}
	}
	fetchedAt := time.Now()
	expires := fetchedAt.Add(robotsTTL)
	var cause string
	switch {
	case fe != nil && !fe.Retryable:
		// The address guard, a name that does not exist, a TLS failure:
		// retrying cannot help, so every URL of the host fails at once.
		pending.final, pending.class = true, string(fe.Class)
		cause = fmt.Sprintf("%s: %v", fe.Class, fe.Err)
	case status == 0 || status >= 500:
		pending.failures++
		if fe != nil {
			cause, pending.class = fmt.Sprintf("%s: %v", fe.Class, fe.Err), string(fe.Class)
		} else {
			cause = fmt.Sprintf("HTTP %d", status)
		}
		wait, again := rc.retry(pending.failures)
		pending.exhausted = !again
		if again {
			expires = fetchedAt.Add(wait)
		}
	}
	ne := rc.entryFrom(status, body, expires)
	pending.rules, pending.unavailable, pending.expires, pending.status, pending.cause = ne.rules, ne.unavailable, ne.expires, status, cause
	close(pending.ready)

	stored := expires
	if pending.exhausted || pending.final {
		// Not fetched again in this run (the entry says so); a resume
		// starts the host's robots.txt tries afresh.
		stored = fetchedAt
	}
	upd := &frontier.HostUpdate{Robots: &frontier.RobotsState{Status: status, Body: body, FetchedAt: fetchedAt, Expires: stored}}
	if d := capCrawlDelay(ne.rules.CrawlDelay(rc.agent)); d > 0 {
		upd.Delay = &d
		// The lease that fetched robots.txt reserved the host's next slot
		// with the delay known then; the Crawl-delay counts from this
		// request's start.
		upd.NotBefore = started.Add(d)
	}
	r := pending.result()
	r.fetched, r.update = true, upd
	return r
}

// result is what a lease learns from a settled entry.
func (e *robotsEntry) result() robotsResult {
	if e.err != nil {
		return robotsResult{err: e.err}
	}
	return robotsResult{rules: e.rules, unavailable: e.unavailable, retryAt: e.expires, status: e.status, cause: e.cause,
		failures: e.failures, exhausted: e.exhausted, final: e.final, class: e.class}
}

func (rc *robotsCache) entryFrom(status int, body []byte, expires time.Time) *robotsEntry {
	e := &robotsEntry{ready: make(chan struct{}), expires: expires, status: status}
	close(e.ready)
	e.rules = robots.FromStatus(status, body)
	e.unavailable = status == 0 || status >= 500
	return e
}

// fetch gets origin/robots.txt, following up to robotsMaxRedirects
// redirects (RFC 9309 §2.3.1.2). Status 0 means a network failure, which
// fe classifies.
func (rc *robotsCache) fetch(ctx context.Context, pageURL string) (status int, body []byte, fe *fetch.Error) {
	target := links.Origin(pageURL) + "/robots.txt"
	for hop := 0; hop <= robotsMaxRedirects; hop++ {
		resp, err := rc.fc.Get(ctx, target, nil)
		if err != nil {
			if errors.As(err, &fe) {
				return 0, nil, fe
			}
			return 0, nil, &fetch.Error{Class: fetch.ClassProtocol, Retryable: true, URL: target, Err: err}
		}
		if resp.Status >= 300 && resp.Status < 400 && resp.Location != "" {
			next, err := links.Canonical(resp.Location, target)
			if err != nil {
				return 404, nil, nil // unusable redirect: like a 4xx, allow all
			}
			target = next
			continue
		}
		body := resp.Body
		if len(body) > robots.MaxSize {
			body = body[:robots.MaxSize]
		}
		return resp.Status, body, nil
	}
	return 404, nil, nil // too many redirects: RFC 9309 says treat as unavailable (4xx): allow all
}

// jitterRand is a per-goroutine-safe random source for backoff jitter.
type jitterRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (j *jitterRand) Float64() float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.r.Float64()
}
