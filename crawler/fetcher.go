package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
)

// fetched is one lease after the network: the fetch stage's only output.
type fetched struct {
	lease  frontier.Lease
	resp   *fetch.Response
	err    error
	robots robotsResult
	// blocked: robots.txt disallows the URL; released: the lease only
	// fetched robots.txt and goes back to the queue (its host has a delay).
	blocked  bool
	released bool
	now      time.Time
	// bodyBytes is what this result holds in the pipeline's byte budget
	// until it is parsed.
	bodyBytes int64
}

// dispatch leases URLs from the frontier and starts one fetch per lease,
// within the pipeline's token and fetch-slot bounds. When it returns, every
// fetch it started has handed its result to the parse stage and parseCh is
// closed.
func (e *engine) dispatch(ctx context.Context) error {
	defer func() {
		e.fetchWG.Wait()
		close(e.parseCh)
	}()
	for {
		select {
		case e.tokens <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		select {
		case e.slots <- struct{}{}:
		case <-ctx.Done():
			<-e.tokens
			return nil
		}
		l, ok := e.nextLease(ctx)
		if !ok {
			<-e.slots
			<-e.tokens
			return nil
		}
		e.outstanding.Add(1)
		if l.Reparse {
			<-e.slots // CPU work only: no fetch slot
			e.startReparse(l)
			continue
		}
		e.fetchWG.Add(1)
		go e.fetchOne(l)
	}
}

// nextLease waits until the frontier hands out a lease, the crawl is over
// (ok=false, finished set), or ctx is done.
//
// It sleeps only on events, never on a guess: every event that can make a
// lease possible wakes it through e.wake (a host slot freed at the last body
// byte in fetchOne, a completion made durable in settle, pipeline bytes
// released), and the two that are times — a host's next-allowed time and a
// delayed retry falling due — come back from Next as its wait. With nothing
// leasable, no wait and leases outstanding, it waits for the wake alone.
func (e *engine) nextLease(ctx context.Context) (frontier.Lease, bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if e.fatal.Load() != nil {
			return frontier.Lease{}, false
		}
		wait := time.Duration(0)
		switch {
		case e.limitReached():
			if e.outstanding.Load() == 0 {
				e.limitHit.Store(true)
				e.finished.Store(true)
				return frontier.Lease{}, false
			}
		case e.mem.full():
			// The pipeline holds its byte budget: wait for bodies to be
			// parsed or records committed (both signal).
		default:
			l, ok, w, err := e.fr.Next(time.Now())
			if err != nil {
				e.fail(fmt.Errorf("lease from frontier: %w", err))
				return frontier.Lease{}, false
			}
			if ok {
				return l, true
			}
			wait = w
			if wait == 0 && e.outstanding.Load() == 0 {
				drained, err := e.fr.Drained()
				if err != nil {
					e.fail(fmt.Errorf("frontier: %w", err))
					return frontier.Lease{}, false
				}
				if drained {
					e.finished.Store(true)
					return frontier.Lease{}, false
				}
				// Queued work this process holds no lease for and the
				// schedule cannot offer: leases of other processes sharing
				// the frontier, whose completions are no event here.
				wait = sharedPoll
			}
		}
		var tc <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tc = timer.C
		}
		select {
		case <-e.wake:
		case <-tc:
		case <-ctx.Done():
			return frontier.Lease{}, false
		}
	}
}

// sharedPoll is how often the dispatcher asks again for work that only
// another process sharing the frontier can make leasable.
const sharedPoll = 100 * time.Millisecond

// limitReached: --max-pages counts pages fetched (done or failed), including
// those still in the pipeline, so the limit is never overshot.
func (e *engine) limitReached() bool {
	if e.cfg.MaxPages <= 0 {
		return false
	}
	s := e.fr.Stats()
	return s.Done+s.Failed+e.outstanding.Load() >= e.cfg.MaxPages
}

