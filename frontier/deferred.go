package frontier

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Deferred work. A URL is deferred when the crawl cannot usefully try it in
// this run (its host's robots.txt stayed unavailable, or the host asked
// for a wait past the crawl's --max-wait). A deferred URL is not queued, so
// Drained ignores it and a run with only deferred work left finishes; its
// record keeps depth, parent, attempts and redirect count, and
// RequeueDeferred (run by trawl resume) puts every deferred URL back in
// the queue.
//
// A host is deferred through HostUpdate.Defer: in the same transaction
// every URL of the host in the queue and retry buckets moves to the
// deferred state, and for the rest of this Open the host stays out of the
// schedule and every URL of it that is added, retried or released is
// deferred too (writer.deferredHosts). The deferral itself is not
// persisted: the next Open starts with no deferred host, which is what
// resume wants (it requeues them all).

// requeueBatch bounds the URLs one RequeueDeferred transaction moves, as
// Add bounds its transactions.
const requeueBatch = 2048

// DeferredHost summarises the deferred URLs of one host.
type DeferredHost struct {
	Host   string `json:"host"`
	URLs   int64  `json:"urls"`
	Reason string `json:"reason"` // the reason of its first deferred URL
}

// RequeueDeferred puts every deferred URL back in the queue (its attempt
// count kept: a deferral spends no attempt) and ends every host deferral, in transactions of at most requeueBatch
// URLs. It returns how many URLs it requeued.
func (f *Frontier) RequeueDeferred(ctx context.Context) (int, error) {
	total := 0
	for {
		r := f.w.submitWait(ctx, &op{kind: opRequeueDeferred})
		if r.err != nil {
			return total, fmt.Errorf("requeue deferred: %w", r.err)
		}
		total += r.n
		if r.n < requeueBatch {
			return total, nil
		}
	}
}

// DeferredHosts lists the hosts with deferred URLs, most URLs first.
func (f *Frontier) DeferredHosts() ([]DeferredHost, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	var out []DeferredHost
	err := f.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = deferredHosts(tx)
		return err
	})
	return out, err
}

func deferredHosts(tx *bolt.Tx) ([]DeferredHost, error) {
	byHost := map[string]*DeferredHost{}
	records := tx.Bucket(bktRecords)
	err := tx.Bucket(bktDeferred).ForEach(func(k, _ []byte) error {
		r, err := recordAt(records, k)
		if err != nil {
			return fmt.Errorf("deferred %w", err)
		}
		d := byHost[r.host]
		if d == nil {
			d = &DeferredHost{Host: r.host, Reason: r.reason}
			byHost[r.host] = d
		}
		d.URLs++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deferred hosts: %w", err)
	}
	out := make([]DeferredHost, 0, len(byHost))
	for _, d := range byHost {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].URLs != out[j].URLs {
			return out[i].URLs > out[j].URLs
		}
		return out[i].Host < out[j].Host
	})
	return out, nil
}

// markDeferred turns r (queued or leased, its queue entry already gone)
// into a deferred URL and indexes it; the caller writes the record.
func (b *txBatch) markDeferred(r *urlRec, reason string) error {
	r.state, r.reason, r.inRetry, r.retryAt = stDeferred, reason, false, 0
	sk := makeSeqKey(r.seq)
	if err := b.b.deferred.Put(sk[:], nil); err != nil {
		return fmt.Errorf("defer seq %d: %w", r.seq, err)
	}
	b.disk.Deferred++
	b.mem.Deferred++
	return nil
}

// putDeferred stores a new URL of a deferred host as deferred.
func (b *txBatch) putDeferred(r *urlRec, reason string) error {
	if err := b.markDeferred(r, reason); err != nil {
		return err
	}
	sk := makeSeqKey(r.seq)
	return b.b.records.Put(sk[:], r.encode())
}

