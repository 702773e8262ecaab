package redisfrontier

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// Options configure one worker's Frontier.
type Options struct {
	URL      string // redis://HOST:PORT/DB
	Crawl    string // the crawl's name: one Redis holds several crawls
	WorkerID string // stable id of the worker (of its page store): its checkpoint's key
	// LeaseTTL is how long an incarnation's leases outlive its last
	// heartbeat (default 10s). Heartbeats run every LeaseTTL/5; the worker
	// fences itself (starts no request) from 3/4 of LeaseTTL after the
	// last renewal it saw succeed.
	LeaseTTL time.Duration
	// Lookahead lets Next hand out a lease up to this long before its
	// host's next start (the lease's Start says when to send).
	Lookahead time.Duration
	// LeaseBatch is how many leases Next takes in one round trip when it
	// has none in hand (default 1; batch.go); the rest wait in the worker
	// for its next calls. Ignored with CallerClock.
	LeaseBatch int
	// MaxAhead bounds the leases a worker holds ahead of its fetch slots
	// (in hand and asked for) once it asks for them in the background
	// (batch.go, prefetch); at or under 2 × LeaseBatch (the default)
	// nothing is leased in the background and Next takes LeaseBatch
	// leases when it finds the hand empty. Ignored with CallerClock.
	MaxAhead int
	// BeforeCommit runs before each batch of completions is sent (the
	// crawler fsyncs its page store here): the checkpoint committed with a
	// batch never covers bytes that are not on disk.
	BeforeCommit func() error
	Logger       *slog.Logger
	// CallerClock makes the schedule use the times passed to Next and
	// Begin instead of Redis's clock (tests with fixed times: the contract
	// suite). Heartbeat deadlines stay on Redis's clock. Never for a real
	// crawl: workers' clocks differ.
	CallerClock bool
	// SeenCache is how many fingerprints of URLs known to the crawl the
	// worker keeps to drop known links before they reach Redis
	// (seencache.go): 0 is DefaultSeenCache (1 MiB), negative turns the
	// cache off. Without effect on a crawl with a depth limit or a Redis
	// whose AOF is not fsynced on every write.
	SeenCache int
}

// maxBatch bounds the completions one script commits (and so the time
// Redis spends in one script, during which every other client waits).
const maxBatch = 64

// Frontier is one worker's view of a crawl kept in Redis. It implements the
// crawler's Frontier interface; all methods are safe for concurrent use.
type Frontier struct {
	cl     *redis.Client
	url    string
	p      string
	wid    string
	inc    string
	incN   uint64
	ttl    time.Duration
	ahead  time.Duration
	caller bool
	offset int64 // Redis clock minus local clock, µs
	before func() error
	log    *slog.Logger

	renewedAt atomic.Int64 // local unix ns at which the last successful heartbeat was sent

	mu     sync.Mutex
	broken error
	closed bool
	leases map[string]*leaseInfo // leased URL → its lease
	cp     []byte
	stats  frontier.Stats
	queue  []compReq
	wake   chan struct{}
	batch  int              // Options.LeaseBatch
	ready  []frontier.Lease // leased in Redis, not yet handed out by Next (batch.go)
	// coming counts the leases that prepared or sent commits asked for
	// and whose reply has not been taken (topUp), so that a batch prepared
	// while the previous one is out does not ask for the same ones again.
	coming int
	rel    []string // seqs whose slot ReleaseSlot freed, not yet sent (batch.go)
	// maxAhead is Options.MaxAhead (at least 2 × batch); mark is the
	// leases ahead (ready and coming) a background round brings the hand
	// to, 2 × batch to maxAhead, following demand (batch.go, prefetch);
	// bg is the background lease round out (nil: none).
	maxAhead, mark int
	bg             *bgRound
	// stopping is set once Close began: no background round starts.
	stopping bool
	// commitLinger is how long the writer waits for a batch to fill
	// (batch.go, linger; under mu: tests change it).
	commitLinger time.Duration
	// bn numbers the completion batches this incarnation sent (the
	// complete script commits batch bn only right after bn-1: flush);
	// cpBN is the batch whose checkpoint cp holds.
	bn, cpBN int64

	// reparsing holds this worker's re-extractions out: URL → fingerprint.
	reparsing map[string]string
	// shortest: the crawl keeps shortest depths (cfg max_depth ≥ 0), so
	// completions carry the URL's fingerprint and the page's locator.
	shortest bool
	// seen holds fingerprints known to be in the crawl's seen set (nil:
	// no cache; seencache.go).
	seen *seenCache

	stop chan struct{}
	wg   sync.WaitGroup
}

type leaseInfo struct {
	e        entry
	member   string
	host     string
	gap      time.Duration // the host's gap between request starts when leased
	reserved int64         // the start (µs, Redis clock) Begin last reserved for it
	released bool
}

type compReq struct {
	c    frontier.Completion
	li   *leaseInfo // nil for a re-extraction
	fp   string     // a re-extraction's fingerprint
	done func(error)
}

