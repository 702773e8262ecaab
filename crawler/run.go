package crawler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"golang.org/x/sync/errgroup"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
	"github.com/trawl-crawler/trawl/storage"
)

// Sentinel errors the CLI branches on.
var (
	// ErrExists: Run was asked to start over a directory that holds a crawl.
	ErrExists = errors.New("directory already holds a crawl")
	// ErrAlreadyRun: a Crawler runs once.
	ErrAlreadyRun = errors.New("crawler already ran")
)

// commitWindow is how long the frontier's writer gathers completions into
// one transaction. Host request slots are freed at the last body byte
// (Frontier.ReleaseSlot), so commit latency costs only a slot in the durable
// semaphore (an encoded block each), while
// each commit costs page writes and two fsyncs: a wider window is cheaper.
const commitWindow = 100 * time.Microsecond

// leaseLookahead is how early the frontier may hand out a lease before its
// host's politeness time (frontier.Options.Lookahead): the fetcher starts,
// looks up robots.txt and then waits for Lease.Start, so the time between a
// lease and its request is not taken out of the gap the server sees. It
// only matters for hosts with a delay.
const leaseLookahead = 50 * time.Millisecond

// maxAwaitingCommit bounds completions submitted to the frontier and not
// yet durable. Each holds an encoded record (a few KB for a page); the
// bound is what makes a slow disk back up into the parse stage.
const maxAwaitingCommit = 4096

const (
	metaConfig = "config"
	metaState  = "state"
	metaStart  = "started_at"
)

// engine is one running crawl: the stages, the channels between them and the
// state they share. The shutdown order is written once, in run.
type engine struct {
	c     *Crawler
	cfg   Config
	dir   string
	fr    Frontier
	store *pageStore
	fc    *fetch.Client
	req   *requestShaper // headers, cookies and credentials per request
	scope *scope
	pol   policy
	rob   *robotsCache
	keys  *politenessKeys
	rnd   *jitterRand
	m     *metrics
	sm    sitemapState // --sitemaps (sitemaps.go)
	pass  int          // the crawl's current pass (recrawl.go): 0 for the first crawl

	bridge      *colly.Collector
	bridgeReq   *colly.Request
	parseCh     chan *fetched
	commitCh    chan *processed
	tokens      chan struct{} // one per lease being fetched or parsed (bodies in memory): concurrency + 4×workers
	mem         *byteBudget   // bytes of bodies and records in the pipeline
	durable     chan struct{} // one per encoded completion awaiting its commit (small blocks only)
	slots       chan struct{} // one per request on the wire: --concurrency
	wake        chan struct{}
	committed   chan struct{} // a checkpoint was committed (cap 1): the committer may publish
	outstanding atomic.Int64
	fetching    atomic.Int64
	pending     sync.WaitGroup // completions submitted, not yet durable
	fetchWG     sync.WaitGroup
	hardCtx     context.Context // cancelled only on a fatal error: in-flight fetches finish on stop
	hardCancel  context.CancelFunc
	fatal       atomic.Pointer[error]
	lastCP      atomic.Pointer[[]byte]
	finished    atomic.Bool
	startedAt   time.Time
	runStart    time.Time
	atStart     frontier.Stats // the counters when this run began
	counts      *counters      // reasons and crawl time, saved with the crawl
	window      rateWindow
	idle        idleSampler
	delayBound  atomic.Bool               // the host delay bounds the crawl (idleSampler)
	maxDelay    atomic.Int64              // largest host delay in force, ns
	limitHit    atomic.Bool               // --max-pages ended the run
	endedAt     atomic.Pointer[time.Time] // set by close: the run's figures stop there

	outcomes        outcomeLog
	deferredSummary deferredCache
	hostsMu         sync.Mutex
	active          map[string]int
}

// Run starts a new crawl in the Crawler's directory and blocks until it
// finishes, a limit is reached, or ctx is cancelled (a graceful stop: fetches
// in flight complete and are committed). It refuses a directory that holds a
// crawl (ErrExists); Discard clears one.
func (c *Crawler) Run(ctx context.Context) (Stats, error) { return c.run(ctx, false) }

// Resume continues the crawl in the Crawler's directory with its stored scope
// settings; the Crawler's operational settings (concurrency, delay, limits...)
// apply. Flags that would change scope are the caller's to refuse
// (ScopeChanges).
func (c *Crawler) Resume(ctx context.Context) (Stats, error) { return c.run(ctx, true) }

