package crawler

import (
	"context"
	"time"

	"github.com/trawl-crawler/trawl/frontier"
)

// Frontier is what the engine needs from a URL frontier: exactly the calls
// the crawl loop makes. The embedded bbolt frontier (package frontier) is
// the default implementation; a shared one lets several processes crawl
// together. Lifecycle (whether a crawl exists, discarding it, locking,
// read-only views for status and export) stays outside this interface.
//
// The item, lease, completion and host types are package frontier's: they
// are plain data shared by every implementation. Every implementation
// must keep Item.Tag with the URL, hand it back as Lease.Tag, and replace
// it by a non-empty Completion.Tag (the crawler keeps sitemap marks and a
// page's validators for recrawl there).
//
// Recrawl passes are lifecycle, like discarding a crawl: frontier.StartPass
// runs on a frontier no process holds and requeues every URL in a final
// state (attempt 0, Tag kept), storing the pass number under the usermeta
// key frontier.MetaPass, which the engine reads with Meta. A shared
// frontier provides the same operation with the same rule.
//
// Package crawler/frontiertest holds every implementation to this
// interface's semantics: its cases open implementations as a Frontier.
type Frontier interface {
	// Next leases a URL whose host may be fetched at now. ok=false with a
	// nil error means nothing is leasable now; wait is how long until
	// something may be (0: not before a completion or another event).
	// A non-nil error means the frontier is broken or closed: the crawl
	// must stop, never conclude it has finished.
	Next(now time.Time) (l frontier.Lease, ok bool, wait time.Duration, err error)
	// Begin reserves the start of one of l's requests (robots.txt or the
	// page) and returns how long to wait before sending it: requests of
	// one host begin at least its delay apart even when the planned
	// Lease.Start slipped. Called before every request: it must be cheap.
	Begin(l frontier.Lease, now time.Time) time.Duration
	// Rebegin is Begin again for the request whose start Begin reserved
	// at reserved, when it is about to go out noticeably later, at now (a
	// slow answer from a shared frontier, a stall): a request written late
	// may land right after one reserved in between. If no request of the
	// host was reserved after it, its slot stands and moves to now (wait
	// 0); otherwise it is reserved anew after the latest, as Begin would.
	Rebegin(l frontier.Lease, reserved, now time.Time) time.Duration
	// Sent reports that one of l's requests went out at at, noticeably
	// later than Begin reserved (a stall between the reservation and the
	// write); the host's later requests are spaced from at. Called only
	// then, so it is rare.
	Sent(l frontier.Lease, at time.Time)
	// ReleaseSlot frees the host request slot held by l: its last body
	// byte is in. The lease itself stays in flight until its completion
	// commits.
	ReleaseSlot(l frontier.Lease)
	// CompleteAsync submits a completion; done runs once it is durable
	// (or failed). Completions submitted in order commit in that order.
	CompleteAsync(c frontier.Completion, done func(error))
	// Add queues the items not seen before and returns how many were new.
	// A frontier opened for a crawl with a depth limit keeps, per URL, the
	// smallest depth it was found at: a known URL added at a smaller depth
	// is lowered (queued: moves up its host's queue; leased: settled at its
	// completion; fetched: handed out again by Next as a Reparse lease for
	// its links to be extracted from the stored page), exactly as
	// frontier.Item's doc says. Children of completions follow the same
	// rule. Every implementation must keep these semantics: with first-come
	// depths a crawl misses pages within --max-depth.
	Add(ctx context.Context, items []frontier.Item) (int, error)
	// SetMeta and Meta store and read small crawl metadata durably.
	SetMeta(ctx context.Context, key string, val []byte) error
	Meta(key string) ([]byte, error)
	// Checkpoint is the last committed page-store checkpoint (nil if none).
	Checkpoint() []byte
	// Host returns a host's politeness and robots state, if known.
	Host(host string) (frontier.HostState, bool)
	// Stats returns the committed counters (plus this process's leases).
	Stats() frontier.Stats
	// Drained reports that nothing is queued and nothing is leased
	// anywhere: the crawl's work is over (for a shared frontier, across
	// every process that takes part). Deferred URLs do not count.
	Drained() (bool, error)
	// Deferred work (see frontier.Deferred, HostUpdate.Defer). A
	// completion with Outcome Deferred leaves its URL neither fetched nor
	// failed nor queued (Stats.Deferred counts it); HostUpdate.Defer does
	// that to every URL of a host, queued or added later, until
	// RequeueDeferred. RequeueDeferred puts every deferred URL back in the
	// queue (resume calls it before leasing); DeferredHosts summarises
	// them per host for the summary and status.
	RequeueDeferred(ctx context.Context) (int, error)
	DeferredHosts() ([]frontier.DeferredHost, error)
	// Close flushes pending writes and releases the frontier.
	Close() error
}

// The bbolt frontier is the default implementation.
var _ Frontier = (*frontier.Frontier)(nil)