// Prefix is the key prefix of crawl name: every key of a crawl shares one
// hash tag, so a Redis Cluster keeps a crawl on one shard (see
// docs/ARCHITECTURE.md, "Redis Cluster").
func Prefix(name string) string { return "trawl:{" + name + "}:" }

// Open joins the crawl opts.Crawl as a new incarnation of worker
// opts.WorkerID. The crawl must exist (Init). The caller must hold the
// worker's directory lock: an earlier incarnation of the same worker is
// taken to be dead, and its leases go back to their queues first.
func Open(ctx context.Context, opts Options) (*Frontier, error) {
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	if opts.WorkerID == "" || strings.ContainsRune(opts.WorkerID, 0) || strings.ContainsRune(opts.WorkerID, ':') {
		return nil, fmt.Errorf("redis frontier: invalid worker id %q", opts.WorkerID)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl, err := Dial(ctx, opts.URL, log)
	if err != nil {
		return nil, err
	}
	f := &Frontier{cl: cl, url: opts.URL, p: Prefix(opts.Crawl), wid: opts.WorkerID, ttl: opts.LeaseTTL, ahead: opts.Lookahead, caller: opts.CallerClock, batch: max(1, opts.LeaseBatch),
		before: opts.BeforeCommit, log: log, leases: map[string]*leaseInfo{}, reparsing: map[string]string{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), commitLinger: commitLinger}
	if f.caller {
		f.batch = 1 // leases held back would answer a later caller time with an earlier one's choice
	}
	f.mark = 2 * f.batch
	f.maxAhead = f.mark
	if f.batch > 1 {
		f.maxAhead = max(f.mark, opts.MaxAhead)
	}
	fail := func(err error) (*Frontier, error) { cl.Close(); return nil, err }
	exists, err := cl.Exists(ctx, f.p+"cfg").Result()
	if err != nil {
		return fail(wrapErr(f.url, "open crawl", err))
	}
	if exists == 0 {
		return fail(fmt.Errorf("frontier %s holds no crawl named %q", Redacted(f.url), opts.Crawl))
	}
	md, err := cl.HGet(ctx, f.p+"cfg", "max_depth").Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fail(wrapErr(f.url, "read the crawl's depth limit", err))
	}
	f.shortest = err == nil && md >= 0
	if opts.SeenCache >= 0 && !f.shortest {
		always, err := fsyncAlways(ctx, cl)
		if err != nil {
			return fail(wrapErr(f.url, "read the AOF settings", err))
		}
		if always {
			f.seen = newSeenCache(cmp.Or(opts.SeenCache, DefaultSeenCache))
		}
	}
	if !f.caller {
		if f.offset, err = clockOffset(ctx, cl); err != nil {
			return fail(wrapErr(f.url, "read the server clock", err))
		}
	}
	sent := time.Now()
	r, err := scriptJoin.Run(ctx, cl, []string{f.p + "cfg"}, f.p, f.wid, f.ttl.Microseconds()).Slice()
	if err != nil {
		return fail(wrapErr(f.url, "join the crawl", err))
	}
	f.renewedAt.Store(sent.UnixNano())
	f.inc = r[0].(string)
	if cp := r[1].(string); cp != "" {
		f.cp = []byte(cp)
	}
	if i := strings.LastIndexByte(f.inc, ':'); i >= 0 {
		f.incN, _ = strconv.ParseUint(f.inc[i+1:], 10, 64)
	}
	if swept := r[2].(int64); swept > 0 {
		log.Info("took back the leases of this worker's previous run", "leases", swept)
	}
	if err := f.refreshStats(ctx); err != nil {
		return fail(err)
	}
	f.wg.Add(3)
	go f.every(f.ttl/5, f.heartbeat)
	go f.writerLoop()
	go f.every(250*time.Millisecond, f.statsTick)
	return f, nil
}

// clockOffset estimates Redis's clock minus the local clock (µs) from the
// fastest of several TIME round trips: a slow one (a busy machine) could
// be off by half its length. Times sent to Redis (retry times, backoffs, a
// late request start) are converted with it.
func clockOffset(ctx context.Context, cl *redis.Client) (int64, error) {
	best, off := time.Duration(1<<62), int64(0)
	for range 7 {
		t0 := time.Now()
		rt, err := cl.Time(ctx).Result()
		if err != nil {
			return 0, err
		}
		t1 := time.Now()
		if rtt := t1.Sub(t0); rtt < best {
			best, off = rtt, rt.UnixMicro()-(t0.UnixMicro()+t1.UnixMicro())/2
		}
	}
	return off, nil
}

// setClock sets the schedule's clock to now (CallerClock only).
func (f *Frontier) setClock(ctx context.Context, now time.Time) error {
	if !f.caller {
		return nil
	}
	if err := f.cl.Set(ctx, f.p+"clock", now.UnixMicro(), 0).Err(); err != nil {
		return f.breakWith(wrapErr(f.url, "set the test clock", err))
	}
	return nil
}

// Incarnation is this worker's incarnation id (worker id and a counter).
func (f *Frontier) Incarnation() string { return f.inc }

