package crawler

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/crawler/robots"
	"github.com/trawl-crawler/trawl/frontier"
)

// robotsCache is the crawl's view of robots.txt: robots.Cache (the rules,
// the per-origin cache, retries and redirects) over the crawl's fetch
// client and the frontier, which persists each origin's robots.txt so a
// resumed crawl does not fetch it again within robots.TTL.
type robotsCache struct {
	c     *robots.Cache
	agent string // product token matched against User-agent lines
}

// robotsResult is what a lease learns about its host's robots.txt.
type robotsResult struct {
	rules       *robots.Rules
	unavailable bool
	retryAt     time.Time
	fetched     bool              // this lease spent a request on robots.txt
	responses   []*fetch.Response // what those requests got (one per redirect hop), for the WARC archive
	update      *frontier.HostUpdate
	status      int
	cause       string
	failures    int    // failed robots.txt fetches of the host in this run
	exhausted   bool   // out of robots.txt retries for this run: the host is deferred
	final       bool   // a refusal that cannot succeed (address guard, no such name)
	class       string // the failure class of a network failure, for the counters
	err         error
}

// newRobotsCache builds the cache; retry is policy.robotsRetry.
func newRobotsCache(fr Frontier, fc *fetch.Client, userAgent string, retry func(int) (time.Duration, bool)) *robotsCache {
	persisted := func(origin string) (robots.State, bool) {
		hs, ok := fr.Host(origin)
		if !ok || hs.Robots == nil {
			return robots.State{}, false
		}
		r := hs.Robots
		return robots.State{Status: r.Status, Body: r.Body, FetchedAt: r.FetchedAt, Expires: r.Expires}, true
	}
	return &robotsCache{c: robots.NewCache(robotsGetter{fc}, persisted, retry), agent: robots.ProductToken(userAgent)}
}

// crawlDelay is the host's Crawl-delay for our agent, as far as known.
func (r robotsResult) crawlDelay(agent string) time.Duration {
	if r.rules == nil {
		return 0
	}
	return r.rules.CrawlDelay(agent)
}

// lookup returns the robots rules for the lease's origin, fetching
// robots.txt (in the lease's own politeness slot: ctx carries its Begin
// hook) when no fresh copy is known. A fetch's result carries the host
// update the lease's completion persists: the robots.txt, and a
// Crawl-delay counted from the robots.txt request's start.
func (rc *robotsCache) lookup(ctx context.Context, l frontier.Lease, now time.Time) robotsResult {
	got := &robotsResponses{}
	r := rc.c.Lookup(context.WithValue(ctx, robotsResponsesKey{}, got), l.URL, now)
	out := robotsResult{rules: r.Rules, unavailable: r.Unavailable, retryAt: r.RetryAt, fetched: r.Fetched,
		status: r.Status, cause: r.Cause, failures: r.Failures, exhausted: r.Exhausted, final: r.Final, class: r.Class, err: r.Err}
	if !r.Fetched {
		return out
	}
	out.responses = got.list
	s := r.State
	out.update = &frontier.HostUpdate{Robots: &frontier.RobotsState{Status: s.Status, Body: s.Body, FetchedAt: s.FetchedAt, Expires: s.Expires}}
	if d := capCrawlDelay(r.Rules.CrawlDelay(rc.agent)); d > 0 {
		out.update.Delay = &d
		// The lease that fetched robots.txt reserved the host's next slot
		// with the delay known then; the Crawl-delay counts from this
		// request's start.
		out.update.NotBefore = r.Started.Add(d)
	}
	return out
}

// robotsGetter is the crawl's fetch client as robots.Cache's Getter.
type robotsGetter struct{ fc *fetch.Client }

// robotsResponses collects the responses of one lookup's robots.txt
// requests (every hop), which the lease archives (robotsarchive.go); the
// lookup passes it to the getter in ctx, as robots.Cache knows nothing of
// fetch responses.
type robotsResponses struct{ list []*fetch.Response }

type robotsResponsesKey struct{}

func (g robotsGetter) Get(ctx context.Context, u string) (robots.Response, error) {
	resp, err := g.fc.Get(ctx, u, nil)
	if got, ok := ctx.Value(robotsResponsesKey{}).(*robotsResponses); ok && err == nil {
		got.list = append(got.list, resp)
	}
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) {
			return robots.Response{}, &robots.FetchError{Class: string(fe.Class), Retryable: fe.Retryable,
				Canceled: fe.Class == fetch.ClassCanceled, Err: fe.Err}
		}
		return robots.Response{}, &robots.FetchError{Class: string(fetch.ClassProtocol), Retryable: true, Err: err}
	}
	return robots.Response{Status: resp.Status, Location: resp.Location, Body: resp.Body}, nil
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