func (c *Crawler) run(ctx context.Context, resume bool) (st Stats, err error) {
	if !c.start() {
		return Stats{}, ErrAlreadyRun
	}
	e, err := c.open(resume)
	if err != nil {
		return Stats{}, err
	}
	defer func() {
		if cerr := e.close(); err == nil && cerr != nil {
			err = cerr
		}
		st = e.stats()
		st.State = e.finalState()
		st.ETASec, st.Bottleneck, st.InFlight, st.ActiveHosts = 0, "", 0, 0
		if werr := writeStatus(e.dir, st); err == nil && werr != nil {
			err = werr
		}
	}()
	c.log.Info("crawl starting", "dir", c.dir, "resume", resume, "seeds", len(e.cfg.Seeds),
		"queued", e.fr.Stats().Queued, "concurrency", e.cfg.Concurrency, "per_host", e.cfg.PerHost, "delay", e.cfg.Delay)

	// Shutdown order (the only place it is written):
	//  1. ctx cancelled or work done → the dispatcher stops leasing;
	//  2. in-flight fetches run to completion (bounded by --timeout), then the
	//     dispatcher closes parseCh;
	//  3. parse workers drain parseCh, then the last one closes commitCh;
	//  4. the committer drains commitCh, waits for every submitted completion
	//     to be durable, publishes the final manifest;
	//  5. close (deferred above): frontier writer flush, store close, status.
	g, gctx := errgroup.WithContext(ctx)
	stopCtx, stop := context.WithCancel(gctx)
	defer stop()
	g.Go(func() error { return e.dispatch(stopCtx) })
	workers := e.parseWorkers()
	var parseWG sync.WaitGroup
	for range workers {
		parseWG.Add(1)
		g.Go(func() error { defer parseWG.Done(); return e.parseLoop() })
	}
	g.Go(func() error { parseWG.Wait(); close(e.commitCh); return nil })
	g.Go(func() error { return e.commitLoop() })
	statusDone := make(chan struct{})
	go func() { defer close(statusDone); e.statusLoop(stopCtx) }()
	err = g.Wait()
	stop()
	<-statusDone
	if p := e.fatal.Load(); p != nil && err == nil {
		err = *p
	}
	st = e.stats()
	c.log.Info("crawl stopped", "state", e.finalState(), "done", st.Done, "failed", st.Failed,
		"queued", st.Queued, "deferred", st.Deferred, "bytes", st.BytesStored, "dur", time.Since(e.runStart).Round(time.Millisecond))
	if err == nil {
		err = e.allSeedsFailed(st)
	}
	return st, err
}

func (e *engine) finalState() string {
	if e.finished.Load() {
		return StateFinished
	}
	return StateInterrupted
}