func (f *Frontier) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), f.ttl/2)
}

// breakWith records the first fatal error; every later call returns it.
func (f *Frontier) breakWith(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken == nil {
		f.broken = err
	}
	return f.broken
}

func (f *Frontier) usable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return frontier.ErrClosed
	}
	return f.broken
}

// MayStart reports whether this worker may start a request now: not once
// 3/4 of the lease TTL has passed since the last heartbeat it saw succeed,
// since its leases may be handed to another worker at the deadline.
func (f *Frontier) MayStart() error {
	if err := f.usable(); err != nil {
		return err
	}
	if time.Since(time.Unix(0, f.renewedAt.Load())) > f.ttl*3/4 {
		return f.breakWith(fmt.Errorf("%w (no heartbeat for %v)", ErrFenced, time.Since(time.Unix(0, f.renewedAt.Load())).Round(time.Millisecond)))
	}
	return nil
}

// Next leases a URL whose host may be fetched now on Redis's clock (now is
// not used: the decision is Redis's, so every worker uses one clock), or
// hands out one leased in the same round trip as an earlier call's
// (Options.LeaseBatch, batch.go) or in a background round (Options.MaxAhead,
// prefetch); with the hand empty and a background round out, it waits for
// that round rather than send another.
func (f *Frontier) Next(now time.Time) (frontier.Lease, bool, time.Duration, error) {
	if err := f.MayStart(); err != nil {
		return frontier.Lease{}, false, 0, err
	}
	if l, ok := f.popReady(); ok {
		return l, true, 0, nil
	}
	if f.awaitAhead() {
		if err := f.usable(); err != nil {
			return frontier.Lease{}, false, 0, err
		}
		if l, ok := f.popReady(); ok {
			return l, true, 0, nil
		}
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	if err := f.setClock(ctx, now); err != nil {
		return frontier.Lease{}, false, 0, err
	}
	return f.leaseRound(ctx)
}

// leased records a lease of a lease script's reply ({1, member, host,
// start, gap}) and returns the lease.
func (f *Frontier) leased(r []any) (frontier.Lease, error) {
	member, host := r[1].(string), r[2].(string)
	e, err := decodeMember(member)
	if err != nil {
		return frontier.Lease{}, f.breakWith(fmt.Errorf("frontier %s: lease in %s: %w", Redacted(f.url), host, err))
	}
	// Start is on Redis's clock: a reply that reached this process late
	// makes the request late, which Started then reports, so the host's
	// next start moves (a start relative to the reply would hide it).
	start := f.fromRedis(r[3].(int64))
	gap := time.Duration(r[4].(int64)) * time.Microsecond
	f.mu.Lock()
	f.leases[e.url] = &leaseInfo{e: e, member: member, host: host, gap: gap}
	f.mu.Unlock()
	return frontier.Lease{URL: e.url, Host: host, Depth: e.depth, Parent: e.parent, Attempt: e.attempt,
		Epoch: f.incN, Redirects: e.redirs, Tag: e.tag, Start: start}, nil
}

// Begin reserves the start of one of l's requests on Redis's clock: at
// least the host's gap after the previous start reserved by any worker. It
// costs a round trip, so it is skipped for hosts without a gap. The wait
// it returns counts from now to the reserved start (converted from Redis's
// clock), not from when the script ran: a call that reached Redis late (a
// busy Redis, a descheduled worker) would otherwise send its request that
// much before the start Redis reserved, closer than the gap to another
// worker's request.
func (f *Frontier) Begin(l frontier.Lease, now time.Time) time.Duration {
	return f.reserve(l, false, now)
}

// Rebegin re-reserves the start of l's request that Begin reserved and
// that is about to go out later, at now: if no worker reserved a start of
// the host after it, the slot stands and moves to now; otherwise the
// request begins the host's gap after the latest reservation, as with
// Begin (written late in a slot that had passed, it would land right
// after another worker's request). The reservation compared is the one
// Redis returned (reserved is the caller's copy, converted).
func (f *Frontier) Rebegin(l frontier.Lease, reserved, now time.Time) time.Duration {
	return f.reserve(l, true, now)
}

// reserve is Begin and (again) Rebegin.
func (f *Frontier) reserve(l frontier.Lease, again bool, now time.Time) time.Duration {
	f.mu.Lock()
	li := f.leases[l.URL]
	broken := f.broken != nil || f.closed
	mine := ""
	if li != nil && again && li.reserved > 0 {
		mine = strconv.FormatInt(li.reserved, 10)
	}
	f.mu.Unlock()
	if li == nil || li.gap <= 0 || broken {
		return 0
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	if err := f.setClock(ctx, now); err != nil {
		return 0
	}
	us, err := scriptBegin.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p, li.host, mine).Int64()
	if err != nil {
		f.breakWith(wrapErr(f.url, "reserve a request start", err))
		return 0
	}
	if us == 0 {
		return 0
	}
	f.mu.Lock()
	li.reserved = us
	f.mu.Unlock()
	// Never negative: the reservation is at or after the script's now,
	// which follows the caller's now but for the offset's error.
	return max(0, f.fromRedis(us).Sub(now))
}

// Sent records that one of l's requests went out at at, later than Begin
// reserved: on Redis's clock, the host's later requests are spaced from
// now. One round trip, only after a stall.
func (f *Frontier) Sent(l frontier.Lease, at time.Time) {
	f.mu.Lock()
	li := f.leases[l.URL]
	broken := f.broken != nil || f.closed
	f.mu.Unlock()
	if li == nil || li.gap <= 0 || broken {
		return
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	if err := f.setClock(ctx, at); err != nil {
		return
	}
	if err := scriptSent.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p, li.host).Err(); err != nil {
		f.breakWith(wrapErr(f.url, "record a late request start", err))
	}
}

// ReleaseSlot frees l's host request slot (its last body byte is in). The
// release goes to Redis with this worker's next round trip (a lease round
// or a commit, batch.go), within releaseLinger when none comes sooner.
func (f *Frontier) ReleaseSlot(l frontier.Lease) {
	f.mu.Lock()
	li := f.leases[l.URL]
	if li == nil || li.released || f.broken != nil || f.closed {
		f.mu.Unlock()
		return
	}
	li.released = true
	f.rel = append(f.rel, li.e.seq)
	f.mu.Unlock()
	f.signal()
}

// signal wakes the writer loop without blocking: a wake already pending
// covers this one (the loop takes everything queued when it runs).
func (f *Frontier) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// CompleteAsync queues c for the group commit; done runs, in submission
// order, once the batch holding c has committed (or failed).
func (f *Frontier) CompleteAsync(c frontier.Completion, done func(error)) {
	if c.Outcome < frontier.Done || c.Outcome > frontier.Deferred {
		done(fmt.Errorf("complete %s: invalid outcome %d", c.Lease.URL, c.Outcome))
		return
	}
	for _, it := range c.Children {
		if err := validItem(it); err != nil {
			done(fmt.Errorf("complete %s: child: %w", c.Lease.URL, err))
			return
		}
	}
	if c.Lease.Reparse && c.Outcome != frontier.Done && c.Outcome != frontier.Release {
		done(fmt.Errorf("complete reparse %s: outcome %d, want Done or Release", c.Lease.URL, c.Outcome))
		return
	}
	f.mu.Lock()
	req := compReq{c: c, done: done}
	if c.Lease.Reparse {
		fp, ok := f.reparsing[c.Lease.URL]
		if !ok {
			f.mu.Unlock()
			done(fmt.Errorf("complete reparse %s (not handed to this worker): %w", c.Lease.URL, frontier.ErrStaleLease))
			return
		}
		req.fp = fp
	} else if req.li = f.leases[c.Lease.URL]; req.li == nil {
		f.mu.Unlock()
		done(fmt.Errorf("complete %s (not leased by this worker): %w", c.Lease.URL, frontier.ErrStaleLease))
		return
	}
	f.queue = append(f.queue, req)
	f.mu.Unlock()
	f.signal()
}

// Complete commits c and waits for it.
func (f *Frontier) Complete(ctx context.Context, c frontier.Completion) error {
	ch := make(chan error, 1)
	f.CompleteAsync(c, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writerLoop commits queued completions in order, up to maxBatch per script.
func (f *Frontier) writerLoop() {
	defer f.wg.Done()
	for {
		select {
		case <-f.wake:
			f.linger()
		case <-f.stop:
			f.flush()
			return
		}
		f.flush()
	}
}

// flush commits everything queued so far, batch by batch, in order, with
// up to two batches' round trips out at once (batch k+1 is sent as soon
// as it is prepared, not once k is answered: one worker's commits were
// its pace, each an fsync round trip of Redis behind the one before).
// A batch's BeforeCommit (the page store's fsync) runs while earlier
// batches are out. Order holds where it matters: each batch carries its
// number and the complete script commits batch k+1 only right after k
// (k+1 sent on another connection may reach Redis first: it is refused,
// "out of order", and sent again once k is answered), so the checkpoint
// Redis holds only moves forward and never covers pages of a batch that
// is not committed; callbacks run in submission order. A batch prepared
// once the frontier broke fails.
func (f *Frontier) flush() {
	// last is closed once the latest batch sent is answered and settled;
	// older, the one before it (closed before last).
	var last, older chan struct{}
	waitAll := func() {
		if last != nil {
			<-last
		}
		last, older = nil, nil
	}
	defer waitAll()
	for {
		f.mu.Lock()
		n := min(len(f.queue), maxBatch)
		batch := f.queue[:n:n]
		f.queue = f.queue[n:]
		rels := len(f.rel) > 0
		f.mu.Unlock()
		if n == 0 {
			waitAll()
			f.mu.Lock()
			if f.broken != nil {
				f.rel = nil // a broken worker's leases are swept: nothing to release
			}
			rels = len(f.rel) > 0
			f.mu.Unlock()
			if !rels {
				return
			}
			f.settle(batch, f.commit(nil))
			continue
		}
		err := f.usable()
		var pb prepared
		if err == nil {
			pb, err = f.prepare(batch)
		}
		if older != nil { // at most two out
			<-older
			older = nil
		}
		if err == nil {
			if err = f.usable(); err != nil {
				f.arrived(pb.want) // prepared, never sent
			}
		}
		if err != nil {
			waitAll() // earlier batches settle first
			f.settle(batch, err)
			continue
		}
		f.number(&pb)
		done := make(chan struct{})
		go func(after, done chan struct{}) {
			defer close(done)
			err := f.send(batch, pb, after)
			if after != nil {
				<-after
			}
			f.settle(batch, err)
		}(last, done)
		older, last = last, done
	}
}

// settle runs the callbacks of batch with its outcome.
func (f *Frontier) settle(batch []compReq, err error) {
	for _, r := range batch {
		r.done(err)
	}
}

// commit sends the pending slot releases and commits batch (if any) in
// one round trip.
func (f *Frontier) commit(batch []compReq) error {
	if len(batch) == 0 {
		ctx, cancel := f.opCtx()
		defer cancel()
		return f.sendReleases(ctx)
	}
	pb, err := f.prepare(batch)
	if err != nil {
		return err
	}
	f.number(&pb)
	return f.send(batch, pb, nil)
}

// number gives pb the next batch number of this incarnation, in the order
// batches are sent.
func (f *Frontier) number(pb *prepared) {
	f.mu.Lock()
	f.bn++
	pb.bn = f.bn
	f.mu.Unlock()
	pb.args[bnArg] = pb.bn
}

// prepared is a batch encoded for the complete script.
type prepared struct {
	args []any
	cp   []byte   // the checkpoint it commits (nil: none)
	fps  []string // the fingerprints of the links it sends, for the seen cache
	want int      // the leases it asks for (topUp), counted in coming until its reply is taken
	bn   int64    // its batch number (number), also args[bnArg]
}

// bnArg is the index of the batch number in a prepared batch's args.
const bnArg = 6

// prepare encodes batch for the complete script and runs BeforeCommit
// (the page store's fsync: the checkpoint sent never covers bytes that
// are not on disk). Links the seen cache knows are left out.
func (f *Frontier) prepare(batch []compReq) (pb prepared, err error) {
	want := f.topUp(len(batch))
	defer func() {
		if err != nil {
			f.arrived(want)
		}
	}()
	var cp []byte
	for _, r := range batch {
		if r.c.Checkpoint != nil {
			cp = r.c.Checkpoint
		}
	}
	hascp := "0"
	if cp != nil {
		hascp = "1"
	}
	args := []any{f.wid, hascp, cp, len(batch), want, f.ahead.Microseconds(), 0} // 0: the batch number, set by number
	var fps []string
	var sent map[string]bool
	if f.seen != nil {
		sent = map[string]bool{}
	}
	for _, r := range batch {
		c, li := r.c, r.li
		if li == nil {
			args = appendReparseEnd(args, r)
			continue
		}
		score, member := strconv.Itoa(li.e.depth), li.member
		tag := li.e.tag
		if c.Tag != "" {
			tag = c.Tag
		}
		switch {
		case c.Outcome == frontier.Retry:
			score = strconv.FormatInt(max(0, f.toRedis(c.RetryAt)), 10)
			member = li.e.seq + string(record(li.e.url, li.e.parent, tag, li.e.depth, li.e.attempt+1, li.e.redirs))
		case c.Tag != "":
			member = li.e.seq + string(record(li.e.url, li.e.parent, tag, li.e.depth, li.e.attempt, li.e.redirs))
		}
		nb, delay, robots, rx, err := f.hostArgs(c.Host)
		if err != nil {
			return prepared{}, f.breakWith(fmt.Errorf("complete %s: %w", c.Lease.URL, err))
		}
		hdefer := ""
		if c.Host != nil {
			hdefer = c.Host.Defer
		}
		reason := c.Reason
		if c.Outcome == frontier.Deferred && reason == "" {
			reason = "deferred"
		}
		fp, loc := "", []byte(nil)
		if f.shortest {
			fp = fingerprint(li.e.url)
			if c.Outcome == frontier.Done {
				loc = c.Locator
			}
		}
		kids, kfps := c.Children, []string(nil)
		if f.seen != nil {
			kids, kfps = f.unknown(c.Children, sent)
			fps = append(fps, kfps...)
		}
		args = append(args, li.e.seq, int(c.Outcome), score, member, c.Bytes, nb, delay, robots, rx, c.RobotsHost, reason, hdefer, fp, loc, "0", len(kids))
		args = appendChildren(args, kids, kfps)
	}
	if f.before != nil {
		if err := f.before(); err != nil {
			return prepared{}, f.breakWith(fmt.Errorf("before commit: %w", err))
		}
	}
	return prepared{args: args, cp: cp, fps: fps, want: want}, nil
}

// unknown returns the items of kids that the seen cache does not know and
// that the batch does not send already (sent: their fingerprints), with
// their fingerprints. Once the batch commits, every link it sent is in the
// crawl's seen set (send adds them to the cache).
func (f *Frontier) unknown(kids []frontier.Item, sent map[string]bool) ([]frontier.Item, []string) {
	var out []frontier.Item
	var fps []string
	for _, it := range kids {
		fp := fingerprint(it.URL)
		if sent[fp] || f.seen.has(fp) {
			continue
		}
		sent[fp] = true
		fps = append(fps, fp)
		out = append(out, it)
	}
	return out, fps
}

// send commits batch (prepared and numbered) with the pending slot
// releases in one round trip, and takes the leases the script took for
// the next Next calls. after is closed once the batch before it is
// answered and settled (nil: none is out): a batch that reached Redis
// before its predecessor was committed is refused whole, and sent again
// once after is closed.
func (f *Frontier) send(batch []compReq, pb prepared, after chan struct{}) error {
	args, cp := pb.args, pb.cp
	took := false
	defer func() {
		if !took {
			f.arrived(pb.want)
		}
	}()
	// The releases are taken after BeforeCommit (the page store's fsync);
	// a refused batch wrote nothing, and carries them again.
	rels := f.takeReleases()
	var r []any
	for {
		// Each send has the whole operation deadline: a batch sent again
		// has already waited on its predecessor's round trip.
		ctx, cancel := f.opCtx()
		c, err := f.roundTrip(ctx, "commit completions", rels, scriptComplete, args...)
		cancel()
		if err != nil {
			return err
		}
		if r, err = c.Slice(); err != nil {
			return f.breakWith(wrapErr(f.url, "commit completions", err))
		}
		if r[0].(int64) != -3 {
			break
		}
		if after == nil {
			return f.breakWith(fmt.Errorf("frontier %s: commit completions: batch %d out of order (Redis has %d committed) with no batch before it out", Redacted(f.url), pb.bn, r[1]))
		}
		<-after // the batch before it is committed now, or failed
		after = nil
		if err := f.usable(); err != nil {
			return err
		}
	}
	switch r[0].(int64) {
	case -1:
		return f.breakWith(ErrFenced)
	case -2:
		i := int(r[1].(int64)) - 1
		return f.breakWith(fmt.Errorf("complete %s (not this worker's lease in Redis): %w", batch[i].c.Lease.URL, frontier.ErrStaleLease))
	}
	f.setStats(r[2])
	// Committed: every link sent is in the seen set now.
	f.seen.add(pb.fps)
	leases, err := f.takeLeases(r[3])
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = append(f.ready, leases...)
	f.coming -= pb.want
	took = true
	for _, r := range batch {
		if r.li == nil {
			delete(f.reparsing, r.c.Lease.URL)
			continue
		}
		if f.leases[r.c.Lease.URL] == r.li { // a Release or Retry may be leased again already
			delete(f.leases, r.c.Lease.URL)
		}
	}
	if cp != nil && pb.bn > f.cpBN { // a later batch's reply may be taken first
		f.cp = append([]byte(nil), cp...)
		f.cpBN = pb.bn
	}
	return nil
}

// hostArgs encodes a host update for a script: not-before (µs, Redis
// clock), delay (µs), robots (JSON) and its expiry (µs, Redis clock), ”
// for each field left unchanged.
func (f *Frontier) hostArgs(u *frontier.HostUpdate) (nb, delay, robots, rx string, err error) {
	if u == nil {
		return "", "", "", "", nil
	}
	if !u.NotBefore.IsZero() {
		nb = strconv.FormatInt(f.toRedis(u.NotBefore), 10)
	}
	if u.Delay != nil {
		delay = strconv.FormatInt(u.Delay.Microseconds(), 10)
	}
	if u.Robots != nil {
		b, err := json.Marshal(u.Robots)
		if err != nil {
			return "", "", "", "", fmt.Errorf("encode robots state: %w", err)
		}
		robots, rx = string(b), strconv.FormatInt(f.toRedis(u.Robots.Expires), 10)
	}
	return nb, delay, robots, rx, nil
}

func (f *Frontier) toRedis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro() + f.offset
}

func (f *Frontier) fromRedis(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us - f.offset)
}

// UpdateHost applies a host update without a lease.
func (f *Frontier) UpdateHost(ctx context.Context, host string, u frontier.HostUpdate) error {
	if err := f.usable(); err != nil {
		return err
	}
	nb, delay, robots, rx, err := f.hostArgs(&u)
	if err != nil {
		return err
	}
	if err := scriptHost.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p, host, nb, delay, robots, rx, u.Defer).Err(); err != nil {
		return wrapErr(f.url, "update host "+host, err)
	}
	return nil
}

