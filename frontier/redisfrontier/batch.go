package redisfrontier

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// Round trips, batched. Each write that Redis answers alone costs it an
// event-loop pass with an AOF write and, with appendfsync always, an fsync
// (~60 µs of Redis CPU on the benchmark machine, more than most scripts),
// plus the reads and writes of the round trip itself. So a worker sends what
// it can together, in one pipeline: Redis runs every command of a pipeline
// that arrived in one read before it writes and fsyncs the AOF once.
//
//   - Next takes Options.LeaseBatch leases per round trip (the lease script
//     run that many times, each as if Next had been called again at once:
//     the same choice of host, the same politeness) and hands the rest out
//     from memory on its next calls. Leases held in memory count as leased
//     in Redis (in flight for their host, swept back if the worker dies or
//     leaves), so they never break a limit; they only hold a host's slot
//     until the worker's fetch slots take them.
//   - ReleaseSlot only notes the seq; the release goes with the worker's next
//     round trip: a lease round or a completion batch (the writer waits up
//     to releaseLinger for a completion to go with it). Releasing later
//     never breaks the per-host limit; a host's slot is free for other
//     workers that much later. The worker's own next lease round always
//     sees its releases: it carries them, or waits for the writer's round
//     trip that does (relMu).

// releaseLinger is how long the writer holds slot releases back waiting
// for a completion to send with them: a page's completion follows its
// release by its parse and store, usually well under this.
const releaseLinger = 2 * time.Millisecond

// LeaseBatchFor is the LeaseBatch for a worker with concurrency fetch
// slots: a quarter of them, 2 to 8 (1 for a single slot). Leases taken
// ahead wait for a fetch slot, holding their host's request slot meanwhile
// (other workers cannot use it), so the batch stays a small share of the
// slots: a quarter of a page's fetch time on average at most.
func LeaseBatchFor(concurrency int) int {
	if concurrency <= 1 {
		return 1
	}
	return min(8, max(2, concurrency/4))
}

// popReady hands out a lease taken in an earlier round.
func (f *Frontier) popReady() (frontier.Lease, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ready) == 0 {
		return frontier.Lease{}, false
	}
	l := f.ready[0]
	f.ready = f.ready[1:]
	return l, true
}

// leaseRound sends the pending slot releases and f.batch lease scripts in
// one round trip, returns the first lease and keeps the others for the next
// calls. Every reply is read: a later run can find work an earlier one did
// not (another worker's commit between them).
func (f *Frontier) leaseRound(ctx context.Context) (frontier.Lease, bool, time.Duration, error) {
	// A release the writer is sending must be in before these leases: a
	// slot this worker freed is a slot its next lease may use.
	cmds, err := f.withReleases(func(rels []string) ([]*redis.Cmd, error) {
		return f.roundTrip(ctx, rels, scriptLease, []any{f.p, f.inc, f.ahead.Microseconds()}, f.batch)
	})
	if err != nil {
		return frontier.Lease{}, false, 0, err
	}
	var got []frontier.Lease
	wait := time.Duration(-1)
	for _, c := range cmds {
		r, err := c.Slice()
		if err != nil {
			return frontier.Lease{}, false, 0, f.breakWith(wrapErr(f.url, "lease", err))
		}
		var l frontier.Lease
		switch r[0].(int64) {
		case -1:
			return frontier.Lease{}, false, 0, f.breakWith(ErrFenced)
		case 0:
			if wait < 0 {
				wait = time.Duration(r[1].(int64)) * time.Microsecond
			}
			continue
		case 2:
			l, _, _, err = f.reparseLease(r)
		default:
			l, err = f.leased(r)
		}
		if err != nil {
			return frontier.Lease{}, false, 0, err
		}
		got = append(got, l)
	}
	if len(got) == 0 {
		return frontier.Lease{}, false, max(0, wait), nil
	}
	if len(got) > 1 {
		f.mu.Lock()
		f.ready = append(f.ready, got[1:]...)
		f.mu.Unlock()
	}
	return got[0], true, 0, nil
}

// roundTrip sends the release of rels (this worker's seqs) and n runs of
// script s with args in one pipeline, and returns the runs' commands. A
// script Redis does not know (it restarted and lost its script cache) is
// loaded by running it again alone; a run that failed that way did
// nothing, so running it again is its only run.
func (f *Frontier) roundTrip(ctx context.Context, rels []string, s *redis.Script, args []any, n int) ([]*redis.Cmd, error) {
	keys := []string{f.p + "cfg"}
	pipe := f.cl.Pipeline()
	var rel *redis.Cmd
	relArgs := make([]any, 0, 2+len(rels))
	if len(rels) > 0 {
		relArgs = append(relArgs, f.p, f.inc)
		for _, seq := range rels {
			relArgs = append(relArgs, seq)
		}
		rel = scriptRelease.EvalSha(ctx, pipe, keys, relArgs...)
	}
	cmds := make([]*redis.Cmd, n)
	for i := range cmds {
		cmds[i] = s.EvalSha(ctx, pipe, keys, args...)
	}
	_, _ = pipe.Exec(ctx) // each command's own error is read below
	if rel != nil {
		if redis.HasErrorPrefix(rel.Err(), "NOSCRIPT") {
			rel = scriptRelease.Run(ctx, f.cl, keys, relArgs...)
		}
		if err := rel.Err(); err != nil {
			return nil, f.breakWith(wrapErr(f.url, fmt.Sprintf("release %d request slots", len(rels)), err))
		}
	}
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			cmds[i] = s.Run(ctx, f.cl, keys, args...)
		}
	}
	return cmds, nil
}

// loadPipelined loads the scripts that roundTrip sends in pipelines, where
// go-redis cannot fall back from EVALSHA to EVAL: a release that failed for
// want of its script would be retried after the leases sent with it.
func loadPipelined(ctx context.Context, cl *redis.Client) error {
	for _, s := range []*redis.Script{scriptRelease, scriptLease, scriptComplete} {
		if err := s.Load(ctx, cl).Err(); err != nil {
			return err
		}
	}
	return nil
}

// linger holds the writer back up to releaseLinger while it has slot
// releases and no completion to send them with.
func (f *Frontier) linger() {
	f.mu.Lock()
	only := len(f.queue) == 0 && len(f.rel) > 0
	f.mu.Unlock()
	if !only {
		return
	}
	t := time.NewTimer(releaseLinger)
	defer t.Stop()
	select {
	case <-f.wake:
	case <-t.C:
	case <-f.stop:
	}
}

// withReleases takes the pending slot releases and runs send with them,
// holding relMu until it returns if it took any: a lease round waits for
// releases in flight (its leases may need the freed slots), and nothing
// waits for a round trip that carries none.
func (f *Frontier) withReleases(send func(rels []string) ([]*redis.Cmd, error)) ([]*redis.Cmd, error) {
	f.relMu.Lock()
	f.mu.Lock()
	rels := f.rel
	f.rel = nil
	f.mu.Unlock()
	if len(rels) == 0 {
		f.relMu.Unlock()
	} else {
		defer f.relMu.Unlock()
	}
	return send(rels)
}

// sendReleases sends the pending slot releases now (the writer, with no
// completion to send them with; tests: another worker is to see them).
func (f *Frontier) sendReleases(ctx context.Context) error {
	_, err := f.withReleases(func(rels []string) ([]*redis.Cmd, error) {
		if len(rels) == 0 {
			return nil, nil
		}
		return f.roundTrip(ctx, rels, nil, nil, 0)
	})
	return err
}
