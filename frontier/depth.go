package frontier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/trawl-crawler/trawl/internal/fpset"
)

// Shortest depth (Options.ShortestDepth; the semantics are in Item's doc).
//
// The seen-set's payload holds each URL's seq and smallest known depth, so
// a rediscovery costs nothing unless its depth is smaller; then the writer
// reads the record by seq, lowers it, moves its queue entry, and logs the
// lowering (fingerprint and depth) in the lowered bucket, which Open
// applies after the seen log. A fetched page that is lowered to MaxDepth
// or less goes into the reparse bucket: Next hands it out as a Reparse
// lease, before any fetch, and its completion adds the children its links
// give at the new depth, which may lower their own known children (the
// cascade runs through the ordinary Add path). A lease in flight when its
// URL is lowered keeps its old depth; its completion compares the two and
// queues a re-extraction (Done) or requeues at the new depth.

// The seen-set payload's layout: the URL's seq (34 bits) and its smallest
// known depth (6 bits, saturating at depthSat).
const (
	payloadSeqBits = 34
	payloadSeqMask = 1<<payloadSeqBits - 1
	// depthSat is the largest depth a payload holds exactly; a URL at
	// depthSat or deeper has its exact depth read from its record.
	depthSat = 1<<(fpset.PayloadBits-payloadSeqBits) - 1
	// maxPayloadSeq is the largest seq a payload holds: a frontier that
	// keeps shortest depths refuses URLs past it (17 billion).
	maxPayloadSeq = payloadSeqMask
)

// seqDepth decodes a seen-set slot's payload: the URL's seq and its
// smallest known depth, capped at depthSat.
func seqDepth(r fpset.Ref) (seq uint64, depth int) {
	p := r.Payload()
	return p & payloadSeqMask, int(p >> payloadSeqBits)
}

// setSeqDepth stores seq and depth (capped at depthSat) in the slot.
func setSeqDepth(r fpset.Ref, seq uint64, depth int) {
	r.SetPayload(seq | uint64(min(depth, depthSat))<<payloadSeqBits)
}

// reparseItem is a fetched page awaiting re-extraction.
type reparseItem struct {
	seq   uint64
	lease Lease
}

// reparseLease is the lease Next hands out to re-extract r's links.
func (f *Frontier) reparseLease(r urlRec) Lease {
	return Lease{URL: r.url, Host: r.host, Depth: r.depth, Parent: r.parent, Epoch: f.epoch,
		Redirects: r.redirs, Reparse: true, Locator: r.loc, Tag: r.tag}
}

// queueReparse makes memory hold r as awaiting re-extraction at its
// current depth: a page already queued takes the new depth; one handed out
// is left to its completion. Must run under f.mu (or in Open).
func (f *Frontier) queueReparse(r urlRec) {
	if i, ok := f.reparseAt[r.seq]; ok {
		f.reparseQ[i].lease = f.reparseLease(r)
		return
	}
	if _, out := f.reparsing[r.url]; out {
		return
	}
	f.reparseAt[r.seq] = len(f.reparseQ)
	f.reparseQ = append(f.reparseQ, reparseItem{seq: r.seq, lease: f.reparseLease(r)})
}

// nextReparse hands out a page awaiting re-extraction, if any. Must run
// under f.mu.
func (f *Frontier) nextReparse() (Lease, bool) {
	n := len(f.reparseQ)
	if n == 0 {
		return Lease{}, false
	}
	it := f.reparseQ[n-1]
	f.reparseQ[n-1] = reparseItem{}
	f.reparseQ = f.reparseQ[:n-1]
	delete(f.reparseAt, it.seq)
	f.reparsing[it.lease.URL] = it.seq
	return it.lease, true
}