// Add queues the items not seen before anywhere in the crawl and returns
// how many were new. Each script adds up to 512 items atomically.
func (f *Frontier) Add(ctx context.Context, items []frontier.Item) (int, error) {
	for _, it := range items {
		if err := validItem(it); err != nil {
			return 0, fmt.Errorf("add: %w", err)
		}
	}
	if err := f.usable(); err != nil {
		return 0, err
	}
	n := 0
	for len(items) > 0 {
		part := items[:min(len(items), 512)]
		items = items[len(part):]
		args := make([]any, 0, 1+4*len(part))
		args = append(args, f.p)
		fps := make([]string, len(part))
		for i, it := range part {
			fps[i] = fingerprint(it.URL)
		}
		args = appendChildren(args, part, fps)
		r, err := scriptAdd.Run(ctx, f.cl, []string{f.p + "cfg"}, args...).Slice()
		if err != nil {
			return n, wrapErr(f.url, "add URLs", err)
		}
		f.seen.add(fps) // every item is in the seen set now
		n += int(r[0].(int64))
		f.setStats(r[1])
	}
	return n, nil
}

// SetMeta stores small crawl metadata (shared by every worker).
func (f *Frontier) SetMeta(ctx context.Context, key string, val []byte) error {
	if key == "" {
		return errors.New("set meta: empty key")
	}
	if err := f.cl.HSet(ctx, f.p+"meta", key, val).Err(); err != nil {
		return wrapErr(f.url, "set meta "+key, err)
	}
	return nil
}