// deferHost defers host: every URL of it in the queue and retry buckets
// (except those Next has leased and the writer not yet recorded) becomes
// deferred, and the host leaves the schedule for the rest of this Open.
func (b *txBatch) deferHost(host string, reason string) error {
	f := b.w.f
	if _, ok := b.w.deferredHosts[host]; ok {
		return nil
	}
	b.w.deferredHosts[host] = reason
	// Out of the schedule first: from here Next hands out nothing of the
	// host, so the entries read below are all there is. A lease Next made
	// before now is in f.inflight and its entry is still on disk: its own
	// completion ends it (as Deferred, if it is given back).
	f.mu.Lock()
	leased := map[uint64]bool{}
	if h := f.hosts[host]; h != nil {
		h.deferred = true
		f.fix(h)
		for seq, in := range f.inflight {
			if in.host == host {
				leased[seq] = true
			}
		}
	}
	f.mu.Unlock()
	// A lease that ended earlier in this batch is still in f.inflight (the
	// batch is not applied yet), but its entry is gone, or its URL is back
	// in a queue bucket (released or retried): it is deferred like the
	// rest, or it would stay queued behind a host that is out of the
	// schedule.
	for _, ev := range b.events {
		if ev.kind == evLeaseEnd && ev.host == host {
			delete(leased, ev.seq)
		}
	}
	// Queue inserts this batch made so far are on disk from here.
	if err := b.flushQueuePuts(); err != nil {
		return err
	}
	hk := hostKey(host)
	for _, q := range []struct {
		bkt   *bolt.Bucket
		retry bool
	}{{b.b.queue, false}, {b.b.retry, true}} {
		var keys [][]byte
		c := q.bkt.Cursor()
		for k, _ := c.Seek(hk); k != nil && bytes.HasPrefix(k, hk); k, _ = c.Next() {
			if !leased[seqOfSuffix(k[len(hk):])] {
				keys = append(keys, append([]byte(nil), k...))
			}
		}
		for _, k := range keys {
			seq := seqOfSuffix(k[len(hk):])
			sk := makeSeqKey(seq)
			r, err := decodeURLRec(seq, b.b.records.Get(sk[:]))
			if err != nil {
				return fmt.Errorf("defer host %s: seq %d: %w", host, seq, err)
			}
			if err := q.bkt.Delete(k); err != nil {
				return fmt.Errorf("defer host %s: %w", host, err)
			}
			if err := b.putDeferred(&r, reason); err != nil {
				return fmt.Errorf("defer host %s: %w", host, err)
			}
			b.disk.Queued--
			b.mem.Queued--
		}
	}
	b.events = append(b.events, event{kind: evHostDeferred, host: host})
	return nil
}

// requeueDeferred moves up to requeueBatch deferred URLs back to the queue
// with attempt 0, and ends every host deferral.
func (b *txBatch) requeueDeferred() (int, error) {
	if len(b.w.deferredHosts) > 0 {
		clear(b.w.deferredHosts)
		b.events = append(b.events, event{kind: evUndeferred})
	}
	var keys [][]byte
	c := b.b.deferred.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < requeueBatch; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		r, err := recordAt(b.b.records, k)
		if err != nil {
			return 0, fmt.Errorf("requeue deferred: %w", err)
		}
		if r.state != stDeferred {
			return 0, fmt.Errorf("requeue deferred: seq %d in state %d: %w", r.seq, r.state, errCorrupt)
		}
		r.state, r.reason, r.inRetry, r.retryAt = stQueued, "", false, 0
		if err := b.b.records.Put(k, r.encode()); err != nil {
			return 0, fmt.Errorf("requeue deferred %s: %w", r.url, err)
		}
		if err := b.b.deferred.Delete(k); err != nil {
			return 0, fmt.Errorf("requeue deferred %s: %w", r.url, err)
		}
		suffix := r.suffix()
		b.queuePuts = append(b.queuePuts, queueKey(r.host, suffix))
		b.disk.Deferred--
		b.mem.Deferred--
		b.disk.Queued++
		b.mem.Queued++
		b.events = append(b.events, event{kind: evQueued, host: r.host,
			e: entry{suffix: suffix, seq: r.seq, url: r.url, parent: r.parent, depth: r.depth, attempt: r.attempt, redirs: r.redirs}})
	}
	return len(keys), nil
}
