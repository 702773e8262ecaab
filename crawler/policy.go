package crawler

import (
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
	reason    string    // failure or retry reason
}

// policy turns an outcome into the frontier's next step. It is pure: now and
// the random source are parameters, so tests need no clock.
type policy struct {
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	delay      time.Duration // --delay
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
			return decision{outcome: frontier.Retry, retryAt: now.Add(p.backoffFor(attempt, rnd)), reason: reason}
		}
		return decision{outcome: frontier.Failed, reason: reason}
	}
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		wait, ok := retryAfter(hdr.Get("Retry-After"), now)
		if !ok {
			wait = p.backoffFor(attempt, rnd)
		}
		wait = min(wait, p.maxBackoff)
		d := decision{notBefore: now.Add(wait), reason: "HTTP " + strconv.Itoa(status)}
		if attempt < p.retries {
			d.outcome, d.retryAt = frontier.Retry, now.Add(wait)
		} else {
			d.outcome = frontier.Failed
		}
		return d
	case status >= 500:
		if attempt < p.retries {
			return decision{outcome: frontier.Retry, retryAt: now.Add(p.backoffFor(attempt, rnd)), reason: "HTTP " + strconv.Itoa(status)}
		}
		return decision{outcome: frontier.Failed, reason: "HTTP " + strconv.Itoa(status)}
	}
	return decision{outcome: frontier.Done}
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