// Meta returns the value stored by SetMeta, nil if none.
func (f *Frontier) Meta(key string) ([]byte, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	v, err := f.cl.HGet(ctx, f.p+"meta", key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr(f.url, "read meta "+key, err)
	}
	return v, nil
}

// Checkpoint is this worker's last committed page-store checkpoint.
func (f *Frontier) Checkpoint() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.cp...)
}

// Host returns a host's shared politeness and robots state.
func (f *Frontier) Host(host string) (frontier.HostState, bool) {
	ctx, cancel := f.opCtx()
	defer cancel()
	hs, ok, err := readHost(ctx, f.cl, f.p, host, f.offset)
	if err != nil {
		f.breakWith(wrapErr(f.url, "read host "+host, err))
		return frontier.HostState{}, false
	}
	return hs, ok
}

func readHost(ctx context.Context, cl *redis.Client, p, host string, offset int64) (frontier.HostState, bool, error) {
	pipe := cl.Pipeline()
	h := pipe.HMGet(ctx, p+"h:"+host, "c", "next", "delay", "inflight", "robots")
	nq := pipe.ZCard(ctx, p+"q:"+host)
	nr := pipe.ZCard(ctx, p+"r:"+host)
	if _, err := pipe.Exec(ctx); err != nil {
		return frontier.HostState{}, false, err
	}
	v := h.Val()
	if v[0] == nil && v[1] == nil && v[4] == nil {
		return frontier.HostState{}, false, nil
	}
	num := func(x any) int64 {
		s, _ := x.(string)
		n, _ := strconv.ParseFloat(s, 64)
		return int64(n)
	}
	hs := frontier.HostState{Delay: time.Duration(num(v[2])) * time.Microsecond, InFlight: int(num(v[3])),
		Queued: int(nq.Val() + nr.Val())}
	if us := num(v[1]); us > 0 {
		hs.NextAllowed = time.UnixMicro(us - offset)
	}
	if s, ok := v[4].(string); ok && s != "" {
		var rs frontier.RobotsState
		if err := json.Unmarshal([]byte(s), &rs); err != nil {
			return frontier.HostState{}, false, fmt.Errorf("host %s: robots state: %w", host, err)
		}
		hs.Robots = &rs
	}
	return hs, true, nil
}

