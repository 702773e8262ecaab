package crawler

import (
	"context"
	"fmt"

	"github.com/trawl-crawler/trawl/frontier"
)

// WithFrontier makes the crawl use the Frontier that open returns instead
// of the bbolt file in its directory: a shared frontier (package
// frontier/redisfrontier) lets several processes crawl together, each with
// its own page store in its own directory. open receives the options the
// engine would give the bbolt frontier (politeness, the BeforeCommit hook
// that fsyncs the page store); it honours what it supports. The page store
// is truncated to open's Frontier.Checkpoint, so that checkpoint must be
// this process's own.
func WithFrontier(open func(frontier.Options) (Frontier, error)) Option {
	return func(c *Crawler) {
		c.openFrontier = func(_ context.Context, o frontier.Options) (Frontier, error) { return open(o) }
	}
}

// frontierOpener is WithFrontier's or WithSharedFrontier's opener, or the
// bbolt file in dir.
func (c *Crawler) frontierOpener() func(context.Context, frontier.Options) (Frontier, error) {
	if c.openFrontier != nil {
		return c.openFrontier
	}
	return func(_ context.Context, o frontier.Options) (Frontier, error) {
		f, err := frontier.Open(stateDir(c.dir).frontierPath(), o)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
}

// starter is implemented by a shared frontier whose leases live only as
// long as this process keeps renewing them: MayStart fails once a request
// started now could outlive the lease (another process may then hold it).
type starter interface{ MayStart() error }

// mayStart checks, just before a lease's first request, that the frontier
// still lets this process start requests; if not, the crawl stops (the
// lease may belong to another process by now).
func (e *engine) mayStart() error {
	s, ok := e.fr.(starter)
	if !ok {
		return nil
	}
	if err := s.MayStart(); err != nil {
		err = fmt.Errorf("frontier: %w", err)
		e.fail(err)
		return err
	}
	return nil
}
