package crawler

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
)

// decision is what policy says to do with one fetch result.
type decision struct {
	outcome   frontier.Outcome
	retryAt   time.Time // Retry only
	notBefore time.Time // host backoff (429/503), zero = none
	reason    string    // failure, retry or deferral reason
	// deferHost: defer the whole host (HostUpdate.Defer), not only this
	// URL: its robots.txt stayed unavailable, or it asked for a wait past
	// --max-wait (Retry-After), which holds for its other URLs too.
	deferHost bool
}

// policy turns an outcome into the frontier's next step. It is pure: now and
// the random source are parameters, so tests need no clock.
type policy struct {
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	delay      time.Duration // --delay
	maxWait    time.Duration // --max-wait: a longer wait defers instead
}

// maxCrawlDelay caps a robots.txt Crawl-delay: a host cannot park the
// crawl for longer than this between two of its requests.
const maxCrawlDelay = 300 * time.Second

// gap is the minimum time between request starts to a host whose
// robots.txt asks for crawlDelay: --delay, raised by the Crawl-delay
// (capped at maxCrawlDelay). The frontier's schedule enforces it: the
// crawler hands the host's capped Crawl-delay to the frontier
// (HostUpdate.Delay), which spaces leases by max(--delay, that).
func (p policy) gap(crawlDelay time.Duration) time.Duration {
	return max(p.delay, capCrawlDelay(crawlDelay))
}

// capCrawlDelay is a robots.txt Crawl-delay as trawl honours it.
func capCrawlDelay(d time.Duration) time.Duration { return min(max(d, 0), maxCrawlDelay) }

// decide classifies a completed attempt: resp is nil when err is set.
// A retry whose wait would pass --max-wait is deferred instead (the URL
// for a backoff, the whole host for a 429/503 wait); an error the fetch
// layer calls not retryable (the address guard, a name that does not
// exist, a TLS failure) is final at once.
func (p policy) decide(now time.Time, attempt int, status int, hdr http.Header, err error, rnd func() float64) decision {
	if err != nil {
		fe, ok := err.(*fetch.Error)
		if ok && fe.Class == fetch.ClassCanceled {
			return decision{outcome: frontier.Release, reason: "canceled"}
		}
		reason := err.Error()
		retryable := ok && fe.Retryable
		if ok {
			reason = string(fe.Class) + ": " + fe.Err.Error()
		}
		if retryable && attempt < p.retries {
			return p.retryIn(now, p.backoffFor(attempt, rnd), reason, false)
		}
		return decision{outcome: frontier.Failed, reason: reason}
	}
	switch {
	case pausesHost(status):
		reason := "HTTP " + strconv.Itoa(status)
		wait, ok := retryAfter(hdr.Get("Retry-After"), now)
		if !ok {
			wait = p.backoffFor(attempt, rnd)
		}
		if attempt < p.retries {
			return p.retryIn(now, wait, reason, true)
		}
		wait = min(wait, p.maxBackoff)
		return decision{outcome: frontier.Failed, notBefore: now.Add(wait), reason: reason}
	case status >= 500:
		if attempt < p.retries {
			return p.retryIn(now, p.backoffFor(attempt, rnd), "HTTP "+strconv.Itoa(status), false)
		}
		return decision{outcome: frontier.Failed, reason: "HTTP " + strconv.Itoa(status)}
	}
	return decision{outcome: frontier.Done}
}

// pausesHost says whether a response status asks its whole host to wait
// (429, 503): decide makes its wait host-wide, and the fetcher keeps the
// host's request slot until that wait is recorded.
func pausesHost(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// retryIn is a retry after wait (capped at --max-backoff), or a deferral
// when wait passes --max-wait. hostWide: the wait is the host's (429/503),
// so the host's next request waits too, and a deferral takes the host.
func (p policy) retryIn(now time.Time, wait time.Duration, reason string, hostWide bool) decision {
	if wait > p.maxWait {
		return decision{outcome: frontier.Deferred, deferHost: hostWide,
			reason: fmt.Sprintf("%s: wait %s exceeds --max-wait %s", reason, wait.Round(time.Second), p.maxWait)}
	}
	wait = min(wait, p.maxBackoff)
	d := decision{outcome: frontier.Retry, retryAt: now.Add(wait), reason: reason}
	if hostWide {
		d.notBefore = d.retryAt
	}
	return d
}

// robotsRetry says whether a host whose robots.txt fetch has failed
// failures times (5xx or a network error) gets another try, and after how
// long: up to --retries retries, each within --max-wait. No: the host is
// deferred.
func (p policy) robotsRetry(failures int, rnd func() float64) (time.Duration, bool) {
	wait := p.backoffFor(failures-1, rnd)
	return wait, failures <= p.retries && wait <= p.maxWait
}

// robotsDecision decides a lease whose host's robots.txt is unavailable
// (RFC 9309 §2.3.1.4: the host is fully disallowed meanwhile): a refusal
// that cannot succeed (address guard, no such name) fails it at once; a
// host out of robots.txt retries is deferred whole; otherwise the lease
// goes back to the queue and the host waits for the next robots.txt try.
func robotsDecision(r robotsResult) decision {
	switch {
	case r.final:
		return decision{outcome: frontier.Failed, reason: r.cause}
	case r.exhausted:
		return decision{outcome: frontier.Deferred, deferHost: true,
			reason: fmt.Sprintf("robots.txt unavailable (%s) after %d attempts", r.cause, r.failures)}
	}
	return decision{outcome: frontier.Release, notBefore: r.retryAt, reason: "robots.txt unavailable"}
}

// backoffFor is exponential with ±25% jitter, capped at maxBackoff. The cap
// applies after the jitter: --max-backoff is a bound on the wait itself.
func (p policy) backoffFor(attempt int, rnd func() float64) time.Duration {
	d := p.backoff << min(attempt, 20)
	if d <= 0 || d > p.maxBackoff {
		d = p.maxBackoff
	}
	if rnd != nil && d > 0 {
		d = time.Duration(float64(d) * (0.75 + 0.5*rnd()))
	}
	return min(d, p.maxBackoff)
}

// retryAfter parses a Retry-After value: delta-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, 1<<30)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
