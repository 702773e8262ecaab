package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/frontier/redisfrontier"
)

// A shared crawl keeps its frontier in Redis (package
// frontier/redisfrontier) and has several workers, each a process with its
// own directory and page store (worker.go). A worker's life, as `trawl
// crawl|resume --frontier` runs it:
//
//	LockWorker(dir)                       // held until the worker exits
//	sh, _ := DialShared(ctx, url, log)
//	sh.Join(ctx, name, &cfg, resume, set) // create the crawl or check against it
//	sh.Close()
//	w := NewWorker(url, name); WriteWorker(dir, w) // the first time only
//	c, _ := New(dir, cfg, WithSharedFrontier(SharedWorker{URL: url, Worker: w}))
//	c.Run(ctx) (or Resume once Exists(dir))
//
// and, when Run fails with an error that is Rejoinable, WaitShared and a
// new Crawler (SharedWorker.Rejoined) over the same directory.

// The Redis frontier is one of the crawler's frontiers.
var _ Frontier = (*redisfrontier.Frontier)(nil)

// SharedStatus is a shared crawl's state: its global counters, its
// crawl-wide settings and its live workers (Shared.Status).
type SharedStatus = redisfrontier.Status

// ErrNoSharedCrawl: the shared frontier holds no crawl of that name to
// join without seeds.
var ErrNoSharedCrawl = errors.New("no such shared crawl")

// ScopeMismatchError: a worker that joins a shared crawl with seeds must
// give the crawl's scope; Changed names the fields that differ
// (ScopeChanges).
type ScopeMismatchError struct {
	Crawl    string
	Frontier string // redacted
	Changed  []string
}

func (e *ScopeMismatchError) Error() string {
	return fmt.Sprintf("crawl %q in %s was started with a different scope (%s differ)", e.Crawl, e.Frontier, strings.Join(e.Changed, ", "))
}

// RedactedURL is a shared frontier's URL without its password, for
// messages and worker.json.
func RedactedURL(raw string) string { return redisfrontier.Redacted(raw) }

// ValidCrawlName checks the name of a shared crawl.
func ValidCrawlName(name string) error { return redisfrontier.ValidName(name) }

// Rejoinable reports whether a worker's Run or Resume failed because it
// lost its place in the shared crawl (a lost connection, a missed
// heartbeat): it should WaitShared and rejoin rather than exit. Nothing
// it committed is lost.
func Rejoinable(err error) bool { return redisfrontier.Rejoinable(err) }

// Shared is a connection to a shared frontier, for creating, joining and
// inspecting its crawls (a worker's frontier has a connection of its own).
type Shared struct {
	cl  *redis.Client
	url string
}

// DialShared connects to the shared frontier at rawURL
// (redis://[user:pass@]HOST:PORT/DB) and checks that it cannot evict keys;
// log, if not nil, is warned about weak persistence settings.
func DialShared(ctx context.Context, rawURL string, log *slog.Logger) (*Shared, error) {
	cl, err := redisfrontier.Dial(ctx, rawURL, log)
	if err != nil {
		return nil, err
	}
	return &Shared{cl: cl, url: rawURL}, nil
}

// Close closes the connection.
func (s *Shared) Close() error { return s.cl.Close() }

// Crawls lists the names of the frontier's crawls, sorted.
func (s *Shared) Crawls(ctx context.Context) ([]string, error) {
	return redisfrontier.Crawls(ctx, s.cl, s.url)
}

// Status reads crawl name's state; ok is false when there is no such crawl.
func (s *Shared) Status(ctx context.Context, name string) (st SharedStatus, ok bool, err error) {
	return redisfrontier.ReadStatus(ctx, s.cl, s.url, name)
}

// SharedSettings says which of the crawl-wide settings (Config.PerHost,
// Delay, MaxPages) a joining worker sets for every worker of the crawl;
// the others are the crawl's.
type SharedSettings struct{ PerHost, Delay, MaxPages bool }

// Join creates crawl name with c's scope and settings, or checks that c's
// scope is the existing crawl's (ScopeMismatchError; c with no seeds takes
// the crawl's scope, ErrNoSharedCrawl if there is none), and applies the
// settings set names. A resuming worker (resume) keeps its stored scope
// and only applies set. Either way c's crawl-wide settings become the
// crawl's.
func (s *Shared) Join(ctx context.Context, name string, c *Config, resume bool, set SharedSettings) error {
	if !resume {
		created, err := s.create(ctx, name, c)
		if err != nil {
			return err
		}
		if created {
			set = SharedSettings{} // its settings are c's
		}
	}
	if err := s.setGlobals(ctx, name, c, set); err != nil {
		return err
	}
	g, err := redisfrontier.ReadGlobals(ctx, s.cl, s.url, name)
	if err != nil {
		return err
	}
	c.PerHost, c.Delay, c.MaxPages = g.PerHost, g.Delay, g.MaxPages
	return nil
}

