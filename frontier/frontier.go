package frontier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/trawl-crawler/trawl/internal/fpset"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune a Frontier. Zero values take the defaults noted.
type Options struct {
	OpenTimeout   time.Duration // bbolt lock wait before ErrLocked; default 1s
	MaxBatch      int           // max completions per group commit; default 1024
	MaxBatchDelay time.Duration // max wait to fill a batch; default 2ms
	NoSync        bool          // bbolt NoSync (benchmarks/tests only)
	PerHost       int           // max leases in flight per host; default 2
	Delay         time.Duration // min gap between request starts for one host; default 0. A host's own Delay (crawl-delay) raises it.
	// Lookahead lets Next hand out a lease up to this long before its
	// host's next-allowed time; the lease's Start says when its request may
	// begin. The time between a lease and its request (a goroutine start,
	// a robots.txt lookup) is then spent before Start, not added to the
	// gap the server sees. Default 0.
	Lookahead    time.Duration
	BeforeCommit func() error // called by the writer just before each bbolt commit (the crawler fsyncs its page store here); an error aborts that batch and fails its callers
	// ShortestDepth keeps, per URL, the smallest depth it was added at
	// (see Item): the crawl has a depth limit. It costs 5 bytes a URL of
	// memory (the seen-set's payloads). Without it a URL keeps the depth
	// of its first Add: with no depth limit, depth changes nothing that is
	// fetched.
	ShortestDepth bool
	// MaxDepth is the crawl's depth limit, with ShortestDepth: a fetched
	// page lowered to a depth still past MaxDepth is not handed out for
	// re-extraction (its links and redirect would lie past the limit).
	MaxDepth int
}

func (o Options) withDefaults() Options {
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.MaxBatchDelay <= 0 {
		o.MaxBatchDelay = 2 * time.Millisecond
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	return o
}

// Frontier is every URL a crawl knows, its state, and when each host may be
// fetched next, kept in one bbolt file. All methods are safe for concurrent
// use.
type Frontier struct {
	db    *bolt.DB
	path  string
	opts  Options
	epoch uint64
	w     *writer
	seen  *fpset.Set // owned by the writer once Open returns

	mu         sync.Mutex
	closed     bool
	broken     error // first commit error; every later call returns it
	hosts      map[string]*host
	ready      hostHeap
	inflight   map[uint64]inflight // leased seq -> its host and queue entry
	leaseGen   uint64              // the last inflight.gen handed out
	onWire     map[uint64]bool     // leased seqs still holding their host's request slot (until ReleaseSlot)
	awaiting   []*host             // hosts out of the schedule until the writer's next apply
	leasedSeq  map[string]uint64   // leased URL -> seq (Complete finds the record without the index)
	stats      Stats               // committed counters, plus eager lease deltas
	checkpoint []byte
	appliedTx  int // id of the last write txn whose effects are in memory

	// Fetched pages whose links must be extracted again (lowered depth),
	// as in the reparse bucket: reparseQ waits for Next (a stack: Next
	// pops the last, so the indexes in reparseAt stay valid), reparseAt
	// maps each seq in reparseQ to its index, reparsing maps each one
	// handed out (URL) to its seq until its completion is applied.
	reparseQ  []reparseItem
	reparseAt map[uint64]int
	reparsing map[string]uint64
}

// Open opens the frontier at path, creating it if missing. It starts a new
// epoch and, in one transaction before returning, puts every lease of an
// older epoch back to queued.
func Open(path string, opts Options) (*Frontier, error) {
	opts = opts.withDefaults()
	db, err := openBolt(path, opts)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, lockedError(path)
		}
		if errors.Is(err, ErrNotFrontier) {
			return nil, fmt.Errorf("open frontier %s: %w", path, err)
		}
		return nil, fmt.Errorf("open frontier %s: %w: %w", path, ErrNotFrontier, err)
	}
	f := &Frontier{
		db:        db,
		path:      path,
		opts:      opts,
		hosts:     make(map[string]*host),
		inflight:  make(map[uint64]inflight),
		onWire:    make(map[uint64]bool),
		leasedSeq: make(map[string]uint64),
		seen:      fpset.New(opts.ShortestDepth),
		reparseAt: make(map[uint64]int),
		reparsing: make(map[string]uint64),
	}
	if err := guard(f.recover); err != nil {
		db.Close()
		f.seen.Free()
		return nil, fmt.Errorf("open frontier %s: %w", path, err)
	}
	// recover read the seen log, the hosts, the queue keys and whatever a migration touched
	// through bbolt's map: drop those pages from RSS before work starts.
	_ = dropMapped(db)
	if err := os.WriteFile(path+".pid", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		db.Close()
		f.seen.Free()
		return nil, fmt.Errorf("open frontier %s: write pid file: %w", path, err)
	}
	f.w = startWriter(f)
	return f, nil
}

