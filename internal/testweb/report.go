package testweb

import (
	"fmt"
	"sort"
	"time"
)

// Report is a snapshot of what the judge recorded since Start or Reset.
type Report struct {
	Requests           int64                    // all requests incl. robots.txt
	RobotsRequests     map[string]int           // host → robots.txt requests
	PerURL             map[string]int           // canonical URL → requests (robots.txt excluded)
	Final              map[string]int           // canonical URL → status of its last answer (0: abandoned before an answer)
	Duplicates         []string                 // URLs requested again after an answer that was not a deliberate transient 5xx/429
	RobotsViolations   []string                 // disallowed for "trawl", or requested before the host's robots.txt got a non-5xx answer
	MaxInFlight        map[string]int           // host → max concurrent requests (robots included)
	MinGap             map[string]time.Duration // host → min gap between request starts (robots included); absent if < 2 requests
	CrawlDelay         map[string]time.Duration // host → Crawl-delay its robots.txt gives "trawl"; absent if none
	TrapRequests       int                      // requests under /cal/
	NofollowViolations []string                 // requests for URLs reachable only through nofollow
	Bytes              int64                    // response body bytes written
}

// maxListed bounds how many URLs one kind of problem lists.
const maxListed = 15

// Check compares r with expected and the politeness limits and returns
// human-readable problems; an empty result is a pass. It reports missing
// expected URLs, final statuses that differ from expected, unexpected URLs
// (not in expected, not trap, not robots.txt), duplicates, robots and
// nofollow violations, MaxInFlight above perHost (if perHost > 0), MinGap
// below delay or the host's larger Crawl-delay (less a slack of a tenth:
// a gap is timed at the server, so a request whose write was delayed by the
// scheduler shortens the next gap; on a loaded 2-core machine that was 15 ms
// of a 300 ms Crawl-delay, while a politeness bug gives a gap of the wrong
// size, not a tenth short), and more than maxTrap trap requests.
func (r Report) Check(expected map[string]int, perHost int, delay time.Duration, maxTrap int) []string {
	var probs []string
	list := func(what string, urls []string) {
		sort.Strings(urls)
		for i, u := range urls {
			if i == maxListed {
				probs = append(probs, fmt.Sprintf("%s: … and %d more", what, len(urls)-maxListed))
				break
			}
			probs = append(probs, what+": "+u)
		}
	}
	var missing, wrong, unexpected []string
	for u, want := range expected {
		switch got, ok := r.Final[u]; {
		case r.PerURL[u] == 0:
			missing = append(missing, fmt.Sprintf("%s (want %d)", u, want))
		case ok && got != want:
			wrong = append(wrong, fmt.Sprintf("%s (got %d, want %d)", u, got, want))
		}
	}
	for u, n := range r.PerURL {
		if _, ok := expected[u]; !ok && !isTrapURL(u) {
			unexpected = append(unexpected, fmt.Sprintf("%s (%d requests)", u, n))
		}
	}
	list("missing", missing)
	list("final status", wrong)
	list("unexpected", unexpected)
	list("duplicate", append([]string(nil), r.Duplicates...))
	list("robots violation", append([]string(nil), r.RobotsViolations...))
	list("nofollow violation", append([]string(nil), r.NofollowViolations...))
	for _, h := range sortedKeys(r.MaxInFlight) {
		if m := r.MaxInFlight[h]; perHost > 0 && m > perHost {
			probs = append(probs, fmt.Sprintf("host %s: %d requests in flight, limit %d", h, m, perHost))
		}
	}
	for _, h := range sortedKeys(r.MinGap) {
		want := max(delay, r.CrawlDelay[h])
		if g := r.MinGap[h]; want > 0 && g < want-want/10 {
			probs = append(probs, fmt.Sprintf("host %s: requests %v apart, want at least %v", h, g, want))
		}
	}
	if r.TrapRequests > maxTrap {
		probs = append(probs, fmt.Sprintf("trap: %d requests, limit %d", r.TrapRequests, maxTrap))
	}
	return probs
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
