package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gocolly/colly/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
)

// Crawler runs one crawl in one state directory. Build it with New, attach
// callbacks, then call Crawl (which starts a new crawl or continues the
// directory's), or Run or Resume to choose. A Crawler runs once.
type Crawler struct {
	cfg      Config
	dir      string
	log      *slog.Logger
	reg      prometheus.Registerer
	dialer   func(ctx context.Context, network, addr string) (net.Conn, error)
	resolver fetch.Resolver

	// regMu guards the registrations below against each other and against
	// Run: once started is set (under regMu) they are never written again,
	// so the running crawl reads them without a lock.
	regMu          sync.RWMutex
	htmlCallbacks  []htmlCallback
	respCallbacks  []colly.ResponseCallback
	scrapedCbs     []colly.ScrapedCallback
	errCallbacks   []colly.ErrorCallback
	enqueueFilters []EnqueueFilter
	itemCallbacks  []func(Item)
	itemSink       io.Writer
	itemMu         sync.Mutex

	startOver bool // WithStartOver: Crawl discards the directory's crawl first
	started   atomic.Bool
	panics    atomic.Int64
	progress  func(Stats)
	// openFrontier replaces the bbolt frontier in dir (WithFrontier,
	// WithSharedFrontier); ctx is Run's.
	openFrontier func(context.Context, frontier.Options) (Frontier, error)
	// beforePublish, if set (tests only), runs before each manifest
	// publish, on the goroutine that publishes.
	beforePublish func()
}

type htmlCallback struct {
	selector string
	fn       colly.HTMLCallback
}

// EnqueueFilter decides whether a discovered URL is queued. It runs in the
// parse stage after scope and robots-independent filters have passed.
type EnqueueFilter func(url string, depth int, parent string) bool

// Item is one piece of user data emitted from a callback with Crawler.Emit.
type Item struct {
	URL  string `json:"url"`
	Data any    `json:"data"`
}

// Option configures a Crawler beyond its Config.
type Option func(*Crawler)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Crawler) { c.log = l } }

// WithMetrics registers the crawl's Prometheus metrics on reg.
func WithMetrics(reg prometheus.Registerer) Option { return func(c *Crawler) { c.reg = reg } }

// WithDialer replaces the network dialer (tests inject faults with it; the
// private-address guard still applies to what it is asked to dial).
func WithDialer(d func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Crawler) { c.dialer = d }
}

// WithResolver replaces name resolution (tests use it so they make no DNS
// queries); the private-address guard checks what it returns.
func WithResolver(r fetch.Resolver) Option { return func(c *Crawler) { c.resolver = r } }

// WithItemSink writes every emitted item as one JSON line to w.
func WithItemSink(w io.Writer) Option { return func(c *Crawler) { c.itemSink = w } }

// WithProgress calls fn about once a second with a stats snapshot (from the
// crawl's own goroutine; fn must be quick).
func WithProgress(fn func(Stats)) Option { return func(c *Crawler) { c.progress = fn } }

// New validates cfg and returns a Crawler for the state directory dir.
func New(dir string, cfg Config, opts ...Option) (*Crawler, error) {
	if dir == "" {
		return nil, configErr("state directory is empty")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Crawler{cfg: cfg, dir: dir, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Config returns the crawl's configuration.
func (c *Crawler) Config() Config { return c.cfg }

// Callbacks are registered before Run or Resume; registration is safe from
// several goroutines, and one made after the crawl started is ignored (and
// logged): the running crawl reads the lists without a lock. They run in
// the parse stage, on up to Config.ParseWorkers goroutines at once, never
// on a fetcher.

// register runs add under the registration lock unless the crawl started.
func (c *Crawler) register(what string, add func()) {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if c.started.Load() {
		c.log.Error("callback registered after the crawl started: ignored", "callback", what)
		return
	}
	add()
}

// start marks the Crawler as running, once; registrations stop here.
func (c *Crawler) start() bool {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	return c.started.CompareAndSwap(false, true)
}

// OnHTML registers fn for every element matching the goquery selector in
// each HTML page, exactly as colly's Collector.OnHTML. e.Request.Visit
// queues into the persistent frontier (scope and dedup apply). Unlike colly,
// e.Request.AbsoluteURL resolves against the page URL, not its <base href>
// (colly keeps the base in an unexported field); the links trawl extracts
// itself do honour <base>.
func (c *Crawler) OnHTML(selector string, fn colly.HTMLCallback) {
	c.register("OnHTML", func() { c.htmlCallbacks = append(c.htmlCallbacks, htmlCallback{selector, fn}) })
}

// OnResponse registers fn for every 2xx response, as colly's OnResponse.
func (c *Crawler) OnResponse(fn colly.ResponseCallback) {
	c.register("OnResponse", func() { c.respCallbacks = append(c.respCallbacks, fn) })
}

// OnError registers fn for every final failure and non-2xx response, as
// colly's OnError. The Response is never nil; its StatusCode is 0 for
// network errors.
func (c *Crawler) OnError(fn colly.ErrorCallback) {
	c.register("OnError", func() { c.errCallbacks = append(c.errCallbacks, fn) })
}

// OnScraped registers fn to run after the OnHTML callbacks of each 2xx HTML
// page, as colly's OnScraped.
func (c *Crawler) OnScraped(fn colly.ScrapedCallback) {
	c.register("OnScraped", func() { c.scrapedCbs = append(c.scrapedCbs, fn) })
}

// OnEnqueue registers a filter that may refuse a discovered URL.
func (c *Crawler) OnEnqueue(fn EnqueueFilter) {
	c.register("OnEnqueue", func() { c.enqueueFilters = append(c.enqueueFilters, fn) })
}

// OnItem registers fn for every item emitted with Emit. Emit runs it on
// the emitting callback's goroutine, so fn may run concurrently.
func (c *Crawler) OnItem(fn func(Item)) {
	c.register("OnItem", func() { c.itemCallbacks = append(c.itemCallbacks, fn) })
}

// Emit hands user data found on page url to the OnItem callbacks and the
// item sink. Safe to call from any callback.
func (c *Crawler) Emit(url string, data any) error {
	it := Item{URL: url, Data: data}
	c.regMu.RLock()
	fns := c.itemCallbacks
	c.regMu.RUnlock()
	for _, fn := range fns {
		fn(it)
	}
	if c.itemSink == nil {
		return nil
	}
	line, err := marshalLine(it)
	if err != nil {
		return fmt.Errorf("emit item from %s: %w", url, err)
	}
	c.itemMu.Lock()
	defer c.itemMu.Unlock()
	if _, err := c.itemSink.Write(line); err != nil {
		return fmt.Errorf("emit item from %s: %w", url, err)
	}
	return nil
}

// marshalLine is v as one JSON line (the item sink's format).
func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
