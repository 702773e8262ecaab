package frontier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// txBatch is one writer transaction in progress: what it wrote to disk and
// what memory must learn once it has committed.
type txBatch struct {
	w    *writer
	tx   *bolt.Tx
	b    buckets
	txID int
	// written is how many pages the commit wrote (bbolt's count).
	written int
	hosts   map[string]*hostRec // every host record changed (or created), written back by flush
	// ended holds the seqs of the leases this batch's completions ended:
	// memory learns of them only after the commit.
	ended map[uint64]bool
	disk  Stats // persisted counters after this batch
	mem   Stats // delta for the in-memory counters (leases are counted eagerly by Next)
	seq   uint64

	events        []event
	checkpoint    []byte
	hasCheckpoint bool

	// Queue inserts wait for flush, which makes them in key order: bbolt
	// splits nodes only at commit, so unsorted inserts into a large batch
	// shift ever-growing inode arrays (quadratic), while sorted ones mostly
	// append.
	queuePuts [][]byte
	retryPuts [][]byte
	// seenLog holds the fingerprint and depth of each URL this batch
	// added, in seq order from seq firstSeq: flush appends it to the seen
	// log as one entry. lowered is the same for the URLs it lowered.
	seenLog  []byte
	firstSeq uint64
	lowered  []byte
}

type eventKind uint8

const (
	evQueued eventKind = iota + 1
	evLeaseEnd
	evLowered      // a queued entry moved from old to e (depth.go)
	evReparse      // rec awaits re-extraction
	evReparseEnd   // a Reparse lease (seq, url) ended
	evHostDeferred // the host's queues went to the deferred state: empty its windows
	evUndeferred   // RequeueDeferred cleared every host's deferral
)

type event struct {
	kind  eventKind
	host  string
	retry bool
	e     entry
	seq   uint64 // evLeaseEnd, evLowered, evReparseEnd
	url   string // evLeaseEnd, evReparseEnd
	old   []byte // evLowered
	rec   urlRec // evReparse
}

// buckets are one write transaction's buckets, looked up once, and
// cursors reused for membership tests (bbolt allocates one per Get).
type buckets struct {
	meta, userMeta, seen, records, queue, retry, hosts, deferred *bolt.Bucket
	lowered, reparse                                             *bolt.Bucket
	queueCur, retryCur                                           *bolt.Cursor
}

// recordFill is the share of a records page that appends fill.
const recordFill = 0.85

func txBuckets(tx *bolt.Tx) buckets {
	b := buckets{
		meta: tx.Bucket(bktMeta), userMeta: tx.Bucket(bktUserMeta), seen: tx.Bucket(bktSeen),
		records: tx.Bucket(bktRecords), queue: tx.Bucket(bktQueue), retry: tx.Bucket(bktRetry),
		hosts: tx.Bucket(bktHosts), deferred: tx.Bucket(bktDeferred),
		lowered: tx.Bucket(bktLowered), reparse: tx.Bucket(bktReparse),
	}
	// Records and the seen log are appended in seq order: fill pages
	// instead of splitting them in half. (FillPercent is per transaction,
	// not persisted.) A record grows when its completion rewrites it
	// (status, bytes, locator, the crawler's tag), so record pages keep
	// recordFill of a page and the rest for that growth: full pages split
	// at nearly every completion, into a full page and a one-record page,
	// which cost ~1.5 instead of ~1 dirty record pages per completion in a
	// 250k-page crawl (docs/BENCHMARKS.md, "A lease that writes nothing").
	b.records.FillPercent, b.seen.FillPercent, b.lowered.FillPercent = recordFill, 1.0, 1.0
	b.queueCur, b.retryCur = b.queue.Cursor(), b.retry.Cursor()
	return b
}

func (b *buckets) queueOf(inRetry bool) (*bolt.Bucket, *bolt.Cursor) {
	if inRetry {
		return b.retry, b.retryCur
	}
	return b.queue, b.queueCur
}