// Stats returns the crawl's global counters as last read (every 250 ms),
// with this worker's own leases and completions since applied.
func (f *Frontier) Stats() frontier.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// setStats takes the counters a script returned (HMGET order: queued,
// leased, done, failed, skipped, retries, hosts, bytes, deferred).
func (f *Frontier) setStats(v any) {
	a, ok := v.([]any)
	if !ok || len(a) != 9 {
		return
	}
	var n [9]int64
	for i, x := range a {
		if s, ok := x.(string); ok {
			n[i], _ = strconv.ParseInt(s, 10, 64)
		}
	}
	f.mu.Lock()
	f.stats = frontier.Stats{Queued: n[0], Leased: n[1], Done: n[2], Failed: n[3], Skipped: n[4], Retries: n[5], Hosts: n[6], Bytes: n[7], Deferred: n[8]}
	f.mu.Unlock()
}

func (f *Frontier) refreshStats(ctx context.Context) error {
	s, err := readStats(ctx, f.cl, f.p)
	if err != nil {
		return wrapErr(f.url, "read counters", err)
	}
	f.mu.Lock()
	f.stats = s
	f.mu.Unlock()
	return nil
}

func readStats(ctx context.Context, cl *redis.Client, p string) (frontier.Stats, error) {
	m, err := cl.HGetAll(ctx, p+"st").Result()
	if err != nil {
		return frontier.Stats{}, err
	}
	g := func(k string) int64 { n, _ := strconv.ParseInt(m[k], 10, 64); return n }
	return frontier.Stats{Queued: g("queued"), Leased: g("leased"), Done: g("done"), Failed: g("failed"),
		Skipped: g("skipped"), Retries: g("retries"), Hosts: g("hosts"), Bytes: g("bytes"), Deferred: g("deferred")}, nil
}