// fetchOne holds a fetch slot only while on the network: robots.txt (first
// lease of a host) and the page itself. It never parses or writes.
func (e *engine) fetchOne(l frontier.Lease) {
	defer e.fetchWG.Done()
	// Not the run ctx: a graceful stop lets this request finish. Every
	// request of this lease (robots.txt, its redirects, the page) asks the
	// frontier when it may go out once it has its connection, just before
	// it is written: so the gap between request starts holds as the server
	// sees it, even when a connection took a while to open or the machine
	// stalled past the planned Lease.Start. Just before the flush, a
	// reservation that has passed is renewed (Rebegin, in WroteHeaders).
	// If the write itself then comes late (a stall after the reservation),
	// the frontier learns the real time (Sent): later requests of the host
	// are spaced from it. Sent runs beside the write, never before it: the
	// hooks run in the connection's write loop ahead of its flush, so a
	// Sent round trip there held the request back (158 ms to a busy Redis
	// was measured) while reporting the earlier time, and another worker's
	// request reached the server 2 ms after it.
	// A shared frontier that could not reserve the start (Redis out of
	// reach) is broken: the request must not go out unspaced, so it is
	// cancelled and its connection closed before anything is written.
	var reserved time.Time // of the request being sent (a lease's requests are sequential)
	var sent sync.WaitGroup
	defer sent.Wait()
	reqCtx, cancelReq := context.WithCancelCause(e.hardCtx)
	defer cancelReq(nil)
	var conn net.Conn // of the request being sent
	ctx := httptrace.WithClientTrace(reqCtx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			conn = info.Conn
			reserved = e.begin(reqCtx, l)
			if err := e.mayStart(); err != nil {
				cancelReq(err)
				info.Conn.Close()
			}
		},
		WroteHeaders: func() {
			// The last hook before the flush (the write loop's, after the
			// hand-off from this goroutine). A reservation that has
			// passed by more than lateSend (the frontier's answer came
			// late, a stall) is renewed and waited for here, holding the
			// request back, rather than written late: another worker may
			// have reserved the slot after it, and the request would land
			// right after that one. At most one extra round trip, when
			// the machine is already slow; a renewal late in turn is
			// written and reported (Sent).
			now := time.Now()
			if now.Sub(reserved) <= lateSend || reqCtx.Err() != nil {
				return
			}
			reserved = now.Add(e.fr.Rebegin(l, reserved, now))
			_ = sleepUntil(reqCtx, reserved)
			if err := e.mayStart(); err != nil {
				cancelReq(err)
				conn.Close()
			}
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if now := time.Now(); info.Err == nil && now.Sub(reserved) > lateSend {
				sent.Go(func() { e.fr.Sent(l, now) })
			}
		},
	})
	e.hostActive(links.HostKey(l.URL), 1)
	e.mem.fetchStarted()
	f := &fetched{lease: l}
	// The frontier's schedule decided when this request may start (the
	// lease may come a little early: Options.Lookahead); whatever this
	// lease sends first — robots.txt or the page — starts then.
	if err := sleepUntil(ctx, l.Start); err != nil {
		f.err = &fetch.Error{Class: fetch.ClassCanceled, URL: l.URL, Err: err}
	} else if err := e.mayStart(); err != nil {
		f.err = &fetch.Error{Class: fetch.ClassCanceled, URL: l.URL, Err: err}
	}
	if f.err == nil && !e.cfg.IgnoreRobots {
		f.robots = e.rob.lookup(ctx, l, time.Now())
		if f.robots.fetched {
			e.logRobots(l, f.robots)
			e.m.robotsDecision("fetched")
		}
		switch {
		case f.robots.err != nil:
			f.err = &fetch.Error{Class: fetch.ClassCanceled, URL: l.URL, Err: f.robots.err}
		case f.robots.unavailable:
			// complete disallow until robots.txt can be fetched (RFC 9309 §2.3.1.4)
			e.m.robotsDecision("unavailable")
		case !f.robots.rules.Allowed(e.rob.agent, l.URL):
			f.blocked = true
			e.m.robotsDecision("disallowed")
		case f.robots.fetched && e.hostDelay(f.robots) > 0:
			f.released = true // the page request waits for the host's next slot
		}
	}
	if f.err == nil && !f.blocked && !f.released && !f.robots.unavailable {
		e.fetching.Add(1)
		f.resp, f.err = e.fc.Get(ctx, l.URL, e.conditional(l, e.req.header(l.URL, time.Now())))
		e.afterResponse(f.resp)
		e.fetching.Add(-1)
		e.logFetch(l, f.resp, f.err)
		e.m.fetch(f.resp, f.err)
	}
	f.now = time.Now()
	e.hostActive(links.HostKey(l.URL), -1)
	// The last body byte is in: free the host's request slot and the global
	// fetch slot before any CPU work. The lease stays outstanding until its
	// completion is durable. A 429 or 503 is the host asking for a pause
	// (Retry-After or a backoff, policy.decide): its slot stays held until
	// the completion that records the pause commits, or the host's next
	// lease (of any worker) would go out before the pause is known.
	if f.resp == nil || !pausesHost(f.resp.Status) {
		e.fr.ReleaseSlot(l)
	}
	<-e.slots
	if f.resp != nil {
		f.bodyBytes = int64(len(f.resp.Body))
	}
	e.mem.fetchEnded(f.bodyBytes)
	e.signal() // the freed host slot may make a lease possible
	e.parseCh <- f
}

// hostDelay is the minimum gap between request starts to the lease's host
// (policy.gap), as far as its robots.txt is known.
func (e *engine) hostDelay(r robotsResult) time.Duration {
	d := e.pol.gap(r.crawlDelay(e.rob.agent))
	e.noteDelay(d)
	return d
}

// begin waits until the frontier lets one of l's requests go out
// (Frontier.Begin) and returns the start it reserved. It runs inside the
// transport, between getting a connection and writing the request; ctx
// ending stops the wait, and the request then fails on its own context.
func (e *engine) begin(ctx context.Context, l frontier.Lease) time.Time {
	now := time.Now()
	start := now.Add(e.fr.Begin(l, now))
	_ = sleepUntil(ctx, start)
	return start
}

// lateSend is how much later than its reserved start a request may be
// written before the frontier is told (Frontier.Sent): the usual gap
// between the reservation and the write is microseconds.
const lateSend = 2 * time.Millisecond

// sleepUntil waits until t (at once if t has passed) or until ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *engine) hostActive(host string, delta int) {
	e.hostsMu.Lock()
	defer e.hostsMu.Unlock()
	e.active[host] += delta
	if e.active[host] <= 0 {
		delete(e.active, host)
	}
}

func (e *engine) logFetch(l frontier.Lease, resp *fetch.Response, err error) {
	log := e.c.log
	if err != nil {
		var fe *fetch.Error
		class := "error"
		if errors.As(err, &fe) {
			class = string(fe.Class)
		}
		log.Debug("fetch", "method", "GET", "url", l.URL, "attempt", l.Attempt, "class", class, "err", err)
		return
	}
	log.Debug("fetch", "method", "GET", "url", l.URL, "status", resp.Status, "bytes", len(resp.Body),
		"dur", resp.Timing.Total, "ttfb", resp.Timing.TTFB, "attempt", l.Attempt)
}

func (e *engine) logRobots(l frontier.Lease, r robotsResult) {
	e.c.log.Debug("robots", "host", l.Host, "status", r.status, "unavailable", r.unavailable)
}