// create creates crawl name with c's scope unless it exists, and checks
// c's scope against an existing one's; c without seeds takes it first.
func (s *Shared) create(ctx context.Context, name string, c *Config) (created bool, err error) {
	if len(c.Seeds) == 0 {
		// Joining without seeds: the crawl's own scope.
		st, ok, err := s.Status(ctx, name)
		if err != nil {
			return false, err
		}
		if !ok || st.Config == nil {
			return false, fmt.Errorf("crawl %q in %s: %w", name, RedactedURL(s.url), ErrNoSharedCrawl)
		}
		var stored Config
		if err := json.Unmarshal(st.Config, &stored); err != nil {
			return false, fmt.Errorf("crawl %q: stored config: %w", name, err)
		}
		c.Seeds, c.MaxDepth, c.Scope, c.Include, c.Exclude = stored.Seeds, stored.MaxDepth, stored.Scope, stored.Include, stored.Exclude
		c.UserAgent, c.IgnoreRobots, c.FollowNofollow, c.FollowLinks = stored.UserAgent, stored.IgnoreRobots, stored.FollowNofollow, stored.FollowLinks
	}
	scope, _ := json.Marshal(c)
	created, stored, err := redisfrontier.Init(ctx, s.cl, s.url, name, scope,
		redisfrontier.Globals{PerHost: c.PerHost, Delay: c.Delay, MaxPages: c.MaxPages, RobotsGate: !c.IgnoreRobots,
			ShortestDepth: c.MaxDepth >= 0, MaxDepth: c.MaxDepth})
	if err != nil || created {
		return created, err
	}
	var sc Config
	if err := json.Unmarshal(stored, &sc); err != nil {
		return false, fmt.Errorf("crawl %q in %s: stored scope: %w", name, RedactedURL(s.url), err)
	}
	if changed := ScopeChanges(sc, *c); len(changed) > 0 {
		return false, &ScopeMismatchError{Crawl: name, Frontier: RedactedURL(s.url), Changed: changed}
	}
	return false, nil
}

// setGlobals changes the crawl-wide settings set names to c's.
func (s *Shared) setGlobals(ctx context.Context, name string, c *Config, set SharedSettings) error {
	var perHost *int
	var delay *time.Duration
	var maxPages *int64
	if set.PerHost {
		perHost = &c.PerHost
	}
	if set.Delay {
		delay = &c.Delay
	}
	if set.MaxPages {
		maxPages = &c.MaxPages
	}
	if perHost == nil && delay == nil && maxPages == nil {
		return nil
	}
	return redisfrontier.SetGlobals(ctx, s.cl, s.url, name, perHost, delay, maxPages)
}

// WaitShared dials the shared frontier at rawURL until it answers (it may
// be restarting and loading its AOF), for up to wait; log hears of each
// failed attempt. An error that is not Rejoinable ends the wait at once.
func WaitShared(ctx context.Context, rawURL string, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	pause := 50 * time.Millisecond
	for {
		cl, err := redisfrontier.Dial(ctx, rawURL, nil)
		if err == nil {
			cl.Close()
			return nil
		}
		if !Rejoinable(err) || time.Now().After(deadline) {
			return err
		}
		log.Warn("waiting for the shared frontier", "err", err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// SharedWorker is a worker's place in a shared crawl (WithSharedFrontier).
type SharedWorker struct {
	URL    string // the shared frontier (with its password, if any)
	Worker Worker // the directory's (ReadWorker, or NewWorker and WriteWorker)
	// LeaseTTL: a worker that stops heart-beating loses its leases after
	// this long (default 10s).
	LeaseTTL time.Duration
	// Rejoined is a worker that rejoins by itself after Run failed with a
	// Rejoinable error: the crawl's deferred URLs stay deferred, as they do
	// while any worker runs. Only a user's resume (any worker's) queues
	// every worker's deferred URLs again, as it does for a crawl in one
	// directory.
	Rejoined bool
}

// WithSharedFrontier makes the Crawler a worker of a shared crawl, which
// must exist (Shared.Join): its frontier is the shared one, its directory
// keeps its page store. The caller holds the directory's LockWorker.
func WithSharedFrontier(w SharedWorker) Option {
	return func(c *Crawler) {
		c.openFrontier = func(ctx context.Context, o frontier.Options) (Frontier, error) {
			// No time lookahead (Options.Lookahead): a lease's planned
			// start cannot follow a request of its host that another
			// process starts late. Leases taken ahead in a batch
			// (LeaseBatch) are spaced where it counts, when each request
			// is written: Begin and Rebegin reserve its start in Redis.
			f, err := redisfrontier.Open(ctx, redisfrontier.Options{URL: w.URL, Crawl: w.Worker.Crawl, WorkerID: w.Worker.WorkerID,
				LeaseTTL: w.LeaseTTL, BeforeCommit: o.BeforeCommit, Logger: c.log, LeaseBatch: redisfrontier.LeaseBatchFor(c.cfg.Concurrency),
				MaxAhead: redisfrontier.MaxAheadFor(c.cfg.Concurrency)})
			if err != nil {
				return nil, err
			}
			if w.Rejoined {
				return rejoined{f}, nil
			}
			return f, nil
		}
	}
}

// rejoined is the frontier of a SharedWorker.Rejoined.
type rejoined struct{ *redisfrontier.Frontier }

// RequeueDeferred leaves the deferred URLs deferred.
func (rejoined) RequeueDeferred(context.Context) (int, error) { return 0, nil }
