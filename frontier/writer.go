package frontier

import (
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

type opKind uint8

const (
	opAdd opKind = iota + 1
	opComplete
	opHost
	opMeta
	opBarrier
	opRequeueDeferred
)

// op is one unit of work for the writer. Ops commit in submission order.
type op struct {
	kind    opKind
	items   []Item     // opAdd
	order   []int32    // opAdd: the indexes of items to add, in this order; nil for all
	fps     []uint64   // fingerprints of items (opAdd) or comp.Children (opComplete), index for index (fingerprints)
	seq     uint64     // opComplete
	known   bool       // opComplete: the lease's URL was in flight when submitted
	suffix  []byte     // opComplete: the lease's queue key after the host key
	inRetry bool       // opComplete: the lease's entry is in the retry bucket
	gen     uint64     // opComplete: inflight.gen of the lease when it was submitted
	comp    Completion // opComplete
	host    string     // opHost
	hu      HostUpdate // opHost
	key     string     // opMeta
	val     []byte     // opMeta
	done    func(result)
}

type result struct {
	n   int
	err error
}

// writer is the single goroutine that writes to bbolt. It gathers ops into
// batches of at most MaxBatch, waiting at most MaxBatchDelay to fill one, applies
// a batch in one bbolt transaction, calls BeforeCommit, commits, applies the
// batch's effects to memory, then notifies the callers. db.Batch is not
// used: it may run a function twice.
type writer struct {
	f       *Frontier
	mu      sync.Mutex
	queue   []*op
	stopped bool
	wake    chan struct{}
	exited  chan struct{}
	// Writer-owned copies of persisted values, valid while the frontier is
	// not broken.
	disk Stats
	seq  uint64
	// deferredHosts maps each host deferred since Open (HostUpdate.Defer)
	// to its reason; RequeueDeferred clears it.
	deferredHosts map[string]string
	lastCheck     time.Time // last look at the resident mapped pages
	fileBase      int64     // file-backed RSS after Open's or the last drop
}

// The writer drops bbolt's mapped pages from RSS (dropMapped) after a
// transaction that wrote dropPages pages or more (it read as many through
// the map, and the kernel maps up to 16 neighbouring pages with each page
// read: fault-around), and whenever the process's file-backed RSS has grown
// dropAbove since Open or the last drop, looking at most every checkEvery
// (a read of /proc/self/statm). A drop is cheap, but every hot page is
// faulted back after it, so small transactions do not drop on their own
// (costs in docs/FRONTIER.md).
const (
	dropPages  = 256
	checkEvery = 10 * time.Millisecond
	dropAbove  = 32 << 20
)

func startWriter(f *Frontier) *writer {
	w := &writer{f: f, wake: make(chan struct{}, 1), exited: make(chan struct{}), deferredHosts: map[string]string{}}
	w.fileBase, _ = residentFile()
	_ = f.db.View(func(tx *bolt.Tx) error {
		w.disk, _ = decodeStats(tx.Bucket(bktMeta).Get(keyStats))
		w.seq, _ = readU64(tx.Bucket(bktMeta).Get(keySeq))
		return nil
	})
	go w.run()
	return w
}

// submit queues o; o.done is called once it committed or failed.
func (w *writer) submit(o *op) {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		if o.done != nil {
			o.done(result{err: ErrClosed})
		}
		return
	}
	w.queue = append(w.queue, o)
	w.mu.Unlock()
	w.signal()
}

// signal wakes the writer goroutine to look at its queue and stopped flag.
// It never blocks: a wake-up already pending covers this one (the
// goroutine reads both under mu once it wakes).
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) submitWait(ctx context.Context, o *op) result {
	if err := w.f.usable(); err != nil {
		return result{err: err}
	}
	ch := make(chan result, 1)
	o.done = func(r result) { ch <- r }
	w.submit(o)
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return result{err: ctx.Err()}
	}
}

// stop flushes every queued op, then ends the goroutine.
func (w *writer) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.signal()
	<-w.exited
}

func (w *writer) run() {
	defer close(w.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		<-w.wake
		w.mu.Lock()
		if len(w.queue) < w.f.opts.MaxBatch && !w.stopped {
			// Give concurrent callers MaxBatchDelay to join the batch.
			w.mu.Unlock()
			timer.Reset(w.f.opts.MaxBatchDelay)
			<-timer.C
			w.mu.Lock()
		}
		for len(w.queue) > 0 {
			n := w.batchLen()
			batch := w.queue[:n:n]
			w.queue = w.queue[n:]
			w.mu.Unlock()
			w.commit(batch)
			w.mu.Lock()
		}
		stopped := w.stopped
		w.mu.Unlock()
		if stopped {
			return
		}
	}
}

