package frontier

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	// Each host keeps a small window of its queue in memory: with thousands
	// of hosts the windows are most of the frontier's heap (docs/FRONTIER.md,
	// "Memory"), while a refill is one read-only cursor seek. Windows shrink
	// when hosts are many (see window).
	maxWindow = 8
	// windowBudget is about how many queue entries all windows hold
	// together, so that the heap does not grow with the number of hosts.
	windowBudget = 1 << 16
)

// window is how many entries a refill reads: maxWindow, or fewer so that
// all hosts together stay within windowBudget. A buffer that grows past
// twice the window is trimmed back to it. Must run under f.mu.
func (f *Frontier) window() int {
	return max(1, min(maxWindow, windowBudget/max(1, len(f.hosts))))
}

// host is the in-memory state of one host: politeness, in-flight count and
// two disk-backed queues (ready URLs, and delayed retries ordered by time).
type host struct {
	name        string
	nextAllowed int64 // unix nanoseconds, 0 for none (a time.Time is three words: this struct is per host)
	lastBegin   int64 // unix nanoseconds of the latest start reserved by Begin (memory only)
	delay       time.Duration
	robots      *RobotsState
	inflight    int // leases not yet completed
	onWire      int // leases whose request may still be on the wire: the per-host limit counts these
	main        dq
	retry       *dq   // delayed retries; nil while there are none (most hosts: this struct is per host)
	readyAt     int64 // unix nanoseconds
	heapIdx     int   // -1 when not in the ready heap
	awaitApply  bool  // a refill saw a snapshot newer than memory: out of the heap until the writer applies it
	deferred    bool  // HostUpdate.Defer: out of the schedule, nothing queued, until RequeueDeferred
}

func newHost(name string) *host {
	return &host{name: name, heapIdx: -1}
}

func (h *host) setRec(r hostRec) {
	h.nextAllowed = max(h.nextAllowed, r.nextAllowed)
	h.delay, h.robots = r.delay, r.robots
}

// retryCount is the number of h's delayed retries.
func (h *host) retryCount() int {
	if h.retry == nil {
		return 0
	}
	return h.retry.count
}

// retryQ returns h's retry queue, creating it if needed.
func (h *host) retryQ() *dq {
	if h.retry == nil {
		h.retry = &dq{}
	}
	return h.retry
}

// dropEmptyRetry frees h's retry queue once nothing is in it.
func (h *host) dropEmptyRetry() {
	if h.retry != nil && h.retry.count <= 0 && len(h.retry.buf) == 0 {
		h.retry = nil
	}
}

// entry is one queued URL held in memory.
type entry struct {
	suffix  []byte // key after the host key; ends in seq
	seq     uint64
	url     string
	parent  string
	depth   int
	attempt int
	redirs  int
	tag     string
}

// dq is a window onto one host's range of a queue bucket. Invariant: buf
// holds, sorted, every entry on disk with suffix <= cursor that is not
// leased; entries past cursor are on disk only. A leased URL's entry stays
// on disk until its completion commits, and refills skip it. exhausted
// means nothing on disk lies past cursor. count is the number of unleased
// entries in total.
type dq struct {
	count     int
	buf       []entry
	cursor    []byte
	exhausted bool
}

// insert records an entry committed to disk by the writer.
func (q *dq) insert(e entry, window int) {
	q.count++
	if !q.exhausted && bytes.Compare(e.suffix, q.cursor) > 0 {
		return // on disk past the window: a later refill reads it
	}
	i := sort.Search(len(q.buf), func(i int) bool { return bytes.Compare(q.buf[i].suffix, e.suffix) >= 0 })
	if i < len(q.buf) && bytes.Equal(q.buf[i].suffix, e.suffix) {
		return
	}
	q.buf = append(q.buf, entry{})
	copy(q.buf[i+1:], q.buf[i:])
	q.buf[i] = e
	if bytes.Compare(e.suffix, q.cursor) > 0 {
		q.cursor = e.suffix
	}
	if len(q.buf) > 2*window {
		// Copy, so the trimmed entries (and their strings) are not kept
		// alive by the old backing array.
		q.buf = append(make([]entry, 0, window), q.buf[:window]...)
		q.cursor = q.buf[len(q.buf)-1].suffix
		q.exhausted = false
	}
}

