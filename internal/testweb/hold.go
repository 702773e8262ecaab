package testweb

import (
	"context"
	"sync"
)

// Hold stops the web answering after a set number of requests, so a test
// can act on a crawl that is provably running and provably unfinished (a
// signal, a kill, a cancel) without guessing how long the crawl takes.
// A request past the limit is recorded by the judge when it arrives, like
// any other (its start counts for gaps and in-flight figures), and its
// answer waits until Release, until its client gives up (it then gets no
// answer, as from a server that is slow) or until the web closes.
type Hold struct {
	after    int64 // requests numbered above this one wait
	reached  chan struct{}
	released chan struct{}
	once     sync.Once
	reach    sync.Once
}

// HoldAfter answers the next n requests (robots.txt included) and makes
// every later one wait until the returned Hold is released. Only one hold
// is active at a time: a new one replaces (and releases) the previous one.
func (w *Web) HoldAfter(n int64) *Hold {
	h := &Hold{reached: make(chan struct{}), released: make(chan struct{})}
	w.holdMu.Lock()
	h.after = w.requests + n
	old := w.hold
	w.hold = h
	w.holdMu.Unlock()
	if old != nil {
		old.Release()
	}
	return h
}

// Reached is closed when the first request past the limit has arrived
// (and is waiting): every earlier request was answered or is being
// answered, and the client is still crawling.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Release lets waiting and later requests through. It is idempotent.
func (h *Hold) Release() { h.once.Do(func() { close(h.released) }) }

// Requests returns how many requests the web has received since it
// started (robots.txt included; Reset does not clear it).
func (w *Web) Requests() int64 {
	w.holdMu.Lock()
	defer w.holdMu.Unlock()
	return w.requests
}

// admit numbers a request and, if a hold's limit is past, waits until the
// hold is released, ctx ends or the web closes. It reports whether the
// request should be answered.
func (w *Web) admit(ctx context.Context) bool {
	w.holdMu.Lock()
	w.requests++
	k, h := w.requests, w.hold
	w.holdMu.Unlock()
	if h == nil || k <= h.after {
		return true
	}
	select {
	case <-h.released:
		return true
	default:
	}
	h.reach.Do(func() { close(h.reached) })
	select {
	case <-h.released:
		return true
	case <-ctx.Done():
	case <-w.ctx.Done():
	}
	return false
}
