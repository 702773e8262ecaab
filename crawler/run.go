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
	e, err := c.open(ctx, resume)
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

// open prepares the state directory, frontier, store and fetch client,
// step by step (a new crawl's start commit runs beside the store's
// creation: commitStart); if a step fails, what the earlier ones opened is
// closed again (closeOpened) and nothing of the crawl's state changes
// beyond what the step itself committed.
func (c *Crawler) open(ctx context.Context, resume bool) (e *engine, err error) {
	d := stateDir(c.dir)
	if err := prepareDir(d, resume); err != nil {
		return nil, err
	}
	e = &engine{c: c, cfg: c.cfg, dir: c.dir, active: map[string]int{}, runStart: time.Now()}
	e.rnd = &jitterRand{r: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x7472617776))}
	e.store = &pageStore{}
	defer func() {
		if err != nil {
			e.closeOpened()
			e = nil
		}
	}()
	if err := e.openFrontier(ctx, d, resume); err != nil {
		return e, err
	}
	seeds, err := e.initScope(d)
	if err != nil {
		return e, err
	}
	// The start's frontier commits and the page store's creation are
	// independent (the store opens at the frontier's checkpoint, which
	// commitStart does not move): their fsyncs overlap.
	var start errgroup.Group
	start.Go(func() error { return e.commitStart(resume, seeds) })
	start.Go(func() error { return e.openStore(d) })
	if err := start.Wait(); err != nil {
		return e, err
	}
	if err := e.openFetch(); err != nil {
		return e, err
	}
	if err := e.initBridge(); err != nil {
		return e, err
	}
	e.initPipeline()
	if e.counts, err = loadCounters(e.fr); err != nil {
		return e, err
	}
	if e.pass, err = loadPass(e.fr); err != nil {
		return e, err
	}
	e.counts.forPass(e.pass)
	return e, nil
}