// hostRec returns the record of host name for this batch to change (flush
// writes it back), creating the host if it is new.
func (b *txBatch) hostRec(name string) (*hostRec, error) {
	if h := b.hosts[name]; h != nil {
		return h, nil
	}
	h := &hostRec{}
	if v := b.b.hosts.Get([]byte(name)); v != nil {
		r, err := decodeHostRec(v)
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", name, err)
		}
		*h = r
	} else {
		b.disk.Hosts++
		b.mem.Hosts++
	}
	b.hosts[name] = h
	return h, nil
}

// apply writes one op. A returned error aborts the whole batch; an error in
// the result fails only this op, which then wrote nothing.
func (b *txBatch) apply(o *op) (result, error) {
	switch o.kind {
	case opAdd:
		n, err := b.addItems(o.items, o.order, o.fps)
		return result{n: n}, err
	case opComplete:
		return b.complete(o)
	case opHost:
		return result{}, b.hostUpdate(o.host, o.hu)
	case opMeta:
		return result{}, b.b.userMeta.Put([]byte(o.key), o.val)
	case opBarrier:
		return result{}, nil
	case opRequeueDeferred:
		n, err := b.requeueDeferred()
		return result{n: n}, err
	}
	return result{}, fmt.Errorf("unknown op %d", o.kind)
}

// addItems adds items[i] for each i in order, or all items if order is
// nil; fps holds the fingerprint of every item, index for index (the
// submitter computed them: fingerprints).
func (b *txBatch) addItems(items []Item, order []int32, fps []uint64) (int, error) {
	count := len(items)
	if order != nil {
		count = len(order)
	}
	n := 0
	for k := range count {
		i := k
		if order != nil {
			i = int(order[k])
		}
		it := items[i]
		// The set learns the URL before the commit: if the batch fails,
		// the frontier is broken and the set is never read again.
		fp := fps[i]
		seen := b.w.f.seen
		ref, fresh, err := seen.Find(fp)
		if err != nil {
			return n, fmt.Errorf("add %s: %w", it.URL, err)
		}
		if !fresh {
			if seen.Payloads() {
				if err := b.lower(ref, fp, it); err != nil {
					return n, err
				}
			}
			continue
		}
		if err := b.knowHost(it.Host); err != nil {
			return n, err
		}
		b.seq++
		if len(b.seenLog) == 0 {
			b.firstSeq = b.seq
		}
		if seen.Payloads() {
			if b.seq > maxPayloadSeq {
				return n, fmt.Errorf("add %s: seq %d: more URLs than shortest depths can be kept for (%d)", it.URL, b.seq, uint64(maxPayloadSeq))
			}
			setSeqDepth(ref, b.seq, it.Depth)
		}
		b.seenLog = binary.BigEndian.AppendUint64(b.seenLog, fp)
		b.seenLog = append(b.seenLog, byte(min(it.Depth, 255)))
		r := urlRec{state: stQueued, depth: it.Depth, seq: b.seq, host: it.Host, url: it.URL, parent: it.Parent, redirs: it.Redirects, tag: it.Tag}
		if reason, ok := b.w.deferredHosts[it.Host]; ok {
			if err := b.putDeferred(&r, reason); err != nil {
				return n, fmt.Errorf("add %s: %w", it.URL, err)
			}
			n++
			continue
		}
		sk := makeSeqKey(r.seq)
		if err := b.b.records.Put(sk[:], r.encode()); err != nil {
			return n, fmt.Errorf("add %s: %w", it.URL, err)
		}
		suffix := r.suffix()
		b.queuePuts = append(b.queuePuts, queueKey(it.Host, suffix))
		b.disk.Queued++
		b.mem.Queued++
		b.events = append(b.events, event{kind: evQueued, host: it.Host,
			e: entry{suffix: suffix, seq: r.seq, url: it.URL, parent: it.Parent, depth: it.Depth, redirs: it.Redirects, tag: it.Tag}})
		n++
	}
	return n, nil
}