func (q *dq) pop() entry {
	e := q.buf[0]
	q.buf[0] = entry{} // release its strings: the backing array outlives the slice head
	q.buf = q.buf[1:]
	if len(q.buf) == 0 {
		q.buf = nil
	}
	q.count--
	return e
}

// refill reads entries past the cursor. It must run under f.mu.
func (f *Frontier) refill(h *host, q *dq, bkt []byte) error {
	if q.exhausted || len(q.buf) > 0 || q.count <= 0 {
		return nil
	}
	return f.db.View(func(tx *bolt.Tx) error {
		if int(tx.ID()) != f.appliedTx {
			// The snapshot holds a commit whose memory effects are not applied
			// yet; reading it could hand out an entry twice. Try again later.
			return nil
		}
		c := tx.Bucket(bkt).Cursor()
		records := tx.Bucket(bktRecords)
		hk := hostKey(h.name)
		var k []byte
		if q.cursor == nil {
			k, _ = c.Seek(hk)
		} else {
			k, _ = c.Seek(append(hk, q.cursor...))
			if k != nil && bytes.Equal(k[len(hk):], q.cursor) {
				k, _ = c.Next()
			}
		}
		n, window := 0, f.window()
		for ; k != nil && bytes.HasPrefix(k, hk) && n < window; k, _ = c.Next() {
			n++
			suffix := append([]byte(nil), k[len(hk):]...)
			q.cursor = suffix
			seq := seqOfSuffix(suffix)
			if _, leased := f.inflight[seq]; leased {
				continue
			}
			sk := makeSeqKey(seq)
			r, err := decodeURLRec(seq, records.Get(sk[:]))
			if err != nil {
				return fmt.Errorf("refill %s: seq %d: %w", h.name, seq, err)
			}
			q.buf = append(q.buf, entry{suffix: suffix, seq: seq, url: r.url, parent: r.parent, depth: r.depth, attempt: r.attempt, redirs: r.redirs, tag: r.tag})
		}
		if n < window {
			q.exhausted = true
		}
		return nil
	})
}

func retryNano(suffix []byte) int64 { return int64(binary.BigEndian.Uint64(suffix)) }

// lookahead is how long before its next-allowed time h may be leased:
// Options.Lookahead, but at most half the host's delay, so a lease is not
// handed out before the previous request of the host has begun (Begin).
// A host without a delay has none.
func (f *Frontier) lookahead(h *host) time.Duration {
	return min(f.opts.Lookahead, max(f.opts.Delay, h.delay)/2)
}

// fix recomputes whether h belongs in the ready heap and when it is ready.
// Must run under f.mu.
func (f *Frontier) fix(h *host) {
	in := !h.awaitApply && !h.deferred && h.onWire < f.opts.PerHost && (h.main.count > 0 || h.retryCount() > 0)
	if in {
		la := int64(f.lookahead(h))
		h.readyAt = h.nextAllowed - la
		if h.main.count <= 0 {
			if err := f.refill(h, h.retry, bktRetry); err != nil {
				f.fail(err)
			}
			if len(h.retry.buf) > 0 {
				h.readyAt = max(h.readyAt, retryNano(h.retry.buf[0].suffix)-la)
			} else if h.retry.exhausted {
				// Memory counted more than disk holds: trust the disk.
				h.retry = nil
				in = false
			} else {
				// Not readable now (snapshot ahead of memory): wait for the
				// writer to apply its commit.
				f.awaitApply(h)
				in = false
			}
		}
	}
	switch {
	case in && h.heapIdx < 0:
		heap.Push(&f.ready, h)
	case in:
		heap.Fix(&f.ready, h.heapIdx)
	case h.heapIdx >= 0:
		heap.Remove(&f.ready, h.heapIdx)
	}
}