// maxTxItems bounds the URLs one transaction adds through Add (Add splits
// larger calls; see splitAdd). bbolt holds every page a transaction touches
// as a node in the heap until the commit, and with URLs spread over many
// hosts each one can touch its host's queue page: at 100k-URL transactions
// over 100k hosts that was gigabytes. 1024 caps it near a thousand dirty
// pages.
//
// maxTxChildren bounds the children of completions in one transaction,
// known or not: the pages a transaction touches also cost RSS through
// bbolt's map until the next drop; a larger bound held more mapped pages
// in 1M-page crawls and ran no faster (docs/BENCHMARKS.md, "Large"; again
// on 2026-12-03 when only children the seen-set did not hold counted:
// "1M pages: the digest index off the heap").
const (
	maxTxItems    = 1024
	maxTxChildren = 2048
)

// batchLen is how many queued ops the next batch takes: at most MaxBatch,
// at most maxTxItems URLs from Add and maxTxChildren children, unless the
// first op alone has more (a completion's children commit with it). Must
// run under w.mu.
func (w *writer) batchLen() int {
	n, items, children := 0, 0, 0
	for n < len(w.queue) && n < w.f.opts.MaxBatch {
		o := w.queue[n]
		k, c := len(o.items), len(o.comp.Children)
		if o.order != nil {
			k = len(o.order)
		}
		if n > 0 && (items+k > maxTxItems || children+c > maxTxChildren) {
			break
		}
		items += k
		children += c
		n++
	}
	return n
}

// fingerprints returns the fingerprint of each item's URL, for an op: the
// submitter computes them, off the writer goroutine that every commit
// waits on.
func fingerprints(items []Item) []uint64 {
	if len(items) == 0 {
		return nil
	}
	fps := make([]uint64, len(items))
	for i, it := range items {
		fps[i] = fingerprint(it.URL)
	}
	return fps
}

// fail marks the frontier broken by err. Must run under f.mu.
func (f *Frontier) fail(err error) {
	if f.broken == nil {
		f.broken = fmt.Errorf("frontier broken: %w", err)
	}
}

// commit applies one batch in one transaction. A per-op error (stale lease)
// fails only that op, which wrote nothing. Any other error aborts the batch
// and breaks the frontier: memory may no longer match disk, so every later
// call returns the error (reopen to recover).
func (w *writer) commit(batch []*op) {
	f := w.f
	f.mu.Lock()
	broken := f.broken
	f.mu.Unlock()
	if broken != nil {
		notifyAll(batch, broken)
		return
	}
	b := &txBatch{w: w, hosts: map[string]*hostRec{}, disk: w.disk, seq: w.seq}
	results := make([]result, len(batch))
	err := func() error {
		tx, err := f.db.Begin(true)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		b.tx, b.b = tx, txBuckets(tx)
		for i, o := range batch {
			r, err := b.apply(o)
			if err != nil {
				tx.Rollback()
				return err
			}
			results[i] = r
		}
		if err := b.flush(); err != nil {
			tx.Rollback()
			return err
		}
		if f.opts.BeforeCommit != nil {
			if err := f.opts.BeforeCommit(); err != nil {
				tx.Rollback()
				return fmt.Errorf("before commit: %w", err)
			}
		}
		id := int(tx.ID())
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		b.txID = id
		st := tx.Stats()
		b.written = int(st.GetWrite())
		return nil
	}()
	if err != nil {
		f.mu.Lock()
		f.fail(err)
		err = f.broken
		f.mu.Unlock()
		notifyAll(batch, err)
		return
	}
	w.disk, w.seq = b.disk, b.seq
	f.mu.Lock()
	b.applyMemory()
	f.mu.Unlock()
	for i, o := range batch {
		if o.done != nil {
			o.done(results[i])
		}
	}
	drop := b.written >= dropPages
	if now := time.Now(); !drop && now.Sub(w.lastCheck) >= checkEvery {
		w.lastCheck = now
		rf, ok := residentFile()
		drop = ok && rf > w.fileBase+dropAbove
	}
	if drop {
		// Failing only costs memory; a later commit tries again.
		_ = dropMapped(f.db)
		// What the drop left (the binary's pages, other files) is the
		// new base: only bbolt's growth past it triggers.
		w.fileBase, _ = residentFile()
	}
}

func notifyAll(batch []*op, err error) {
	for _, o := range batch {
		if o.done != nil {
			o.done(result{err: err})
		}
	}
}
