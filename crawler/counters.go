package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// metaCounters is the frontier metadata key of the crawl's counters.
const metaCounters = "counters"

// Reasons under which a URL is counted when its completion was committed
// but the crawl was killed before its reason was saved (the reasons are
// saved about once a second, the outcomes with every commit).
const reasonNotRecorded = "not-recorded"

// counters are the crawl's figures that the frontier does not keep itself:
// why URLs failed or were skipped, and how long the crawl has been running
// across all its runs. They are saved in the frontier's metadata (about
// once a second and at the end of a run) so that progress, the summary,
// status and status --json all report the whole crawl, not one run.
//
// A reason is counted only once its completion is durable, and saved
// through the same FIFO writer afterwards, so the saved reasons never
// exceed the frontier's committed outcomes; after a kill the difference is
// reported as reasonNotRecorded (reconcileReasons).
type counters struct {
	mu        sync.Mutex
	failedBy  map[string]int64
	skippedBy map[string]int64
	before    time.Duration // crawl time of the earlier runs
	// changes counts recrawl change classes of the pass changesPass.
	changes     map[string]int64
	changesPass int
	// linksDropped counts the links pages had past --max-links-per-page,
	// on pagesLinksDropped pages.
	linksDropped, pagesLinksDropped int64
}

// savedCounters is the metadata encoding of counters.
type savedCounters struct {
	FailedBy  map[string]int64 `json:"failed_by_reason,omitempty"`
	SkippedBy map[string]int64 `json:"skipped_by_reason,omitempty"`
	ElapsedNs int64            `json:"elapsed_ns"`
	Pass      int              `json:"pass,omitempty"`
	Changes   map[string]int64 `json:"pass_changes,omitempty"`
	// LinksDropped and PagesLinksDropped: see counters.linksDropped.
	LinksDropped      int64 `json:"links_dropped,omitempty"`
	PagesLinksDropped int64 `json:"pages_links_dropped,omitempty"`
}

// loadCounters reads the counters a previous run saved (none for a new
// crawl or one started before counters were saved).
func loadCounters(fr Frontier) (*counters, error) {
	c := &counters{failedBy: map[string]int64{}, skippedBy: map[string]int64{}}
	b, err := fr.Meta(metaCounters)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	if len(b) == 0 {
		return c, nil
	}
	var s savedCounters
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	for k, v := range s.FailedBy {
		c.failedBy[k] = v
	}
	for k, v := range s.SkippedBy {
		c.skippedBy[k] = v
	}
	c.before = time.Duration(s.ElapsedNs)
	c.linksDropped, c.pagesLinksDropped = s.LinksDropped, s.PagesLinksDropped
	c.changes, c.changesPass = s.Changes, s.Pass
	return c, nil
}

// count records the reason of a committed final outcome.
func (c *counters) count(o frontier.Outcome, reason string) {
	if reason == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch o {
	case frontier.Failed:
		c.failedBy[reason]++
	case frontier.Skipped:
		c.skippedBy[reason]++
	}
}

// countDropped records a committed page that dropped n links at the cap.
func (c *counters) countDropped(n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.linksDropped += int64(n)
	c.pagesLinksDropped++
}

// dropped returns the links dropped at the cap and the pages that did.
func (c *counters) dropped() (links, pages int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.linksDropped, c.pagesLinksDropped
}

// snapshot copies the reason maps.
func (c *counters) snapshot() (failed, skipped map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	failed = make(map[string]int64, len(c.failedBy))
	for k, v := range c.failedBy {
		failed[k] = v
	}
	skipped = make(map[string]int64, len(c.skippedBy))
	for k, v := range c.skippedBy {
		skipped[k] = v
	}
	return failed, skipped
}

// save stores the counters with the crawl's total running time.
func (c *counters) save(ctx context.Context, fr Frontier, elapsed time.Duration) error {
	failed, skipped := c.snapshot()
	links, pages := c.dropped()
	b, err := json.Marshal(savedCounters{FailedBy: failed, SkippedBy: skipped, ElapsedNs: int64(elapsed),
		Pass: c.changesPass, Changes: c.changesSnapshot(), LinksDropped: links, PagesLinksDropped: pages})
	if err != nil {
		return fmt.Errorf("save counters: %w", err)
	}
	if err := fr.SetMeta(ctx, metaCounters, b); err != nil {
		return fmt.Errorf("save counters: %w", err)
	}
	return nil
}

// reconcileReasons makes the reasons add up to the outcome counts: what
// committed outcomes lack a saved reason (a kill between a commit and the
// next save) is counted as reasonNotRecorded.
func reconcileReasons(s *Stats) {
	fix := func(m *map[string]int64, total int64) {
		var sum int64
		for k, v := range *m {
			if k != reasonNotRecorded {
				sum += v
			}
		}
		if sum < total {
			if *m == nil {
				*m = map[string]int64{}
			}
			(*m)[reasonNotRecorded] = total - sum
		} else {
			delete(*m, reasonNotRecorded)
		}
	}
	fix(&s.Errors, s.Failed)
	fix(&s.Skips, s.Skipped)
}

// rateWindow is the recent rate of fetched pages, for the ETA: the rate
// since the run started hides a crawl that has just slowed down.
type rateWindow struct {
	mu      sync.Mutex
	samples []rateSample // oldest first, at most rateWindowLen
}

type rateSample struct {
	at      time.Time
	handled int64
}

const rateWindowLen = 10 // samples, about a second apart

func (w *rateWindow) add(at time.Time, handled int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.samples = append(w.samples, rateSample{at, handled})
	if len(w.samples) > rateWindowLen {
		w.samples = w.samples[1:]
	}
}

// rate is pages per second over the window (0 with fewer than 2 samples).
func (w *rateWindow) rate() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.samples) < 2 {
		return 0
	}
	a, b := w.samples[0], w.samples[len(w.samples)-1]
	if dt := b.at.Sub(a.at).Seconds(); dt > 0 {
		return float64(b.handled-a.handled) / dt
	}
	return 0
}

// idleSampler says whether the per-host delay is what bounds the crawl:
// work is queued but no request is on the wire and no page waits to be
// parsed or committed, in most of the last few status ticks. That is the signature of a crawl waiting on
// its hosts' schedules (--delay or a robots.txt Crawl-delay), not on the
// network, the CPU or --concurrency.
type idleSampler struct {
	mu   sync.Mutex
	last []bool
}

const idleSamples = 3

// add records one tick; it reports true when at least two of the last
// three ticks found the crawl idle with work queued.
func (s *idleSampler) add(idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = append(s.last, idle)
	if len(s.last) > idleSamples {
		s.last = s.last[1:]
	}
	n := 0
	for _, v := range s.last {
		if v {
			n++
		}
	}
	return len(s.last) == idleSamples && n >= idleSamples-1
}

// forPass makes the change counts those of pass: counts saved for an
// earlier pass are dropped when a new pass starts.
func (c *counters) forPass(pass int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changesPass != pass || c.changes == nil {
		c.changes, c.changesPass = map[string]int64{}, pass
	}
}

// countChange records a committed page's recrawl change class.
func (c *counters) countChange(class string) {
	if class == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changes == nil {
		c.changes = map[string]int64{}
	}
	c.changes[class]++
}

// changesSnapshot copies the change counts (nil when there are none).
func (c *counters) changesSnapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.changes) == 0 {
		return nil
	}
	out := make(map[string]int64, len(c.changes))
	for k, v := range c.changes {
		out[k] = v
	}
	return out
}