// openBolt opens the bbolt file. bbolt panics on some damaged files (a
// truncated tree: "freepages: failed to get all reachable pages"), partly in
// goroutines of its own: checkFileSize catches truncation first, and a panic
// on this goroutine is reported as an error naming the damage.
func openBolt(path string, opts Options) (db *bolt.DB, err error) {
	if err := checkFileSize(path); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("file is damaged (%v)", r)
		}
	}()
	return bolt.Open(path, 0o644, &bolt.Options{
		Timeout: opts.OpenTimeout,
		NoSync:  opts.NoSync,
		// The free list is written by every commit (NoFreelistSync off):
		// otherwise Open rebuilds it by walking every page of the file,
		// which brings the whole file into RSS (docs/FRONTIER.md). The map
		// free list allocates runs in O(1).
		FreelistType: bolt.FreelistMapType,
	})
}

// guard runs fn, turning a bbolt panic on a damaged page into ErrNotFrontier.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: file is damaged (%v)", ErrNotFrontier, r)
		}
	}()
	return fn()
}

// ReleaseSlot tells the frontier that lease l's request is off the wire (its
// last body byte is in): the host's request slot is free for another lease
// while l is parsed and committed. The lease itself stays in flight until
// its completion commits. Without ReleaseSlot the slot is freed at completion.
// Calling it twice, or for an unknown lease, does nothing.
func (f *Frontier) ReleaseSlot(l Lease) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seq, ok := f.leasedSeq[l.URL]
	if !ok || !f.onWire[seq] {
		return
	}
	delete(f.onWire, seq)
	if h := f.hosts[f.inflight[seq].host]; h != nil {
		h.onWire--
		f.fix(h)
	}
}

// beginPersist is how far Begin must push a host's next-allowed time
// before it writes the new time to disk (smaller slips are the timer's
// microseconds; the lease already persisted the planned time, see lease).
const beginPersist = time.Millisecond

// Begin reserves the start of one of lease l's requests (robots.txt or
// the page) at now or later and returns how long to wait before sending
// it. Requests of one host begin at least the host's delay apart, counted
// from their reserved starts: Lease.Start plans the spacing, and Begin
// keeps it when the plan slipped (a stall on a busy machine that made two
// planned starts fire together, a robots.txt lookup that took a while). It
// never moves a start earlier than now, and pushes the host's next-allowed
// time so later leases are planned after it. A host without a delay
// begins at once. Unknown hosts begin at once.
func (f *Frontier) Begin(l Lease, now time.Time) time.Duration {
	return f.reserve(l, time.Time{}, now)
}

// Rebegin re-reserves the start of one of lease l's requests that Begin
// reserved at reserved and that is about to go out later, at now (the
// crawler calls it when it is past its reservation before writing). If
// no request of the host was reserved after it, the slot is still its
// own: its start moves to now, and the host's next-allowed time with it.
// Otherwise it begins a delay after the latest reservation, as with Begin:
// written late in a slot that had passed, it would land right after the
// request reserved in between.
func (f *Frontier) Rebegin(l Lease, reserved, now time.Time) time.Duration {
	return f.reserve(l, reserved, now)
}

// reserve is Begin (slipped zero) and Rebegin.
func (f *Frontier) reserve(l Lease, slipped, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[l.Host]
	if h == nil || f.closed || f.broken != nil {
		return 0
	}
	d := max(f.opts.Delay, h.delay)
	if d <= 0 {
		return 0
	}
	last := h.lastBegin
	if !slipped.IsZero() && last == slipped.UnixNano() {
		last = now.UnixNano() - int64(d) // the slot is its own: start now
	}
	start := max(now.UnixNano(), last+int64(d))
	h.lastBegin = start
	if next := start + int64(d); next > h.nextAllowed {
		if next-h.nextAllowed > int64(beginPersist) {
			// The plan slipped noticeably: persist the later time, so a
			// resume right after this request still spaces the next one.
			f.w.submit(&op{kind: opHost, host: h.name, hu: HostUpdate{NotBefore: nanoToTime(next)}})
		}
		h.nextAllowed = next
		f.fix(h)
	}
	return time.Duration(start - now.UnixNano())
}

