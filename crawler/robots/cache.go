package robots

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/internal/links"
)

// TTL is how long a fetched robots.txt is trusted (RFC 9309 §2.4 allows
// caching for up to 24 hours).
const TTL = 24 * time.Hour

// maxRedirects is how many redirects a robots.txt fetch follows (RFC 9309
// §2.3.1.2: at least five).
const maxRedirects = 5

// Getter makes one GET and follows no redirect: all the cache needs from
// the network (net/http's Client/Transport split: the cache is the policy,
// the Getter the mechanism). A status is a Response, not an error; a
// failure without a response should be a *FetchError so the cache can tell
// a failure worth retrying from one that cannot succeed.
type Getter interface {
	Get(ctx context.Context, url string) (Response, error)
}

// Response is what the cache reads of an HTTP response.
type Response struct {
	Status   int
	Location string // the Location header of a redirect
	Body     []byte
}

// FetchError is a fetch that got no response.
type FetchError struct {
	Class     string // for counters and messages ("dns", "connect", "blocked", ...)
	Retryable bool   // another try may succeed (timeouts, resets); false for the address guard, NXDOMAIN
	Canceled  bool   // the crawl is stopping: not a failure of the host
	Err       error
}

func (e *FetchError) Error() string { return e.Class + ": " + e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// Unavailable reports whether a robots.txt fetch with this status (0: no
// response) means the file is unreachable: the host is then fully
// disallowed and robots.txt is tried again later (RFC 9309 §2.3.1.4).
func Unavailable(status int) bool { return status == 0 || status >= 500 }

// State is a robots.txt as fetched, as the caller persists it.
type State struct {
	Status    int
	Body      []byte
	FetchedAt time.Time
	Expires   time.Time
}

// Result is what a lookup learns about a page's robots.txt.
type Result struct {
	Rules       *Rules
	Unavailable bool      // unreachable: disallow everything until RetryAt
	RetryAt     time.Time // when this answer expires
	Status      int
	Cause       string // why robots.txt is unavailable or refused ("" when it is not)
	Failures    int    // failed fetches of this origin's robots.txt in this run
	// Exhausted: unavailable and out of retries for this run (the caller
	// defers the host); Final: a refusal that cannot succeed (address
	// guard, no such name). Neither is fetched again in this run.
	Exhausted bool
	Final     bool
	Class     string // the failure class of a network failure
	Err       error  // the lookup was cancelled (shutdown): the caller releases the lease
	// Fetched: this lookup spent a request on robots.txt; State is what
	// to persist and Started when the request began (a Crawl-delay counts
	// from it).
	Fetched bool
	State   *State
	Started time.Time
}

// Cache holds the parsed robots.txt of each origin (host key) for one
// crawl. The first lookup of an origin fetches robots.txt (in its caller's
// politeness slot); concurrent lookups of the same origin wait for it. A
// fresh copy the caller persisted earlier (a resumed crawl) is used without
// a request.
type Cache struct {
	get       Getter
	persisted func(origin string) (State, bool)
	retry     func(failures int) (time.Duration, bool) // after failures failed fetches: another try, after how long?

	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	ready chan struct{} // closed once settled
	res   Result        // settled answer (Fetched/State/Started unset)
}

// NewCache returns a cache that fetches through get, reads earlier copies
// through persisted, and asks retry whether, and after how long, an
// unreachable robots.txt is tried again.
func NewCache(get Getter, persisted func(origin string) (State, bool), retry func(failures int) (time.Duration, bool)) *Cache {
	return &Cache{get: get, persisted: persisted, retry: retry, m: map[string]*entry{}}
}

// Lookup returns the robots.txt answer for canonical page URL u, fetching
// the origin's robots.txt when no fresh copy is known.
func (c *Cache) Lookup(ctx context.Context, u string, now time.Time) Result {
	origin := links.HostKey(u)
	c.mu.Lock()
	e := c.m[origin]
	if e != nil {
		select {
		case <-e.ready:
			if now.Before(e.res.RetryAt) || e.res.Exhausted || e.res.Final {
				c.mu.Unlock()
				return e.res
			}
		default:
			c.mu.Unlock()
			select {
			case <-e.ready:
				return e.res
			case <-ctx.Done():
				return Result{Err: ctx.Err()}
			}
		}
	}
	failures := 0
	if e != nil {
		failures = e.res.Failures
	}
	// persisted may be fresher than an expired entry here: another process
	// sharing the frontier fetched robots.txt since (a shared frontier).
	// Only an answer that is not a failure is taken over an entry: a
	// failure read back would restart this process's failure count, and
	// the host would never run out of tries.
	if st, ok := c.persisted(origin); ok && now.Before(st.Expires) && (e == nil || !Unavailable(st.Status)) {
		ne := &entry{ready: make(chan struct{}), res: settled(st.Status, st.Body, st.Expires)}
		close(ne.ready)
		c.m[origin] = ne
		c.mu.Unlock()
		return ne.res
	}
	pending := &entry{ready: make(chan struct{})}
	pending.res.Failures = failures
	c.m[origin] = pending
	c.mu.Unlock()

	started := time.Now()
	status, body, fe := c.fetch(ctx, links.Origin(u)+"/robots.txt")
	if fe != nil && fe.Canceled {
		// Shutdown, not a failure of the host: the next lookup fetches again.
		c.mu.Lock()
		if e != nil {
			c.m[origin] = e
		} else {
			delete(c.m, origin)
		}
		c.mu.Unlock()
		pending.res = Result{Err: fe}
		close(pending.ready)
		return pending.res
	}
	fetchedAt := time.Now()
	expires := fetchedAt.Add(TTL)
	r := Result{Failures: failures}
	switch {
	case fe != nil && !fe.Retryable:
		// Retrying cannot help: every URL of the origin fails at once.
		r.Final, r.Class, r.Cause = true, fe.Class, fe.Error()
	case Unavailable(status):
		r.Failures++
		if fe != nil {
			r.Cause, r.Class = fe.Error(), fe.Class
		} else {
			r.Cause = fmt.Sprintf("HTTP %d", status)
		}
		wait, again := c.retry(r.Failures)
		r.Exhausted = !again
		if again {
			expires = fetchedAt.Add(wait)
		}
	}
	s := settled(status, body, expires)
	r.Rules, r.Unavailable, r.RetryAt, r.Status = s.Rules, s.Unavailable, s.RetryAt, s.Status
	pending.res = r
	close(pending.ready)

	stored := expires
	if r.Exhausted || r.Final {
		// Not fetched again in this run (the entry says so); a resume
		// starts the origin's robots.txt tries afresh.
		stored = fetchedAt
	}
	r.Fetched, r.Started = true, started
	r.State = &State{Status: status, Body: body, FetchedAt: fetchedAt, Expires: stored}
	return r
}

// settled is the answer a fetched (or persisted) robots.txt gives.
func settled(status int, body []byte, expires time.Time) Result {
	return Result{Rules: FromStatus(status, body), Unavailable: Unavailable(status), RetryAt: expires, Status: status}
}

// fetch gets target, following up to maxRedirects redirects (RFC 9309
// §2.3.1.2). Status 0 means a network failure, which fe classifies.
func (c *Cache) fetch(ctx context.Context, target string) (status int, body []byte, fe *FetchError) {
	for range maxRedirects + 1 {
		resp, err := c.get.Get(ctx, target)
		if err != nil {
			if e, ok := err.(*FetchError); ok {
				return 0, nil, e
			}
			return 0, nil, &FetchError{Class: "protocol", Retryable: true, Err: err}
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
		if len(body) > MaxSize {
			body = body[:MaxSize]
		}
		return resp.Status, body, nil
	}
	return 404, nil, nil // too many redirects: RFC 9309 says treat as unavailable (4xx): allow all
}