// lower lowers the URL in slot ref (fingerprint fp) to it's depth if that
// is smaller than the one it has, in the batch's transaction.
func (b *txBatch) lower(ref fpset.Ref, fp uint64, it Item) error {
	seq, d := seqDepth(ref)
	if it.Depth >= d && d < depthSat {
		return nil
	}
	sk := makeSeqKey(seq)
	r, err := decodeURLRec(seq, b.b.records.Get(sk[:]))
	if err != nil {
		return fmt.Errorf("lower %s: seq %d: %w", it.URL, seq, err)
	}
	if r.url != it.URL {
		// Another URL with the same 60 fingerprint bits (see
		// fingerprint): the new one was dropped as seen; leave both.
		return nil
	}
	if it.Depth >= r.depth {
		return nil
	}
	setSeqDepth(ref, seq, it.Depth)
	b.lowered = binary.BigEndian.AppendUint64(b.lowered, fp)
	b.lowered = append(b.lowered, byte(min(it.Depth, 255)))
	old := r
	r.depth, r.parent, r.redirs = it.Depth, it.Parent, it.Redirects
	switch r.state {
	case stQueued:
		// Queued or leased: the entry moves either way (a leased URL's
		// entry stays on disk until its completion, which finds it where
		// the record's depth puts it); memory moves it only if it is not
		// leased when the batch is applied.
		if !r.inRetry {
			if !b.dequeue(r.host, old.suffix(), false) {
				return fmt.Errorf("lower %s seq %d: no queue entry: %w", r.url, seq, errCorrupt)
			}
			b.queuePuts = append(b.queuePuts, queueKey(r.host, r.suffix()))
		}
		b.events = append(b.events, event{kind: evLowered, host: r.host, retry: r.inRetry, old: old.suffix(), seq: seq,
			e: entry{suffix: r.suffix(), seq: seq, url: r.url, parent: r.parent, depth: r.depth, attempt: r.attempt, redirs: r.redirs, tag: r.tag}})
	case stDone:
		if err := b.reparse(r); err != nil {
			return err
		}
	}
	if err := b.b.records.Put(sk[:], r.encode()); err != nil {
		return fmt.Errorf("lower %s: %w", r.url, err)
	}
	return nil
}

// reparse queues the fetched page r for re-extraction at its depth, unless
// that is still past MaxDepth (at MaxDepth its links are out of range, but
// a redirect's target is not: it has its source's depth).
func (b *txBatch) reparse(r urlRec) error {
	if r.depth > b.w.f.opts.MaxDepth {
		return nil
	}
	sk := makeSeqKey(r.seq)
	if err := b.b.reparse.Put(sk[:], nil); err != nil {
		return fmt.Errorf("reparse %s: %w", r.url, err)
	}
	b.events = append(b.events, event{kind: evReparse, rec: r})
	return nil
}

// dequeue removes host's entry with suffix from the queue (or retry)
// bucket, or from the inserts this batch has pending, and reports whether
// it was there.
func (b *txBatch) dequeue(host string, suffix []byte, inRetry bool) bool {
	k := queueKey(host, suffix)
	_, qc := b.b.queueOf(inRetry)
	if has(qc, k) {
		// Where the cursor stands: a Delete by key would search again.
		return qc.Delete() == nil
	}
	puts := &b.queuePuts
	if inRetry {
		puts = &b.retryPuts
	}
	for i, p := range *puts {
		if bytes.Equal(p, k) {
			last := len(*puts) - 1
			(*puts)[i] = (*puts)[last]
			*puts = (*puts)[:last]
			return true
		}
	}
	return false
}

// completeReparse ends a Reparse lease: its children are added and the
// page leaves the reparse bucket, unless it was lowered again meanwhile
// (then it is handed out once more at the new depth).
func (b *txBatch) completeReparse(o *op) (result, error) {
	c := o.comp
	stale := func(why string) (result, error) {
		return result{err: b.staleLease("complete reparse", c.Lease, why)}, nil
	}
	if why := b.notCurrent(o); why != "" {
		return stale(why)
	}
	sk := makeSeqKey(o.seq)
	if !has(b.b.reparse.Cursor(), sk[:]) {
		return stale("not awaiting re-extraction")
	}
	r, err := decodeURLRec(o.seq, b.b.records.Get(sk[:]))
	if err != nil {
		return result{}, fmt.Errorf("complete reparse %s: seq %d: %w", c.Lease.URL, o.seq, err)
	}
	b.events = append(b.events, event{kind: evReparseEnd, seq: o.seq, url: r.url})
	if c.Outcome != Release && r.depth >= c.Lease.Depth {
		if err := b.b.reparse.Delete(sk[:]); err != nil {
			return result{}, fmt.Errorf("complete reparse %s: %w", r.url, err)
		}
	} else {
		// Lowered again while out, or given back: hand it out again.
		b.events = append(b.events, event{kind: evReparse, rec: r})
	}
	if c.Outcome != Release {
		if _, err := b.addItems(c.Children, nil, o.fps); err != nil {
			return result{}, fmt.Errorf("complete reparse %s: children: %w", r.url, err)
		}
	}
	return result{}, nil
}

// replace moves a queued entry from suffix old to e (a lowering) in the
// window; the count does not change.
func (q *dq) replace(old []byte, e entry, window int) {
	i := sort.Search(len(q.buf), func(i int) bool { return bytes.Compare(q.buf[i].suffix, old) >= 0 })
	if i < len(q.buf) && bytes.Equal(q.buf[i].suffix, old) {
		copy(q.buf[i:], q.buf[i+1:])
		q.buf[len(q.buf)-1] = entry{}
		q.buf = q.buf[:len(q.buf)-1]
	}
	q.count-- // insert counts it again
	q.insert(e, window)
}
