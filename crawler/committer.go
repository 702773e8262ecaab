package crawler

import (
	"context"
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/storage"
)

// publishEvery is how often the page-store manifest is republished for
// readers in other processes.
const publishEvery = 250 * time.Millisecond

// commitLoop is the single committer: it appends each record to the page
// store, then submits the completion, with the store checkpoint that covers
// the record, to the frontier's group commit. Append order equals submit
// order, and the frontier commits FIFO, so the checkpoint a batch commits
// covers exactly the records of completions committed so far: a record past
// it belongs to no committed completion and is truncated on the next open.
//
// The manifest is published by its own goroutine (publishLoop), never by
// the committer: a publish is a file write and two fsyncs, and while the
// committer waited on them the parse workers blocked on commitCh, their
// pipeline tokens stayed taken and no request went out (stalls of tens of
// milliseconds every 250 ms on a busy disk, seen in fast-clean traces).
func (e *engine) commitLoop() error {
	var pub publisher
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { defer close(stopped); e.publishLoop(&pub, done) }()
	for p := range e.commitCh {
		e.commit(p)
	}
	e.pending.Wait()
	close(done)
	<-stopped
	return pub.publish(e) // the last committed checkpoint, before the store closes
}

// publisher remembers the manifest last published.
type publisher struct {
	published []byte
	at        time.Time
}

// publish writes the manifest for the last committed checkpoint, unless it
// is the one published already.
func (pub *publisher) publish(e *engine) error {
	p := e.lastCP.Load()
	if p == nil || string(*p) == string(pub.published) {
		return nil
	}
	if h := e.c.beforePublish; h != nil {
		h()
	}
	if err := e.store.publish(*p); err != nil {
		return fmt.Errorf("publish manifest: %w", err)
	}
	pub.published, pub.at = *p, time.Now()
	return nil
}

// publishLoop republishes the page-store manifest every publishEvery, and
// at once after a commit when the last publish is that old (the first
// pages of a crawl are visible to export immediately), until done.
func (e *engine) publishLoop(pub *publisher, done <-chan struct{}) {
	ticker := time.NewTicker(publishEvery)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return
		case <-e.committed:
			if time.Since(pub.at) < publishEvery {
				continue
			}
		case <-ticker.C:
		}
		if err := pub.publish(e); err != nil {
			e.fail(err)
		}
	}
}

func (e *engine) commit(p *processed) {
	for _, b := range p.robots {
		if e.fatal.Load() != nil {
			break
		}
		cp, err := e.store.append(b)
		if err != nil {
			e.fail(fmt.Errorf("append robots.txt of %s: %w", p.comp.Lease.URL, err))
			break
		}
		p.comp.Checkpoint = cp // the page's append, if any, moves it on
	}
	if p.block != nil {
		if e.fatal.Load() == nil {
			cp, err := e.store.append(*p.block)
			if err != nil {
				e.fail(fmt.Errorf("append page %s: %w", p.comp.Lease.URL, err))
			} else {
				p.comp.Checkpoint = cp
				if p.comp.Outcome == frontier.Done {
					// Where the page is, so its links can be extracted
					// again if a shorter path to it is found (reparse.go).
					p.comp.Locator, err = storage.Locate(cp, *p.block)
					if err != nil {
						e.fail(fmt.Errorf("locate page %s: %w", p.comp.Lease.URL, err))
					} else {
						p.comp.Tag = tagWithLocator(p, p.comp.Locator) // the version a recrawl compares with
					}
				}
			}
		}
		// Appended (or never will be): the record's bytes are the store's,
		// not the pipeline's, while the completion awaits its commit.
		e.mem.release(int64(p.block.Len()))
		p.block = nil
	}
	if e.fatal.Load() != nil {
		// Nothing more is committed after a fatal error; the lease stays
		// leased on disk and returns to the queue on the next open.
		e.settle()
		return
	}
	if !p.reparse {
		e.m.outcome(outcomeName(p.comp.Outcome), p.comp.Outcome == frontier.Retry)
	}
	e.durable <- struct{}{} // blocks when maxAwaitingCommit are in the writer: backpressure
	e.pending.Add(1)
	cp := p.comp.Checkpoint
	e.fr.CompleteAsync(p.comp, func(err error) {
		defer e.pending.Done()
		if err == nil && !p.reparse {
			e.counts.count(p.comp.Outcome, p.class) // durable: never counted ahead of the frontier
			e.counts.countChange(p.change)
			e.counts.countDropped(p.linksDropped)
		}
		if err != nil {
			e.fail(fmt.Errorf("commit %s: %w", p.comp.Lease.URL, err))
		} else if cp != nil {
			e.lastCP.Store(&cp)
			select {
			case e.committed <- struct{}{}:
			default:
			}
		}
		<-e.durable
		e.settle()
	})
}

// settle ends a lease's life in the pipeline (its completion is durable, or
// will never be written) and wakes the dispatcher.
func (e *engine) settle() {
	e.outstanding.Add(-1)
	e.signal()
}