// knowHost makes sure host has a record: a new host gets one (counted in
// Stats.Hosts); a known one is not rewritten. f.hosts is written only by
// this goroutine (applyMemory) and by Open, so reading it here needs no
// lock.
func (b *txBatch) knowHost(name string) error {
	if b.hosts[name] != nil || b.w.f.hosts[name] != nil {
		return nil
	}
	_, err := b.hostRec(name)
	return err
}

// notCurrent says why o's completion is for a lease that is no longer
// current, "" if it is: the lease is not in flight, or was handed out in an
// earlier epoch (before a restart).
func (b *txBatch) notCurrent(o *op) string {
	switch {
	case !o.known:
		return "not in flight"
	case o.comp.Lease.Epoch != b.w.f.epoch:
		return "old epoch"
	}
	return ""
}

// stillOut reports whether the lease of seq that o completes is in flight
// at this point of the batch: memory holds that very lease (not one Next
// handed out after an earlier completion of it was applied) and no
// completion earlier in this batch ended it.
func (b *txBatch) stillOut(o *op) bool {
	if b.ended[o.seq] {
		return false
	}
	f := b.w.f
	f.mu.Lock()
	in, ok := f.inflight[o.seq]
	f.mu.Unlock()
	return ok && in.gen == o.gen
}

// staleLease is the error given to the caller of a completion (what:
// "complete" or "complete reparse") of lease l that is stale, and why.
func (b *txBatch) staleLease(what string, l Lease, why string) error {
	return fmt.Errorf("%s %s (%s, lease epoch %d, epoch %d): %w", what, l.URL, why, l.Epoch, b.w.f.epoch, ErrStaleLease)
}