// open prepares the state directory, frontier, store and fetch client.
func (c *Crawler) open(resume bool) (*engine, error) {
	d := stateDir(c.dir)
	if resume && !d.exists() {
		if d.halfInitialised() {
			return nil, fmt.Errorf("resume %s: the crawl was stopped while starting, before its seeds were committed; start it again with trawl crawl: %w", c.dir, ErrNoCrawl)
		}
		return nil, fmt.Errorf("resume %s: %w", c.dir, ErrNoCrawl)
	}
	if !resume && d.exists() {
		return nil, fmt.Errorf("%s: %w", c.dir, ErrExists)
	}
	if !resume && d.halfInitialised() {
		// Killed during a previous start, before crawl.json: nothing was
		// fetched, so starting over loses nothing.
		if err := d.discard(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	e := &engine{c: c, cfg: c.cfg, dir: c.dir, active: map[string]int{}, runStart: time.Now()}
	e.rnd = &jitterRand{r: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x7472617776))}
	e.store = &pageStore{}
	maxDepth := c.cfg.MaxDepth
	if resume {
		if err := finishPassStart(d); err != nil {
			return nil, err
		}
		var err error
		if maxDepth, err = storedMaxDepth(c.dir); err != nil {
			return nil, err
		}
	}
	fr, err := frontier.Open(d.frontierPath(), frontierDepth(frontier.Options{
		PerHost:       c.cfg.PerHost,
		Delay:         c.cfg.Delay,
		MaxBatchDelay: commitWindow,
		Lookahead:     leaseLookahead,
		BeforeCommit:  e.store.sync,
	}, maxDepth))
	if err != nil {
		return nil, fmt.Errorf("open frontier: %w", err)
	}
	e.fr = fr
	fail := func(err error) (*engine, error) { fr.Close(); return nil, err }

	if resume {
		stored, err := loadConfigMeta(fr)
		if err != nil {
			return fail(err)
		}
		// Scope settings come from the stored crawl; the rest from c.cfg.
		keepScope(&e.cfg, stored)
		e.cfg.Proxy = unredactProxy(e.cfg.Proxy, stored.Proxy)
		if stored.MaxDepth != maxDepth {
			return fail(fmt.Errorf("resume %s: %s says max_depth %d, the frontier %d", c.dir, configFile, maxDepth, stored.MaxDepth))
		}
		start, err := fr.Meta(metaStart)
		if err != nil {
			return fail(fmt.Errorf("read start time: %w", err))
		}
		if t, err := time.Parse(time.RFC3339Nano, string(start)); err == nil {
			e.startedAt = t
		}
		// Deferred work is what resume is for: it goes back in the queue.
		n, err := fr.RequeueDeferred(context.Background())
		if err != nil {
			return fail(err)
		}
		if n > 0 {
			c.log.Info("deferred URLs queued again", "urls", n)
		}
	}
	seeds := make([]string, 0, len(e.cfg.Seeds))
	for _, s := range e.cfg.Seeds {
		cs, err := links.Canonical(s, "")
		if err != nil {
			return fail(configErr("seed %q: %v", s, err))
		}
		seeds = append(seeds, cs)
	}
	e.scope = newScope(e.cfg, seeds)
	var resolver fetch.Resolver = net.DefaultResolver
	if c.resolver != nil {
		resolver = c.resolver
	}
	e.keys = newPolitenessKeys(e.cfg.PolitenessKey, resolver, e.cfg.ConnectTimeout)
	req, err := newRequestShaper(e.cfg, seeds, stateDir(c.dir).cookiesPath(), time.Now())
	if err != nil {
		return fail(err)
	}
	e.req = req
	if e.startedAt.IsZero() {
		e.startedAt = time.Now().UTC()
	}
	ctx := context.Background()
	if !resume {
		if err := fr.SetMeta(ctx, metaStart, []byte(e.startedAt.Format(time.RFC3339Nano))); err != nil {
			return fail(fmt.Errorf("store start time: %w", err))
		}
		items := make([]frontier.Item, 0, len(seeds))
		for _, s := range seeds {
			items = append(items, frontier.Item{URL: s, Host: e.keys.key(s), Depth: 0})
		}
		if _, err := fr.Add(ctx, items); err != nil {
			return fail(fmt.Errorf("queue seeds: %w", err))
		}
		// crawl.json last: its presence is what makes the directory a
		// started crawl (Exists), so a kill before here leaves a
		// half-initialised directory that the next crawl discards.
		if err := saveConfig(ctx, c.dir, fr, e.cfg); err != nil {
			return fail(err)
		}
	}
	if err := fr.SetMeta(ctx, metaState, []byte(StateRunning)); err != nil {
		return fail(fmt.Errorf("store state: %w", err))
	}
	st, err := storage.Open(d.pagesPath(), fr.Checkpoint(), storage.Options{NoDedup: e.cfg.NoDedup})
	if err != nil {
		return fail(fmt.Errorf("open page store: %w", err))
	}
	e.store.set(st)
	if cp := fr.Checkpoint(); cp != nil {
		e.lastCP.Store(&cp)
		if err := st.Publish(cp); err != nil {
			st.Close()
			return fail(fmt.Errorf("publish manifest: %w", err))
		}
	}
	fopts := fetch.Options{
		UserAgent:      e.cfg.UserAgent,
		Timeout:        e.cfg.Timeout,
		ConnectTimeout: e.cfg.ConnectTimeout,
		StallTimeout:   e.cfg.StallTimeout,
		MaxBody:        e.cfg.MaxBody,
		ProxyFromEnv:   e.cfg.ProxyFromEnv,
		AllowPrivate:   e.cfg.AllowPrivate,
		MaxConns:       e.cfg.Concurrency,
		DialContext:    c.dialer,
		Resolver:       c.resolver,
	}
	if e.cfg.Proxy != "" {
		pu, err := parseProxy(e.cfg.Proxy)
		if err != nil {
			st.Close()
			return fail(err)
		}
		fopts.Proxy = pu
	}
	fc, err := fetch.New(fopts)
	if err != nil {
		st.Close()
		return fail(fmt.Errorf("fetch client: %w", err))
	}
	e.fc = fc
	e.pol = policy{retries: e.cfg.Retries, backoff: e.cfg.RetryBackoff, maxBackoff: e.cfg.MaxBackoff, delay: e.cfg.Delay, maxWait: e.cfg.MaxWait}
	e.rob = newRobotsCache(fr, fc, e.cfg.UserAgent, func(n int) (time.Duration, bool) { return e.pol.robotsRetry(n, e.rnd.Float64) })
	if err := e.initBridge(); err != nil {
		e.close()
		return nil, err
	}
	workers := e.parseWorkers()
	capacity := e.cfg.Concurrency + 4*workers
	e.tokens = make(chan struct{}, capacity)
	e.durable = make(chan struct{}, maxAwaitingCommit)
	e.slots = make(chan struct{}, e.cfg.Concurrency)
	e.parseCh = make(chan *fetched, capacity)
	e.commitCh = make(chan *processed, 4*workers)
	e.wake = make(chan struct{}, 1)
	e.mem = newByteBudget(maxPipelineBytes, e.signal)
	e.committed = make(chan struct{}, 1)
	e.hardCtx, e.hardCancel = context.WithCancel(context.Background())
	e.m = newMetrics(c.reg, e)
	e.atStart = fr.Stats()
	if e.counts, err = loadCounters(fr); err != nil {
		e.close()
		return nil, err
	}
	if e.pass, err = loadPass(fr); err != nil {
		e.close()
		return nil, err
	}
	e.counts.forPass(e.pass)
	return e, nil
}