// statusLoop publishes the status snapshot, saves the counters and calls
// the progress hook about once a second until ctx is done.
func (e *engine) statusLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		fs := e.fr.Stats()
		e.window.add(time.Now(), fs.Done+fs.Failed)
		// Work queued, no request on the wire, nothing waiting for the CPU:
		// the leases held are waiting for their hosts' start times. With no
		// host delay in force such a wait is a backoff, not the delay.
		hasDelay := e.cfg.Delay > 0 || e.maxDelay.Load() > 0
		waiting := fs.Queued > 0 && e.fetching.Load() == 0 && len(e.parseCh) == 0 && len(e.commitCh) == 0
		e.delayBound.Store(e.idle.add(hasDelay && waiting))
		st := e.stats()
		st.State = StateRunning
		if err := writeStatus(e.dir, st); err != nil {
			e.c.log.Warn("status snapshot", "err", err)
		}
		if err := e.counts.save(ctx, e.fr, e.elapsed()); err != nil && ctx.Err() == nil {
			e.c.log.Warn("status snapshot", "err", err)
		}
		if e.c.progress != nil {
			e.c.progress(st)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// elapsed is the crawl's running time over all its runs.
func (e *engine) elapsed() time.Duration { return e.counts.before + e.now().Sub(e.runStart) }

// now is the time the run's figures are taken at: the present, or the
// run's end once it has ended.
func (e *engine) now() time.Time {
	if t := e.endedAt.Load(); t != nil {
		return *t
	}
	return time.Now()
}

// noteDelay records a host delay in force, for Stats.HostDelaySec.
func (e *engine) noteDelay(d time.Duration) {
	for {
		cur := e.maxDelay.Load()
		if int64(d) <= cur || e.maxDelay.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// stats assembles a snapshot from the frontier's counters, the saved
// counters and live gauges: every figure covers the whole crawl, except
// Run (this run) and the live ones (in flight, active hosts, ETA).
func (e *engine) stats() Stats {
	fs := e.fr.Stats()
	failedBy, skippedBy := e.counts.snapshot()
	e.hostsMu.Lock()
	active := int64(len(e.active))
	e.hostsMu.Unlock()
	now := e.now()
	s := Stats{
		Pass:        e.pass,
		Changes:     e.counts.changesSnapshot(),
		Queued:      fs.Queued,
		InFlight:    e.fetching.Load(),
		Done:        fs.Done,
		Failed:      fs.Failed,
		Skipped:     fs.Skipped,
		Deferred:    fs.Deferred,
		Retries:     fs.Retries,
		Stored:      fs.Done + fs.Failed + fs.Skipped,
		Hosts:       fs.Hosts,
		ActiveHosts: active,
		BytesStored: fs.Bytes,
		Errors:      failedBy,
		Skips:       skippedBy,
		MaxPages:    e.cfg.MaxPages,
		Panics:      e.c.panics.Load(),
		StartedAt:   e.startedAt,
		UpdatedAt:   now.UTC(),
		PID:         pid(),
		Dir:         e.dir,
		Run: RunStats{
			StartedAt: e.runStart.UTC(),
			Done:      fs.Done - e.atStart.Done,
			Failed:    fs.Failed - e.atStart.Failed,
			Skipped:   fs.Skipped - e.atStart.Skipped,
		},
	}
	s.DeferredHosts = e.deferredHosts(fs.Deferred)
	s.LinksDropped, s.PagesLinksDropped = e.counts.dropped()
	s.Run.ElapsedSec = now.Sub(e.runStart).Seconds()
	s.ElapsedSec = (e.counts.before + now.Sub(e.runStart)).Seconds()
	if s.Run.ElapsedSec > 0 {
		s.Run.PagesPerSec = float64(s.Run.Done+s.Run.Failed) / s.Run.ElapsedSec
	}
	if s.ElapsedSec > 0 {
		s.PagesPerSec = float64(s.Done+s.Failed) / s.ElapsedSec
	}
	if e.limitHit.Load() && fs.Queued > 0 {
		s.StopReason = StopReasonMaxPages
	}
	remaining := fs.Queued + int64(fs.Leased)
	if e.cfg.MaxPages > 0 {
		remaining = min(remaining, max(0, e.cfg.MaxPages-fs.Done-fs.Failed))
	}
	if r := e.window.rate(); r > 0 && remaining > 0 {
		s.ETASec = float64(remaining) / r
	}
	if e.delayBound.Load() {
		s.Bottleneck = "delay"
	}
	s.HostDelaySec = time.Duration(max(e.maxDelay.Load(), int64(e.cfg.Delay))).Seconds()
	reconcileReasons(&s)
	return s
}

func outcomeName(o frontier.Outcome) string {
	switch o {
	case frontier.Done:
		return "done"
	case frontier.Failed:
		return "failed"
	case frontier.Skipped:
		return "skipped"
	case frontier.Retry:
		return "retry"
	case frontier.Release:
		return "release"
	}
	return "unknown"
}