func (b *txBatch) complete(o *op) (result, error) {
	c := o.comp
	if c.Lease.Reparse {
		return b.completeReparse(o)
	}
	stale := func(why string) (result, error) { return result{err: b.staleLease("complete", c.Lease, why)}, nil }
	if why := b.notCurrent(o); why != "" {
		return stale(why)
	}
	if !b.stillOut(o) {
		return stale("no lease")
	}
	sk := makeSeqKey(o.seq)
	r, err := decodeURLRec(o.seq, b.b.records.Get(sk[:]))
	if err != nil {
		return result{}, fmt.Errorf("complete %s: seq %d: %w", c.Lease.URL, o.seq, err)
	}
	if r.state != stQueued || r.url != c.Lease.URL {
		return result{}, fmt.Errorf("complete %s: leased seq %d holds %s in state %d: %w", c.Lease.URL, o.seq, r.url, r.state, errCorrupt)
	}
	// The lease's queue entry stayed on disk while it was out; it goes
	// now. A lowering (depth.go) may have moved it to where the record's
	// depth puts it since Next read it.
	if !b.dequeue(r.host, o.suffix, o.inRetry) && (r.inRetry != o.inRetry || !b.dequeue(r.host, r.suffix(), r.inRetry)) {
		return result{}, fmt.Errorf("complete %s seq %d: no queue entry: %w", r.url, o.seq, errCorrupt)
	}
	if b.ended == nil {
		b.ended = map[uint64]bool{}
	}
	b.ended[o.seq] = true
	r.status, r.reason = c.Status, c.Reason
	if c.Tag != "" {
		r.tag = c.Tag
	}
	b.disk.Queued--
	b.mem.Leased--
	outcome := c.Outcome
	if reason, ok := b.w.deferredHosts[r.host]; ok && (outcome == Retry || outcome == Release) {
		outcome, r.reason = Deferred, reason // its host is deferred: nothing of it is queued
	}
	switch outcome {
	case Done:
		r.state, r.bytes = stDone, c.Bytes
		r.loc = append([]byte(nil), c.Locator...)
		b.disk.Done++
		b.mem.Done++
		b.disk.Bytes += c.Bytes
		b.mem.Bytes += c.Bytes
	case Failed:
		r.state = stFailed
		b.disk.Failed++
		b.mem.Failed++
	case Skipped:
		r.state = stSkipped
		b.disk.Skipped++
		b.mem.Skipped++
	case Deferred:
		if err := b.markDeferred(&r, r.reason); err != nil {
			return result{}, fmt.Errorf("complete %s: %w", r.url, err)
		}
	case Retry, Release:
		r.inRetry = c.Outcome == Retry
		if r.inRetry {
			r.attempt++
			r.retryAt = timeToNano(c.RetryAt)
			b.disk.Retries++
			b.mem.Retries++
		} else {
			r.retryAt = 0
		}
		suffix := r.suffix()
		if r.inRetry {
			b.retryPuts = append(b.retryPuts, queueKey(r.host, suffix))
		} else {
			b.queuePuts = append(b.queuePuts, queueKey(r.host, suffix))
		}
		b.disk.Queued++
		b.mem.Queued++
		b.events = append(b.events, event{kind: evQueued, host: r.host, retry: r.inRetry,
			e: entry{suffix: suffix, seq: r.seq, url: r.url, parent: r.parent, depth: r.depth, attempt: r.attempt, redirs: r.redirs, tag: r.tag}})
	}
	if c.Outcome == Done && r.depth < c.Lease.Depth {
		// Lowered while leased: its links were taken at the old depth.
		if err := b.reparse(r); err != nil {
			return result{}, err
		}
	}
	if err := b.b.records.Put(sk[:], r.encode()); err != nil {
		return result{}, fmt.Errorf("complete %s: %w", r.url, err)
	}
	b.events = append(b.events, event{kind: evLeaseEnd, host: r.host, seq: r.seq, url: r.url})
	if _, err := b.addItems(c.Children, nil, o.fps); err != nil {
		return result{}, fmt.Errorf("complete %s: children: %w", r.url, err)
	}
	if c.Host != nil {
		u := *c.Host
		if c.RobotsHost != "" && c.RobotsHost != r.host && u.Robots != nil {
			// robots.txt is per origin (RFC 9309) whatever the
			// politeness key groups: keep it under the origin's key.
			if err := b.hostUpdate(c.RobotsHost, HostUpdate{Robots: u.Robots}); err != nil {
				return result{}, err
			}
			u.Robots = nil
		}
		if err := b.hostUpdate(r.host, u); err != nil {
			return result{}, err
		}
	}
	if c.Checkpoint != nil {
		b.checkpoint, b.hasCheckpoint = append([]byte(nil), c.Checkpoint...), true
	}
	return result{}, nil
}

func (b *txBatch) hostUpdate(name string, u HostUpdate) error {
	hr, err := b.hostRec(name)
	if err != nil {
		return err
	}
	hr.nextAllowed = max(hr.nextAllowed, timeToNano(u.NotBefore))
	if u.Delay != nil {
		hr.delay = *u.Delay
	}
	if u.Robots != nil {
		rs := *u.Robots
		rs.Body = append([]byte(nil), rs.Body...)
		hr.robots = &rs
	}
	if u.Defer != "" {
		return b.deferHost(name, u.Defer)
	}
	return nil
}

// flush appends the batch's fingerprints to the seen log, writes the
// deferred queue inserts in key order, then the touched hosts, counters,
// sequence and checkpoint.
func (b *txBatch) flush() error {
	if len(b.seenLog) > 0 {
		if err := b.b.seen.Put(u64(b.firstSeq), b.seenLog); err != nil {
			return fmt.Errorf("seen log: %w", err)
		}
	}
	if len(b.lowered) > 0 {
		n, err := b.b.lowered.NextSequence()
		if err == nil {
			err = b.b.lowered.Put(u64(n), b.lowered)
		}
		if err != nil {
			return fmt.Errorf("lowered log: %w", err)
		}
	}
	if err := b.flushQueuePuts(); err != nil {
		return err
	}
	hosts, meta := b.b.hosts, b.b.meta
	for name, h := range b.hosts {
		if err := hosts.Put([]byte(name), h.encode()); err != nil {
			return fmt.Errorf("store host %q: %w", name, err)
		}
	}
	if err := meta.Put(keyStats, encodeStats(b.disk)); err != nil {
		return fmt.Errorf("store stats: %w", err)
	}
	if err := meta.Put(keySeq, u64(b.seq)); err != nil {
		return fmt.Errorf("store seq: %w", err)
	}
	if b.hasCheckpoint {
		if err := meta.Put(keyCheckpoint, b.checkpoint); err != nil {
			return fmt.Errorf("store checkpoint: %w", err)
		}
	}
	return nil
}