func (e *engine) close() error {
	var errs []error
	if e.hardCancel != nil {
		e.hardCancel()
	}
	if e.fc != nil {
		e.fc.Close()
	}
	if err := e.req.save(time.Now()); err != nil {
		errs = append(errs, err)
	}
	state := StateInterrupted
	if e.finished.Load() {
		state = StateFinished
	}
	end := time.Now()
	e.endedAt.Store(&end)
	if e.counts != nil {
		if err := e.counts.save(context.Background(), e.fr, e.elapsed()); err != nil && e.fatal.Load() == nil {
			errs = append(errs, err)
		}
	}
	if err := e.fr.SetMeta(context.Background(), metaState, []byte(state)); err != nil && e.fatal.Load() == nil {
		errs = append(errs, fmt.Errorf("store state: %w", err))
	}
	if err := e.fr.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close frontier: %w", err))
	}
	if err := e.store.close(); err != nil {
		errs = append(errs, fmt.Errorf("close page store: %w", err))
	}
	return errors.Join(errs...)
}

// fail records the first fatal error and stops everything.
func (e *engine) fail(err error) {
	if e.fatal.CompareAndSwap(nil, &err) {
		e.c.log.Error("crawl failing", "err", err)
		e.hardCancel()
		e.signal()
	}
}

func (e *engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// pageStore is the page store as the frontier's writer sees it: the
// BeforeCommit hook (Sync, on the writer goroutine) may run before the
// store is open, and concurrently with the committer's Append, which
// storage.Store allows.
type pageStore struct {
	p atomic.Pointer[storage.Store]
}

func (l *pageStore) set(st *storage.Store) { l.p.Store(st) }

func (l *pageStore) sync() error {
	if st := l.p.Load(); st != nil {
		return st.Sync()
	}
	return nil
}

func (l *pageStore) append(b storage.Block) ([]byte, error) { return l.p.Load().Append(b) }

// dedup makes rec a reference to an identical stored body (storage.Store.Dedup).
func (l *pageStore) dedup(rec *storage.Record) bool {
	if st := l.p.Load(); st != nil {
		return st.Dedup(rec)
	}
	return false
}

func (l *pageStore) publish(cp []byte) error {
	if st := l.p.Load(); st != nil {
		return st.Publish(cp)
	}
	return nil
}

func (l *pageStore) close() error {
	if st := l.p.Swap(nil); st != nil {
		return st.Close()
	}
	return nil
}

// parseWorkers is the parse stage's size: Config.ParseWorkers, or the CPUs.
func (e *engine) parseWorkers() int {
	if e.cfg.ParseWorkers > 0 {
		return e.cfg.ParseWorkers
	}
	return runtime.GOMAXPROCS(0)
}