// Sent records that one of lease l's requests went out at at, later than
// the start Begin reserved for it (the crawler calls it only then: a
// stall between the reservation and the write). Requests of the host that
// begin afterwards are spaced from at, so the gap holds as the server sees
// it. Unknown hosts are ignored.
func (f *Frontier) Sent(l Lease, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[l.Host]
	if h == nil || f.closed || f.broken != nil {
		return
	}
	d := max(f.opts.Delay, h.delay)
	if d <= 0 {
		return
	}
	t := at.UnixNano()
	h.lastBegin = max(h.lastBegin, t)
	if next := t + int64(d); next > h.nextAllowed {
		if next-h.nextAllowed > int64(beginPersist) {
			f.w.submit(&op{kind: opHost, host: h.name, hu: HostUpdate{NotBefore: nanoToTime(next)}})
		}
		h.nextAllowed = next
		f.fix(h)
	}
}

func lockedError(path string) error {
	pid := "unknown"
	if b, err := os.ReadFile(path + ".pid"); err == nil {
		pid = strings.TrimSpace(string(b))
	}
	return fmt.Errorf("open frontier %s (held by pid %s): %w", path, pid, ErrLocked)
}

// Close flushes pending writes, stops the writer and closes the file. Calls
// after Close return ErrClosed.
func (f *Frontier) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	f.closed = true
	f.mu.Unlock()
	f.w.stop()
	f.seen.Free()
	err := f.db.Close()
	os.Remove(f.path + ".pid")
	if err != nil {
		return fmt.Errorf("close frontier %s: %w", f.path, err)
	}
	return nil
}

// Epoch returns the epoch started by this Open; leases carry it.
func (f *Frontier) Epoch() uint64 { return f.epoch }

// Item is a URL to add.
//
// Depth is the URL's link distance from a seed along the path it was found
// on (seeds 0; a redirect target has its source's depth). A frontier opened
// with Options.ShortestDepth keeps, per URL, the SMALLEST depth any Add or
// completion child gave it, with the Parent and Redirects of that item
// (ties keep the first). A smaller depth for a known URL:
//   - queued: the record takes the new depth, and the queue entry moves to
//     its new place (queue order within a host is depth, then seq);
//   - leased: the record takes the new depth; the lease keeps the old one.
//     If its completion is Done, the page is handed out again for
//     re-extraction (below); Retry and Release queue it at the new depth;
//   - done (fetched): the record takes the new depth and, if it is not past
//     Options.MaxDepth, Next hands the page out once more as a Reparse
//     lease at that depth: the caller extracts its links again from the
//     stored page (Completion.Locator, no refetch) and completes with the
//     children, which may lower their own known children in turn;
//   - failed or skipped: the record takes the new depth; nothing else.
//
// All of it commits in the transaction of the Add or completion that
// brought the smaller depth. Without ShortestDepth a known URL is ignored.
type Item struct {
	URL    string // canonical URL (opaque); dedup key: hash of Host and URL
	Host   string // host key for politeness (opaque)
	Depth  int
	Parent string // URL it was found on at its depth ("" for seeds); stored for the record
	// Redirects is how many redirects led here without an intervening page
	// (0 for links and seeds); the caller bounds redirect chains with it.
	Redirects int
	// Tag is the caller's small opaque note about the URL, stored with it
	// and handed back on its leases (the crawler marks sitemaps and keeps
	// a page's sitemap lastmod and, after a fetch, its validators for the
	// next recrawl pass). Completion.Tag replaces it.
	Tag string
}

// Add queues the items not seen before (in any state) and returns how many
// were new; with Options.ShortestDepth it lowers the depth of known ones
// found at a smaller depth (see Item). It returns once they are durable. More than maxTxItems (1024)
// items commit in several transactions, each a range of hosts (see
// splitAdd): after a crash during Add, some hosts' items may be queued and
// others not. The caller must not change items after the call, even one
// that returned early with ctx's error: its transactions may still be
// queued and read them.
func (f *Frontier) Add(ctx context.Context, items []Item) (int, error) {
	for _, it := range items {
		if err := validItem(it); err != nil {
			return 0, fmt.Errorf("add: %w", err)
		}
	}
	if err := f.usable(); err != nil {
		return 0, err
	}
	parts := splitAdd(items, maxTxItems)
	fps := fingerprints(items)
	ch := make(chan result, len(parts))
	for _, p := range parts {
		f.w.submit(&op{kind: opAdd, items: items, order: p, fps: fps, done: func(r result) { ch <- r }})
	}
	n := 0
	for range parts {
		select {
		case r := <-ch:
			if r.err != nil {
				return n, r.err
			}
			n += r.n
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
	return n, nil
}

// splitAdd cuts items into parts of at most size for separate
// transactions, as lists of indexes into items ([nil] if one part takes
// all, in order). A part is a range in host-key order (the order of the
// queue bucket), so the parts together touch each host's queue pages about
// once, as one transaction would; within a part, indexes keep their order,
// which sets the seqs (FIFO within a host).
func splitAdd(items []Item, size int) [][]int32 {
	if len(items) <= size {
		return [][]int32{nil}
	}
	idx := make([]int32, len(items))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		ha, hb := items[a].Host, items[b].Host
		if c := cmp.Compare(len(ha), len(hb)); c != 0 {
			return c // hostKey starts with the length
		}
		return strings.Compare(ha, hb)
	})
	var parts [][]int32
	for len(idx) > 0 {
		n := min(size, len(idx))
		part := idx[:n:n]
		idx = idx[n:]
		slices.Sort(part)
		parts = append(parts, part)
	}
	return parts
}

