package frontier

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// txBatch is one writer transaction in progress: what it wrote to disk and
// what memory must learn once it has committed.
type txBatch struct {
	w     *writer
	tx    *bolt.Tx
	txID  int
	hosts map[string]*hostRec // every host touched, written back by flush
	disk  Stats               // persisted counters after this batch
	mem   Stats               // delta for the in-memory counters (leases are counted eagerly by Next)
	seq   uint64

	events        []event
	checkpoint    []byte
	hasCheckpoint bool
}

type eventKind uint8

const (
	evQueued eventKind = iota + 1
	evLeaseEnd
)

type event struct {
	kind  eventKind
	host  string
	retry bool
	e     entry
	hash  urlHash
}

func (b *txBatch) hostRec(name string) (*hostRec, error) {
	if h := b.hosts[name]; h != nil {
		return h, nil
	}
	h := &hostRec{}
	if v := b.tx.Bucket(bktHosts).Get([]byte(name)); v != nil {
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
		n, err := b.addItems(o.items)
		return result{n: n}, err
	case opLease:
		return result{}, b.lease(o)
	case opComplete:
		return b.complete(o.comp)
	case opHost:
		return result{}, b.hostUpdate(o.host, o.hu)
	case opMeta:
		return result{}, b.tx.Bucket(bktUserMeta).Put([]byte(o.key), o.val)
	case opBarrier:
		return result{}, nil
	}
	return result{}, fmt.Errorf("unknown op %d", o.kind)
}

func (b *txBatch) addItems(items []Item) (int, error) {
	urls, queue := b.tx.Bucket(bktURLs), b.tx.Bucket(bktQueue)
	n := 0
	for _, it := range items {
		hash := hashURL(it.URL)
		if urls.Get(hash[:]) != nil {
			continue
		}
		hr, err := b.hostRec(it.Host)
		if err != nil {
			return n, err
		}
		b.seq++
		r := urlRec{state: stQueued, depth: it.Depth, seq: b.seq, host: it.Host, url: it.URL, parent: it.Parent}
		suffix := r.suffix()
		if err := urls.Put(hash[:], r.encode()); err != nil {
			return n, fmt.Errorf("add %s: %w", it.URL, err)
		}
		if err := queue.Put(append(hostKey(it.Host), suffix...), hash[:]); err != nil {
			return n, fmt.Errorf("queue %s: %w", it.URL, err)
		}
		hr.queued++
		b.disk.Queued++
		b.mem.Queued++
		b.events = append(b.events, event{kind: evQueued, host: it.Host,
			e: entry{suffix: suffix, hash: hash, url: it.URL, parent: it.Parent, depth: it.Depth}})
		n++
	}
	return n, nil
}

// lease persists a lease that Next already handed out and counted.
func (b *txBatch) lease(o *op) error {
	urls := b.tx.Bucket(bktURLs)
	r, err := decodeURLRec(urls.Get(o.hash[:]))
	if err != nil {
		return fmt.Errorf("lease %x: %w", o.hash, err)
	}
	if r.state != stQueued {
		return fmt.Errorf("lease %s: state %d, want queued: %w", r.url, r.state, errCorrupt)
	}
	hr, err := b.hostRec(r.host)
	if err != nil {
		return err
	}
	if err := b.tx.Bucket(r.bucket()).Delete(append(hostKey(r.host), r.suffix()...)); err != nil {
		return fmt.Errorf("lease %s: dequeue: %w", r.url, err)
	}
	if r.inRetry {
		hr.retries--
	} else {
		hr.queued--
	}
	hr.nextAllowed = max(hr.nextAllowed, timeToNano(o.nextAllowed))
	r.state, r.epoch = stLeased, b.w.f.epoch
	if err := urls.Put(o.hash[:], r.encode()); err != nil {
		return fmt.Errorf("lease %s: %w", r.url, err)
	}
	if err := b.tx.Bucket(bktLeases).Put(o.hash[:], u64(r.epoch)); err != nil {
		return fmt.Errorf("lease %s: %w", r.url, err)
	}
	b.disk.Queued--
	b.disk.Leased++
	return nil
}

func (b *txBatch) complete(c Completion) (result, error) {
	urls := b.tx.Bucket(bktURLs)
	hash := hashURL(c.Lease.URL)
	v := urls.Get(hash[:])
	if v == nil {
		return result{err: fmt.Errorf("complete %s: %w", c.Lease.URL, ErrStaleLease)}, nil
	}
	r, err := decodeURLRec(v)
	if err != nil {
		return result{}, fmt.Errorf("complete %s: %w", c.Lease.URL, err)
	}
	if r.state != stLeased || r.epoch != c.Lease.Epoch || c.Lease.Epoch != b.w.f.epoch {
		return result{err: fmt.Errorf("complete %s (state %d, epoch %d, lease epoch %d): %w",
			c.Lease.URL, r.state, r.epoch, c.Lease.Epoch, ErrStaleLease)}, nil
	}
	hr, err := b.hostRec(r.host)
	if err != nil {
		return result{}, err
	}
	if err := b.tx.Bucket(bktLeases).Delete(hash[:]); err != nil {
		return result{}, fmt.Errorf("complete %s: %w", r.url, err)
	}
	r.epoch, r.status, r.reason = 0, c.Status, c.Reason
	b.disk.Leased--
	b.mem.Leased--
	switch c.Outcome {
	case Done:
		r.state, r.bytes = stDone, c.Bytes
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
	case Retry, Release:
		r.state = stQueued
		r.inRetry = c.Outcome == Retry
		if r.inRetry {
			r.attempt++
			r.retryAt = timeToNano(c.RetryAt)
			hr.retries++
			b.disk.Retries++
			b.mem.Retries++
		} else {
			r.retryAt = 0
			hr.queued++
		}
		suffix := r.suffix()
		if err := b.tx.Bucket(r.bucket()).Put(append(hostKey(r.host), suffix...), hash[:]); err != nil {
			return result{}, fmt.Errorf("requeue %s: %w", r.url, err)
		}
		b.disk.Queued++
		b.mem.Queued++
		b.events = append(b.events, event{kind: evQueued, host: r.host, retry: r.inRetry,
			e: entry{suffix: suffix, hash: hash, url: r.url, parent: r.parent, depth: r.depth, attempt: r.attempt}})
	}
	if err := urls.Put(hash[:], r.encode()); err != nil {
		return result{}, fmt.Errorf("complete %s: %w", r.url, err)
	}
	b.events = append(b.events, event{kind: evLeaseEnd, host: r.host, hash: hash})
	if _, err := b.addItems(c.Children); err != nil {
		return result{}, fmt.Errorf("complete %s: children: %w", r.url, err)
	}
	if c.Host != nil {
		if err := b.hostUpdate(r.host, *c.Host); err != nil {
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
	return nil
}

// flush writes the touched hosts, counters, sequence and checkpoint.
func (b *txBatch) flush() error {
	hosts, meta := b.tx.Bucket(bktHosts), b.tx.Bucket(bktMeta)
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

// applyMemory makes memory match the committed batch. Runs under f.mu.
func (b *txBatch) applyMemory() {
	f := b.w.f
	f.appliedTx = b.txID
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
				h.retry.insert(ev.e)
			} else {
				h.main.insert(ev.e)
			}
		case evLeaseEnd:
			h.inflight--
			delete(f.inflight, ev.hash)
		}
	}
	f.stats = f.stats.add(b.mem)
	if b.hasCheckpoint {
		f.checkpoint = b.checkpoint
	}
	for name := range b.hosts {
		f.fix(f.hosts[name])
	}
}