// RequeueDeferred puts every deferred URL of the crawl back in its queue
// and ends every host deferral (resume calls it: for a shared crawl that
// is every worker's deferred work, which is what a new run wants).
func (f *Frontier) RequeueDeferred(ctx context.Context) (int, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	r, err := scriptRequeueDeferred.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p).Slice()
	if err != nil {
		return 0, wrapErr(f.url, "requeue deferred URLs", err)
	}
	f.setStats(r[1])
	return int(r[0].(int64)), nil
}

// DeferredHosts lists the hosts with deferred URLs, most URLs first.
func (f *Frontier) DeferredHosts() ([]frontier.DeferredHost, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	hosts, err := f.cl.SMembers(ctx, f.p+"dhosts").Result()
	if err != nil {
		return nil, wrapErr(f.url, "list deferred hosts", err)
	}
	out := make([]frontier.DeferredHost, 0, len(hosts))
	for _, h := range hosts {
		n, err := f.cl.ZCard(ctx, f.p+"d:"+h).Result()
		if err != nil {
			return nil, wrapErr(f.url, "list deferred hosts", err)
		}
		reason, err := f.cl.HGet(ctx, f.p+"dr", h).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapErr(f.url, "list deferred hosts", err)
		}
		out = append(out, frontier.DeferredHost{Host: h, URLs: n, Reason: reason})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].URLs != out[j].URLs {
			return out[i].URLs > out[j].URLs
		}
		return out[i].Host < out[j].Host
	})
	return out, nil
}