func validItem(it Item) error {
	if it.URL == "" {
		return errors.New("empty URL")
	}
	if len(it.Host) > 0xffff {
		return fmt.Errorf("host of %q longer than 65535 bytes", it.URL)
	}
	if it.Depth < 0 {
		return fmt.Errorf("negative depth for %q", it.URL)
	}
	if it.Redirects < 0 {
		return fmt.Errorf("negative redirect count for %q", it.URL)
	}
	if len(it.Tag) > MaxTag {
		return fmt.Errorf("tag of %q longer than %d bytes", it.URL, MaxTag)
	}
	return nil
}

// MaxTag bounds Item.Tag and Completion.Tag: a note, not a payload.
const MaxTag = 4096

// Outcome is how a lease ended.
type Outcome uint8

// Outcomes of a lease.
const (
	Done    Outcome = iota + 1 // fetched and stored
	Failed                     // final failure (Status/Reason recorded)
	Skipped                    // final, not fetched on purpose (robots disallowed, out of scope after redirect...)
	Retry                      // back to queued, not before RetryAt, Attempt+1
	Release                    // back to queued at once, Attempt unchanged (shutdown, robots fetched first, etc.)
	// Deferred: neither fetched nor failed, and not queued: the crawl can
	// finish without it (Drained ignores it; Stats.Deferred counts it)
	// and RequeueDeferred puts it back (trawl resume). Reason says why
	// (robots.txt unavailable after the retries, a wait past --max-wait).
	Deferred
)

// RobotsState is a host's robots.txt as last fetched.
type RobotsState struct {
	Status    int    // HTTP status of robots.txt, 0 for network failure
	Body      []byte // raw body (caller caps it at 500 KiB)
	FetchedAt time.Time
	Expires   time.Time
}

// HostUpdate changes a host's persisted politeness state; nil/zero fields
// mean unchanged.
type HostUpdate struct {
	NotBefore time.Time      // no lease for this host before this time (429/503 Retry-After backoff); takes max with current
	Delay     *time.Duration // the host's own min gap between request starts (robots Crawl-delay)
	Robots    *RobotsState
	// Defer, if not empty, defers the host for the life of this Open (or
	// until RequeueDeferred): every URL of the host now queued, delayed
	// retries included, becomes Deferred with this reason, and so does
	// every URL of the host added, retried or released later. Leased URLs
	// end by their own completions.
	Defer string
}

// Completion is the end of one lease: outcome, discovered children, host
// politeness and an opaque checkpoint, committed in one transaction.
type Completion struct {
	Lease    Lease
	Outcome  Outcome
	RetryAt  time.Time // Retry only
	Status   int
	Reason   string
	Bytes    int64  // added to the bytes counter on Done
	Children []Item // added (dedup) in the SAME transaction as the outcome: both or neither
	// Locator says where the page of a Done lease is stored (opaque; the
	// crawler's page-store position). It is kept with the URL and handed
	// back in a Reparse lease.
	Locator []byte
	Host    *HostUpdate
	// RobotsHost, when set and not the lease's own key, is where Host's
	// Robots part is kept: the origin's host key, when politeness groups
	// URLs by a coarser key (registrable domain, IP address) while
	// robots.txt stays per origin. The rest of Host applies to the lease's
	// key.
	RobotsHost string
	Checkpoint []byte // if non-nil, stored as the frontier's checkpoint in the same txn (latest in a batch wins)
	Tag        string // if non-empty, replaces the URL's Tag (returned on its later leases, e.g. in a recrawl pass)
}

// Complete submits c to the group-commit writer and blocks until it is
// durable, ctx is done, or its batch failed. If ctx ends first the
// completion may still commit later.
func (f *Frontier) Complete(ctx context.Context, c Completion) error {
	if err := validCompletion(c); err != nil {
		return err
	}
	return f.w.submitWait(ctx, f.completeOp(c)).err
}

