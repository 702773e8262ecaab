package crawler

import (
	"context"
	"sync"
	"time"
)

// hostGate spaces request starts to one host by at least its delay, as the
// server sees them. The frontier's schedule is what enforces politeness (a
// host is not leased before its next-allowed time); the gate only absorbs
// the few milliseconds between a lease and its request start (goroutine
// scheduling, waiting for robots.txt), which could otherwise bring two
// starts closer than the delay. With no delay it does nothing.
type hostGate struct {
	mu   sync.Mutex
	last map[string]time.Time // host → start reserved for its latest request
}

func newHostGate() *hostGate { return &hostGate{last: map[string]time.Time{}} }

// wait reserves the host's next request start, at least gap after the
// previous one, and sleeps until it (or until ctx is done).
func (g *hostGate) wait(ctx context.Context, host string, gap time.Duration) error {
	if gap <= 0 {
		return nil
	}
	g.mu.Lock()
	now := time.Now()
	start := now
	if next := g.last[host].Add(gap); next.After(start) {
		start = next
	}
	g.last[host] = start
	g.mu.Unlock()
	d := start.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