// Drained reports that nothing is queued or leased by any worker (or that
// --max-pages is reached and nothing is leased): the crawl is over.
func (f *Frontier) Drained() (bool, error) {
	if err := f.usable(); err != nil {
		return false, err
	}
	ctx, cancel := f.opCtx()
	defer cancel()
	n, err := scriptDrained.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p).Int()
	if err != nil {
		return false, f.breakWith(wrapErr(f.url, "check whether the crawl is over", err))
	}
	return n == 1, nil
}

// every runs tick every d while the frontier is usable, until Close.
func (f *Frontier) every(d time.Duration, tick func()) {
	defer f.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		if f.usable() == nil {
			tick()
		}
	}
}

// heartbeat renews this incarnation (and sweeps the leases of workers
// that stopped heart-beating); a worker that was swept is fenced.
func (f *Frontier) heartbeat() {
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), f.ttl/5)
	n, err := scriptHeartbeat.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p, f.inc, f.ttl.Microseconds()).Int()
	cancel()
	switch {
	case err != nil:
		f.breakWith(wrapErr(f.url, "heartbeat", err))
	case n < 0:
		f.breakWith(ErrFenced)
	default:
		f.renewedAt.Store(sent.UnixNano())
		if n > 0 {
			f.log.Info("took back the leases of workers that stopped heart-beating", "workers", n)
		}
		f.checkSeenCache()
	}
}

// checkSeenCache turns the seen cache off for good once Redis's AOF
// settings no longer make every acknowledged write survive a restart
// (CONFIG SET while the crawl runs, or a Redis restarted with other
// settings that go-redis reconnected to): the cache is exact only while
// they do (seencache.go). A failed read turns it off too; the next
// heartbeat or request reports a lost connection.
func (f *Frontier) checkSeenCache() {
	if f.seen == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.ttl/5)
	always, err := fsyncAlways(ctx, f.cl)
	cancel()
	if err == nil && always {
		return
	}
	f.seen.turnOff()
	f.log.Warn("seen cache off: Redis no longer fsyncs its AOF on every write", "frontier", Redacted(f.url), "err", err)
}

// statsTick refreshes the crawl-wide counters that Stats reports.
func (f *Frontier) statsTick() {
	ctx, cancel := f.opCtx()
	defer cancel()
	if err := f.refreshStats(ctx); err != nil {
		f.breakWith(err)
	}
}

// Close commits what is queued, gives back this incarnation's remaining
// leases (completions that will never come) and disconnects.
func (f *Frontier) Close() error {
	f.mu.Lock()
	if f.closed || f.stopping {
		f.mu.Unlock()
		return frontier.ErrClosed
	}
	f.stopping = true // no background lease round starts: wg.Wait below waits for the one out
	f.mu.Unlock()
	close(f.stop)
	f.wg.Wait()
	f.mu.Lock()
	f.closed = true
	broken := f.broken
	f.mu.Unlock()
	var errs []error
	ctx, cancel := f.opCtx()
	defer cancel()
	if !errors.Is(broken, ErrLost) {
		if err := scriptLeave.Run(ctx, f.cl, []string{f.p + "cfg"}, f.p, f.inc).Err(); err != nil {
			errs = append(errs, wrapErr(f.url, "leave the crawl", err))
		} else if s, err := readStats(ctx, f.cl, f.p); err == nil {
			f.mu.Lock()
			f.stats = s
			f.mu.Unlock()
		}
	}
	if err := f.cl.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close connection to %s: %w", Redacted(f.url), err))
	}
	return errors.Join(errs...)
}