// Lease is one URL handed out for fetching.
type Lease struct {
	URL     string
	Host    string
	Depth   int
	Parent  string
	Attempt int    // 0 on first try; +1 per Retry outcome
	Epoch   uint64 // epoch of the Open that handed it out
	// Redirects is the Item's redirect count, as added.
	Redirects int
	// Tag is the Item's Tag, or the last non-empty Completion.Tag.
	Tag string
	// Start is when the request may start: the host's politeness time (at
	// most Options.Lookahead after the Next that handed the lease out).
	// The frontier's schedule is the only one: the fetcher waits until
	// Start and then sends, and the host's next lease starts no earlier
	// than Start plus the host's delay.
	Start time.Time
	// Reparse marks a fetched page handed out again because its depth was
	// lowered (see Item): the caller does not fetch it, but extracts its
	// links at Depth from the stored page at Locator and completes with
	// Outcome Done and the children (or Release to give it back). Its
	// completion changes no counter and no host state.
	Reparse bool
	Locator []byte // Reparse: the Completion.Locator the page was stored with
}

// Next hands out a page awaiting re-extraction (a Reparse lease: CPU work
// that no host's politeness bounds) if there is one; otherwise a lease for
// a host whose next-allowed time is <= now and
// whose in-flight count is below PerHost, choosing the host that became ready
// earliest; within a host a due retry comes first, then lower depth, then
// FIFO. It never blocks on a write, and a lease writes nothing to disk (a
// host with a delay has its next-allowed time persisted through the
// writer). If nothing can be leased, ok is false and wait is the time until
// the earliest host or delayed retry becomes ready, or 0 if nothing will
// until some lease completes (or nothing is queued: see Drained). err is
// ErrClosed after Close, or the commit error that broke the frontier: a
// broken frontier is never mistaken for one with nothing to do.
// A host becomes leasable a little before its next-allowed time (see
// lookahead), so the fetcher can be waiting when the time comes (Lease.Start);
// leasing sets the host's next-allowed time to Start + max(Options.Delay,
// host delay).
func (f *Frontier) Next(now time.Time) (l Lease, ok bool, wait time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return Lease{}, false, 0, ErrClosed
	}
	if f.broken != nil {
		return Lease{}, false, 0, f.broken
	}
	if l, ok := f.nextReparse(); ok {
		return l, true, 0, nil
	}
	for range 64 {
		if len(f.ready) == 0 {
			return Lease{}, false, f.applyWait(0), nil
		}
		h := f.ready[0]
		if n := now.UnixNano(); h.readyAt > n {
			return Lease{}, false, f.applyWait(time.Duration(h.readyAt - n)), nil
		}
		e, fromRetry, ok := f.pick(h, now.Add(f.lookahead(h)))
		if f.broken != nil {
			return Lease{}, false, 0, f.broken
		}
		if !ok {
			f.fix(h)
			continue
		}
		return f.lease(h, e, fromRetry, now), true, 0, nil
	}
	return Lease{}, false, time.Millisecond, nil
}

// awaitApply takes h out of the schedule until the writer applies its
// pending commit (see applied). Must run under f.mu.
func (f *Frontier) awaitApply(h *host) {
	if !h.awaitApply {
		h.awaitApply = true
		f.awaiting = append(f.awaiting, h)
	}
}

// applyWait caps a Next wait at 1ms while hosts await the writer's apply,
// so callers poll rather than sleep through it.
func (f *Frontier) applyWait(wait time.Duration) time.Duration {
	if len(f.awaiting) > 0 && (wait == 0 || wait > time.Millisecond) {
		return time.Millisecond
	}
	return wait
}

