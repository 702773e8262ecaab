package frontier

import (
	"context"
	"time"
)

// Options tune a Frontier. Zero values take the defaults noted.
type Options struct {
	OpenTimeout  time.Duration // bbolt lock wait before ErrLocked; default 1s
	MaxBatch     int           // max completions per group commit; default 1024
	MaxDelay     time.Duration // max wait to fill a batch; default 2ms
	NoSync       bool          // bbolt NoSync (benchmarks/tests only)
	PerHost      int           // max leases in flight per host; default 2
	Delay        time.Duration // min gap between lease starts for one host; default 0. A host's own Delay (crawl-delay) raises it.
	BeforeCommit func() error  // called by the writer just before each bbolt commit; an error aborts that batch and fails its callers
}

// Frontier is the persistent set of known URLs and per-host schedule.
type Frontier struct{}

// Open opens or creates the frontier at path.
func Open(path string, opts Options) (*Frontier, error) { return nil, ErrClosed }

// Close flushes pending writes and closes the file.
func (f *Frontier) Close() error { return nil }

// Epoch returns the epoch of this open.
func (f *Frontier) Epoch() uint64 { return 0 }

// Item is a URL to add.
type Item struct {
	URL    string // canonical URL (opaque)
	Host   string // host key for politeness (opaque)
	Depth  int
	Parent string // URL it was found on ("" for seeds)
}

// Add queues items not seen before and returns how many were new.
func (f *Frontier) Add(ctx context.Context, items []Item) (int, error) { return 0, ErrClosed }

// Lease is one URL handed out for fetching.
type Lease struct {
	URL     string
	Host    string
	Depth   int
	Parent  string
	Attempt int
	Epoch   uint64
}

// Next hands out a lease.
func (f *Frontier) Next(now time.Time) (l Lease, ok bool, wait time.Duration) { return }

// Outcome is how a lease ended.
type Outcome uint8

// Outcomes.
const (
	Done    Outcome = iota + 1 // fetched and stored
	Failed                     // final failure
	Skipped                    // final, not fetched on purpose
	Retry                      // back to queued, not before RetryAt, Attempt+1
	Release                    // back to queued at once, Attempt unchanged
)

// RobotsState is the persisted robots.txt of a host.
type RobotsState struct {
	Status    int
	Body      []byte
	FetchedAt time.Time
	Expires   time.Time
}

// HostUpdate changes a host's persisted politeness state.
type HostUpdate struct {
	NotBefore time.Time
	Delay     *time.Duration
	Robots    *RobotsState
}

// Completion is the end of one lease.
type Completion struct {
	Lease      Lease
	Outcome    Outcome
	RetryAt    time.Time
	Status     int
	Reason     string
	Bytes      int64
	Children   []Item
	Host       *HostUpdate
	Checkpoint []byte
}

// Complete submits c and waits until durable.
func (f *Frontier) Complete(ctx context.Context, c Completion) error { return ErrClosed }

// CompleteAsync submits c and calls done after commit.
func (f *Frontier) CompleteAsync(c Completion, done func(error)) { done(ErrClosed) }

// UpdateHost applies a host update without a lease.
func (f *Frontier) UpdateHost(ctx context.Context, host string, u HostUpdate) error { return ErrClosed }

// HostState is a host's politeness and queue state.
type HostState struct {
	NextAllowed time.Time
	Delay       time.Duration
	Robots      *RobotsState
	InFlight    int
	Queued      int
}

// Host returns the state of host.
func (f *Frontier) Host(host string) (HostState, bool) { return HostState{}, false }

// Stats are the frontier counters.
type Stats struct {
	Queued, Leased, Done, Failed, Skipped, Retries int64
	Hosts                                          int64
	Bytes                                          int64
}

// Stats returns the counters.
func (f *Frontier) Stats() Stats { return Stats{} }

// Checkpoint returns the last committed checkpoint.
func (f *Frontier) Checkpoint() []byte { return nil }

// SetMeta stores small crawl metadata.
func (f *Frontier) SetMeta(ctx context.Context, key string, val []byte) error { return ErrClosed }

// Meta returns metadata stored by SetMeta.
func (f *Frontier) Meta(key string) []byte { return nil }

// Recount recomputes Stats by a full scan.
func (f *Frontier) Recount() (Stats, error) { return Stats{}, ErrClosed }