// completeOp finds the seq of c's lease, if it is in flight, for the writer.
func (f *Frontier) completeOp(c Completion) *op {
	f.mu.Lock()
	seq, ok := f.leasedSeq[c.Lease.URL]
	in := f.inflight[seq]
	if c.Lease.Reparse {
		seq, ok = f.reparsing[c.Lease.URL]
		in = inflight{}
	}
	f.mu.Unlock()
	return &op{kind: opComplete, comp: c, seq: seq, known: ok, suffix: in.suffix, inRetry: in.retry, gen: in.gen, fps: fingerprints(c.Children)}
}

// CompleteAsync submits c and calls done(err) from the writer goroutine
// after the commit. Completions submitted in order commit in that order, so
// a batch's last Checkpoint covers all earlier ones. done must not block for
// long: it delays every later commit.
func (f *Frontier) CompleteAsync(c Completion, done func(error)) {
	if err := validCompletion(c); err != nil {
		done(err)
		return
	}
	o := f.completeOp(c)
	o.done = func(r result) { done(r.err) }
	f.w.submit(o)
}

func validCompletion(c Completion) error {
	if c.Outcome < Done || c.Outcome > Deferred {
		return fmt.Errorf("complete %s: invalid outcome %d", c.Lease.URL, c.Outcome)
	}
	if c.Lease.Reparse && c.Outcome != Done && c.Outcome != Release {
		return fmt.Errorf("complete reparse %s: outcome %d, want Done or Release", c.Lease.URL, c.Outcome)
	}
	for _, it := range c.Children {
		if err := validItem(it); err != nil {
			return fmt.Errorf("complete %s: child: %w", c.Lease.URL, err)
		}
	}
	if len(c.Tag) > MaxTag {
		return fmt.Errorf("complete %s: tag longer than %d bytes", c.Lease.URL, MaxTag)
	}
	return nil
}

// UpdateHost applies a host update through the writer without a lease (e.g.
// a robots refresh) and returns once it is durable.
func (f *Frontier) UpdateHost(ctx context.Context, host string, u HostUpdate) error {
	if len(host) > 0xffff {
		return fmt.Errorf("update host: host longer than 65535 bytes")
	}
	return f.w.submitWait(ctx, &op{kind: opHost, host: host, hu: u}).err
}

// HostState is a host's politeness and queue state as seen in memory.
type HostState struct {
	NextAllowed time.Time
	Delay       time.Duration
	Robots      *RobotsState // nil if never fetched
	InFlight    int
	Queued      int // includes delayed retries
}

// Host returns the state of host, and false if the frontier has never seen it.
func (f *Frontier) Host(host string) (HostState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosts[host]
	if !ok {
		return HostState{}, false
	}
	return HostState{
		NextAllowed: nanoToTime(h.nextAllowed),
		Delay:       h.delay,
		Robots:      h.robots,
		InFlight:    h.inflight,
		Queued:      h.main.count + h.retryCount(),
	}, true
}

// Checkpoint returns the last committed checkpoint, nil if none.
func (f *Frontier) Checkpoint() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.checkpoint...)
}

// SetMeta durably stores small crawl metadata under key, through the writer.
func (f *Frontier) SetMeta(ctx context.Context, key string, val []byte) error {
	if key == "" {
		return errors.New("set meta: empty key")
	}
	return f.w.submitWait(ctx, &op{kind: opMeta, key: key, val: append([]byte(nil), val...)}).err
}

// Meta returns the committed value stored by SetMeta, nil if none.
func (f *Frontier) Meta(key string) ([]byte, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	var v []byte
	err := f.db.View(func(tx *bolt.Tx) error {
		v = append([]byte(nil), tx.Bucket(bktUserMeta).Get([]byte(key))...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read meta %s: %w", key, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// Drained reports whether the crawl has no work left: nothing queued
// (including delayed retries), nothing leased and no page awaiting
// re-extraction. One process owns a bbolt
// frontier, so this is the global answer.
func (f *Frontier) Drained() (bool, error) {
	if err := f.usable(); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	return s.Queued == 0 && s.Leased == 0 && len(f.reparseQ) == 0 && len(f.reparsing) == 0, nil
}

// usable reports ErrClosed or the commit error that broke the frontier.
func (f *Frontier) usable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	return f.broken
}

// Remove deletes the frontier at path and the files it keeps beside it
// (the holder's pid file). A missing frontier is not an error.
func Remove(path string) error {
	for _, p := range []string{path, path + ".pid"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove frontier %s: %w", path, err)
		}
	}
	return nil
}