// pick takes the next entry of h: a due retry first, else the queue head.
// fromRetry reports which of the two it came from.
func (f *Frontier) pick(h *host, now time.Time) (e entry, fromRetry, ok bool) {
	if h.retryCount() > 0 {
		if err := f.refill(h, h.retry, bktRetry); err != nil {
			f.fail(err)
			return entry{}, false, false
		}
		if len(h.retry.buf) > 0 && retryNano(h.retry.buf[0].suffix) <= now.UnixNano() {
			e := h.retry.pop()
			h.dropEmptyRetry()
			return e, true, true
		}
	}
	if h.main.count > 0 {
		if err := f.refill(h, &h.main, bktQueue); err != nil {
			f.fail(err)
			return entry{}, false, false
		}
		if len(h.main.buf) > 0 {
			return h.main.pop(), false, true
		}
		if h.main.exhausted {
			// Memory counted more than disk holds: trust the disk.
			h.main.count = 0
		} else {
			// Snapshot ahead of memory: the writer has committed but not
			// yet applied (it waits for f.mu). Politeness state is not
			// touched; the host returns when the commit is applied.
			f.awaitApply(h)
		}
	}
	return entry{}, false, false
}

// inflight is what memory keeps of a lease until its completion commits:
// its host and the key of its queue or retry entry, which stays on disk
// while the URL is out (the completion deletes it).
type inflight struct {
	host   string
	suffix []byte
	retry  bool
	// gen tells this lease from a later lease of the same seq: a second
	// completion of a lease that a first completion ended (and Next then
	// handed out again) must be refused as stale, not taken for the new
	// lease's. Never 0.
	gen uint64
}

// lease hands out e. Its request may start at the host's next-allowed
// time (or the retry's due time), never before now; the host's next
// request may start the host's delay after that.
func (f *Frontier) lease(h *host, e entry, fromRetry bool, now time.Time) Lease {
	h.inflight++
	h.onWire++
	f.onWire[e.seq] = true
	start := max(now.UnixNano(), h.nextAllowed)
	if fromRetry {
		start = max(start, retryNano(e.suffix))
	}
	delay := max(f.opts.Delay, h.delay)
	h.nextAllowed = start + int64(delay)
	f.leaseGen++
	f.inflight[e.seq] = inflight{host: h.name, suffix: e.suffix, retry: fromRetry, gen: f.leaseGen}
	f.leasedSeq[e.url] = e.seq
	f.stats.Queued--
	f.stats.Leased++
	f.fix(h)
	if delay > 0 {
		// The lease itself writes nothing (its queue entry stays until
		// its completion); only the host's next-allowed time is persisted,
		// so that the gap holds across a restart. Without a delay there is
		// nothing to keep: next-allowed is the start, past by any restart.
		f.w.submit(&op{kind: opHost, host: h.name, hu: HostUpdate{NotBefore: nanoToTime(h.nextAllowed)}})
	}
	return Lease{URL: e.url, Host: h.name, Depth: e.depth, Parent: e.parent, Attempt: e.attempt, Epoch: f.epoch, Redirects: e.redirs, Tag: e.tag, Start: nanoToTime(start)}
}

// hostHeap orders ready hosts by readyAt, ties by name: the order of
// equally ready hosts must not depend on map iteration in the writer.
type hostHeap []*host

func (q hostHeap) Len() int { return len(q) }
func (q hostHeap) Less(i, j int) bool {
	if q[i].readyAt != q[j].readyAt {
		return q[i].readyAt < q[j].readyAt
	}
	return q[i].name < q[j].name
}
func (q hostHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIdx, q[j].heapIdx = i, j
}
func (q *hostHeap) Push(x any) {
	h := x.(*host)
	h.heapIdx = len(*q)
	*q = append(*q, h)
}
func (q *hostHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	h.heapIdx = -1
	return h
}
