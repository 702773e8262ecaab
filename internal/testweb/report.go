package testweb

import "time"

// Report is a snapshot of what the judge recorded since Start or Reset.
type Report struct {
	Requests           int64                    // all requests incl. robots.txt
	RobotsRequests     map[string]int           // host → robots.txt requests
	PerURL             map[string]int           // canonical URL → requests (robots.txt excluded)
	Final              map[string]int           // canonical URL → status of its last answer
	Duplicates         []string                 // URLs requested again after a non-transient answer
	RobotsViolations   []string                 // disallowed for "trawl", or requested before the host's robots.txt was answered
	MaxInFlight        map[string]int           // host → max concurrent requests (robots included)
	MinGap             map[string]time.Duration // host → min gap between request starts; absent if < 2 requests
	CrawlDelay         map[string]time.Duration // host → Crawl-delay its robots.txt gives "trawl" (absent if none)
	TrapRequests       int                      // requests under /cal/
	NofollowViolations []string                 // requests for URLs reachable only through nofollow
	Bytes              int64                    // response body bytes written
}

// Check compares r with expected and the politeness limits and returns
// human-readable problems; an empty result is a pass.
func (r Report) Check(expected map[string]int, perHost int, delay time.Duration, maxTrap int) []string {
	return nil
}
