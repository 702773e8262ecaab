package crawler

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrScopeChanged: Crawl found a crawl in its directory whose scope
// settings (seeds, scope, depth, filters, user agent...) differ from the
// Crawler's Config. Continuing it would silently ignore the new settings;
// WithStartOver discards it instead.
var ErrScopeChanged = errors.New("the directory holds a crawl with other scope settings")

// ErrRunning: the crawl in the directory is being run by another process.
var ErrRunning = errors.New("the crawl is running in another process")

// WithStartOver makes Crawl discard the crawl state already in the
// directory (pages, frontier, status) and start a new crawl from the
// Config's seeds.
func WithStartOver() Option { return func(c *Crawler) { c.startOver = true } }

// Crawl runs the crawl in the Crawler's directory, whatever the directory
// holds, so that the same program can simply be run again:
//
//   - nothing: a new crawl from Config.Seeds starts (as Run);
//   - a crawl stopped before its end (ctx cancelled, Ctrl-C, a crash,
//     kill -9): it continues where it stopped (as Resume), fetching no
//     committed page again;
//   - a finished crawl: Resume finds nothing to do and Crawl returns its
//     figures at once; WithStartOver crawls again from scratch;
//   - a crawl with other scope settings than Config: ErrScopeChanged
//     (WithStartOver discards it).
//
// Limits and politeness (MaxPages, Concurrency, PerHost, Delay...) are
// the Config's on every run: raising MaxPages continues a crawl that
// stopped at its limit.
func (c *Crawler) Crawl(ctx context.Context) (Stats, error) {
	d := stateDir(c.dir)
	if c.startOver && (d.exists() || d.halfInitialised()) {
		if st, err := ReadStatus(c.dir); err == nil && st.State == StateRunning {
			return Stats{}, fmt.Errorf("start over %s: process %d: %w", c.dir, st.PID, ErrRunning)
		}
		if err := Discard(c.dir); err != nil {
			return Stats{}, err
		}
	}
	if !d.exists() {
		return c.Run(ctx)
	}
	stored, err := LoadConfig(c.dir)
	if err != nil {
		return Stats{}, err
	}
	if changed := ScopeChanges(stored, c.cfg); len(changed) > 0 {
		return Stats{}, fmt.Errorf("%s: %s differ from the stored crawl's (WithStartOver discards it): %w",
			c.dir, strings.Join(changed, ", "), ErrScopeChanged)
	}
	return c.Resume(ctx)
}