// flushQueuePuts writes the batch's pending queue inserts, in key order.
func (b *txBatch) flushQueuePuts() error {
	for _, q := range []struct {
		bkt  *bolt.Bucket
		keys [][]byte
	}{{b.b.queue, b.queuePuts}, {b.b.retry, b.retryPuts}} {
		slices.SortFunc(q.keys, bytes.Compare)
		for _, k := range q.keys {
			if err := q.bkt.Put(k, nil); err != nil {
				return fmt.Errorf("queue: %w", err)
			}
		}
	}
	b.queuePuts, b.retryPuts = b.queuePuts[:0], b.retryPuts[:0]
	return nil
}

// applyMemory makes memory match the committed batch. Runs under f.mu.
func (b *txBatch) applyMemory() {
	f := b.w.f
	f.appliedTx = b.txID
	window := f.window()
	// touched are the hosts whose queues or slots the batch changed and
	// whose records it did not write (those are fixed below anyway): each
	// goes back into the schedule or out of it. A host's events are
	// mostly consecutive, so a repeat is skipped by comparing with the
	// last one.
	var touched []*host
	touch := func(h *host) {
		if _, written := b.hosts[h.name]; !written && (len(touched) == 0 || touched[len(touched)-1] != h) {
			touched = append(touched, h)
		}
	}
	for name, r := range b.hosts {
		h := f.hosts[name]
		if h == nil {
			h = newHost(name)
			f.hosts[name] = h
		}
		h.setRec(*r)
	}
	for _, ev := range b.events {
		h := f.hosts[ev.host]
		switch ev.kind {
		case evQueued:
			if ev.retry {
				h.retryQ().insert(ev.e, window)
			} else {
				h.main.insert(ev.e, window)
			}
			touch(h)
		case evLeaseEnd:
			h.inflight--
			if f.onWire[ev.seq] {
				delete(f.onWire, ev.seq)
				h.onWire--
			}
			touch(h) // its slot may be free
			delete(f.inflight, ev.seq)
			delete(f.leasedSeq, ev.url)
		case evLowered:
			if _, leased := f.inflight[ev.seq]; leased {
				// Leased (before or after the commit): memory holds no
				// entry for it; its completion deletes the moved one.
				break
			}
			if ev.retry {
				h.retryQ().replace(ev.old, ev.e, window)
			} else {
				h.main.replace(ev.old, ev.e, window)
			}
			touch(h)
		case evReparse:
			f.queueReparse(ev.rec)
		case evReparseEnd:
			delete(f.reparsing, ev.url)
		case evHostDeferred:
			h.main, h.retry, h.deferred = dq{}, nil, true
		case evUndeferred:
			for _, h := range f.hosts {
				if h.deferred {
					h.deferred = false
					f.fix(h)
				}
			}
		}
	}
	f.stats = f.stats.add(b.mem)
	if b.hasCheckpoint {
		f.checkpoint = b.checkpoint
	}
	for name := range b.hosts {
		f.fix(f.hosts[name])
	}
	for _, h := range touched {
		f.fix(h)
	}
	for _, h := range f.awaiting {
		h.awaitApply = false
		f.fix(h)
	}
	f.awaiting = f.awaiting[:0]
}