// prepareDir checks that dir holds what the command expects (a crawl to
// resume, or none to start) and creates it. A directory killed during an
// earlier start, before its seeds were committed, is discarded for a new
// crawl: nothing was fetched, so starting over loses nothing.
func prepareDir(d stateDir, resume bool) error {
	if resume && !d.exists() {
		if d.halfInitialised() {
			return fmt.Errorf("resume %s: the crawl was stopped while starting, before its seeds were committed; start it again with trawl crawl: %w", d, ErrNoCrawl)
		}
		return fmt.Errorf("resume %s: %w", d, ErrNoCrawl)
	}
	if !resume && d.exists() {
		return fmt.Errorf("%s: %w", d, ErrExists)
	}
	if !resume && d.halfInitialised() {
		if err := d.discard(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	return nil
}

// openFrontier opens the frontier and, on resume, takes the stored
// crawl's scope settings and start time.
func (e *engine) openFrontier(ctx context.Context, d stateDir, resume bool) error {
	maxDepth := e.cfg.MaxDepth
	if resume {
		if e.c.openFrontier == nil { // recrawl passes are the bbolt frontier's
			if err := finishPassStart(d); err != nil {
				return err
			}
		}
		var err error
		if maxDepth, err = storedMaxDepth(string(d)); err != nil {
			return err
		}
	}
	fr, err := e.c.frontierOpener()(ctx, frontierDepth(frontier.Options{
		PerHost:       e.cfg.PerHost,
		Delay:         e.cfg.Delay,
		MaxBatchDelay: commitWindow,
		Lookahead:     leaseLookahead,
		BeforeCommit:  e.store.sync,
	}, maxDepth))
	if err != nil {
		return fmt.Errorf("open frontier: %w", err)
	}
	e.fr = fr
	if !resume {
		return nil
	}
	stored, err := loadConfigMeta(fr)
	if err != nil {
		return err
	}
	keepScope(&e.cfg, stored) // scope from the stored crawl; the rest from this run's config
	e.cfg.Proxy = unredactProxy(e.cfg.Proxy, stored.Proxy)
	if stored.MaxDepth != maxDepth {
		return fmt.Errorf("resume %s: %s says max_depth %d, the frontier %d", d, configFile, maxDepth, stored.MaxDepth)
	}
	start, err := fr.Meta(metaStart)
	if err != nil {
		return fmt.Errorf("read start time: %w", err)
	}
	if t, err := time.Parse(time.RFC3339Nano, string(start)); err == nil {
		e.startedAt = t
	}
	// Deferred work is what resume is for: it goes back in the queue.
	n, err := fr.RequeueDeferred(context.Background())
	if err != nil {
		return err
	}
	if n > 0 {
		e.c.log.Info("deferred URLs queued again", "urls", n)
	}
	return nil
}

// initScope canonicalises the seeds and builds what decides where URLs go:
// the scope, the politeness keys and the request shaper.
func (e *engine) initScope(d stateDir) ([]string, error) {
	seeds := make([]string, 0, len(e.cfg.Seeds))
	for _, s := range e.cfg.Seeds {
		cs, err := links.Canonical(s, "")
		if err != nil {
			return nil, configErr("seed %q: %v", s, err)
		}
		seeds = append(seeds, cs)
	}
	e.scope = newScope(e.cfg, seeds)
	var resolver fetch.Resolver = net.DefaultResolver
	if e.c.resolver != nil {
		resolver = e.c.resolver
	}
	e.keys = newPolitenessKeys(e.cfg.PolitenessKey, resolver, e.cfg.ConnectTimeout)
	req, err := newRequestShaper(e.cfg, seeds, d.cookiesPath(), time.Now())
	if err != nil {
		return nil, err
	}
	e.req = req
	return seeds, nil
}

// commitStart commits a new crawl's start (start time, seeds, stored
// config and the running state, then crawl.json, which makes the
// directory a started crawl) and marks the crawl running. The frontier
// writes are submitted together so they usually share one group commit:
// their order does not matter, only that all are durable before crawl.json.
func (e *engine) commitStart(resume bool, seeds []string) error {
	if e.startedAt.IsZero() {
		e.startedAt = time.Now().UTC()
	}
	ctx := context.Background()
	var g errgroup.Group
	g.Go(func() error {
		if err := e.fr.SetMeta(ctx, metaState, []byte(StateRunning)); err != nil {
			return fmt.Errorf("store state: %w", err)
		}
		return nil
	})
	if resume {
		return g.Wait()
	}
	g.Go(func() error {
		if err := e.fr.SetMeta(ctx, metaStart, []byte(e.startedAt.Format(time.RFC3339Nano))); err != nil {
			return fmt.Errorf("store start time: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		items := make([]frontier.Item, 0, len(seeds))
		for _, s := range seeds {
			items = append(items, frontier.Item{URL: s, Host: e.keys.key(s), Depth: 0})
		}
		if _, err := e.fr.Add(ctx, items); err != nil {
			return fmt.Errorf("queue seeds: %w", err)
		}
		return nil
	})
	g.Go(func() error { return storeConfig(ctx, e.fr, e.cfg) })
	if err := g.Wait(); err != nil {
		return err
	}
	// crawl.json last: its presence is what makes the directory a
	// started crawl (Exists), so a kill before here leaves a
	// half-initialised directory that the next crawl discards.
	return writeConfigFile(e.dir, e.cfg)
}

// openStore opens the page store, truncated to the frontier's committed
// checkpoint, and republishes its manifest there.
func (e *engine) openStore(d stateDir) error {
	st, err := storage.Open(d.pagesPath(), e.fr.Checkpoint(), storage.Options{NoDedup: e.cfg.NoDedup})
	if err != nil {
		return fmt.Errorf("open page store: %w", err)
	}
	e.store.set(st)
	if cp := e.fr.Checkpoint(); cp != nil {
		e.lastCP.Store(&cp)
		if err := st.Publish(cp); err != nil {
			return fmt.Errorf("publish manifest: %w", err)
		}
	}
	return nil
}

// openFetch builds the fetch client, the retry policy and the robots cache.
func (e *engine) openFetch() error {
	fopts := fetch.Options{
		UserAgent:      e.cfg.UserAgent,
		Timeout:        e.cfg.Timeout,
		ConnectTimeout: e.cfg.ConnectTimeout,
		StallTimeout:   e.cfg.StallTimeout,
		MaxBody:        e.cfg.MaxBody,
		ProxyFromEnv:   e.cfg.ProxyFromEnv,
		AllowPrivate:   e.cfg.AllowPrivate,
		MaxConns:       e.cfg.Concurrency,
		DialContext:    e.c.dialer,
		Resolver:       e.c.resolver,
	}
	if e.cfg.Proxy != "" {
		pu, err := parseProxy(e.cfg.Proxy)
		if err != nil {
			return err
		}
		fopts.Proxy = pu
	}
	fc, err := fetch.New(fopts)
	if err != nil {
		return fmt.Errorf("fetch client: %w", err)
	}
	e.fc = fc
	e.pol = policy{retries: e.cfg.Retries, backoff: e.cfg.RetryBackoff, maxBackoff: e.cfg.MaxBackoff, delay: e.cfg.Delay, maxWait: e.cfg.MaxWait}
	e.rob = newRobotsCache(e.fr, fc, e.cfg.UserAgent, func(n int) (time.Duration, bool) { return e.pol.robotsRetry(n, e.rnd.Float64) })
	return nil
}

// initPipeline sizes the stages' bounds (see docs/ARCHITECTURE.md,
// Backpressure).
func (e *engine) initPipeline() {
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
	e.m = newMetrics(e.c.reg, e)
	e.atStart = e.fr.Stats()
}

// closeOpened releases what a failed open had opened, without recording a
// state: the crawl never ran.
func (e *engine) closeOpened() {
	if e.fc != nil {
		e.fc.Close()
	}
	e.store.close()
	if e.fr != nil {
		e.fr.Close()
	}
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
	// The counters and the final state are submitted together (usually
	// one group commit, not two): either order is consistent after a kill.
	var saves sync.WaitGroup
	var countsErr, stateErr error
	if e.counts != nil {
		saves.Go(func() { countsErr = e.counts.save(context.Background(), e.fr, e.elapsed()) })
	}
	saves.Go(func() {
		if err := e.fr.SetMeta(context.Background(), metaState, []byte(state)); err != nil {
			stateErr = fmt.Errorf("store state: %w", err)
		}
	})
	saves.Wait()
	if err := errors.Join(countsErr, stateErr); err != nil && e.fatal.Load() == nil {
		errs = append(errs, err)
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
