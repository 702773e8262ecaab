package testweb

import (
	"context"
	"net"
	"sort"
	"time"
)

// A request's start is when its bytes reached this machine's kernel, not
// when its handler ran: the server is a process like any other, and on a
// loaded machine (a race-built test binary, two yes loops, four crawler
// processes on two cores) it was measured entering handlers up to 300 ms
// after the request was written, several at once and out of order, so a
// gap of 100 ms between two requests as written read as 0.4 ms. The
// kernel stamps each received segment (SO_TIMESTAMPNS, Linux); where that
// is not available the handler's clock is the start.

// receiver is an accepted connection that knows the kernel receive time
// of the last bytes it read (unix ns, 0 if unknown).
type receiver interface{ receivedAt() int64 }

type connKey struct{}

// connContext is the server's ConnContext: handlers find their connection
// (and its receive stamp) in the request context.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// arrival is the start of the request whose context is ctx: the kernel
// receive time of its bytes when known, else now. A client does not
// pipeline, so when the handler runs the last bytes read on its
// connection are its own request's.
func arrival(ctx context.Context) time.Time {
	now := time.Now()
	if c, ok := ctx.Value(connKey{}).(receiver); ok {
		if ns := c.receivedAt(); ns > 0 && ns <= now.UnixNano() {
			return time.Unix(0, ns)
		}
	}
	return now
}

// startWindow is how many recent request starts per host the judge keeps
// to place a late-recorded start among them: handlers run out of arrival
// order by at most a stall, a few requests of one host.
const startWindow = 64

// startTimes are a host's most recent request starts, sorted.
type startTimes []time.Time

// add inserts t and returns the smallest gap between t and its neighbours
// (ok=false for the host's first start).
func (s *startTimes) add(t time.Time) (gap time.Duration, ok bool) {
	ts := *s
	i := sort.Search(len(ts), func(k int) bool { return ts[k].After(t) })
	if i > 0 {
		gap, ok = t.Sub(ts[i-1]), true
	}
	if i < len(ts) {
		if g := ts[i].Sub(t); !ok || g < gap {
			gap, ok = g, true
		}
	}
	ts = append(ts, time.Time{})
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	if len(ts) > startWindow {
		ts = append(ts[:0], ts[len(ts)-startWindow:]...)
	}
	*s = ts
	return gap, ok
}
