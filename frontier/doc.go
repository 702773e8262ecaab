// Package frontier is the persistent crawl frontier: every URL the crawl
// knows, its state, and when each host may be fetched next, in one bbolt
// file that survives kill -9. It knows nothing of HTTP or HTML: URLs and
// host keys are opaque strings chosen by the caller (Host must be a
// function of URL).
//
// Invariants:
//
//   - One record per URL, keyed by the seq given when it was first added,
//     and one fingerprint per URL (a hash of the URL alone) in the seen
//     log, committed with the record; memory holds the same fingerprints
//     as the seen-set, so re-adding a known URL reads nothing on disk.
//   - A URL is in exactly one state: queued (with exactly one entry in the
//     queue or retry bucket), leased (on disk exactly as queued: memory
//     alone knows the lease, and its completion deletes the entry), done,
//     failed, skipped or deferred.
//   - Only the writer goroutine writes, in batches; a batch's counters,
//     host records, children and checkpoint commit in the same transaction
//     as its outcomes. Memory learns of a batch only after it commits.
//   - Next never writes: it hands out the lease from memory (for a host
//     with a delay it queues the new next-allowed time for the writer). A
//     URL in flight is still queued on disk, so a crash loses nothing and
//     Open has nothing to sweep.
//   - Every Open starts a new epoch; a completion of a lease of an older
//     epoch is stale (ErrStaleLease).
//   - After a failed commit the frontier is broken: every later call
//     returns the error; reopen to recover from the last commit.
//   - Memory holds the host map and ready heap, a small window of each
//     host's queue (about 65k entries in all), the seen-set (~7.7 bytes per
//     URL, outside the Go heap) and one bounded transaction; URLs live on
//     disk, and the pages bbolt's map has touched are dropped from RSS.
//
// # The schedule
//
// Politeness is a property of the data structure (Heritrix's work queues),
// not of sleeps in fetch code. Each host has a queue on disk (bucket
// queue, keyed host + depth + seq: lower depth first, then FIFO), a
// delayed-retry queue (bucket retry, keyed host + due time + seq), and in
// memory a small window of each, its in-flight and on-the-wire counts, its
// delay (a robots.txt Crawl-delay handed in by the caller) and its
// next-allowed time. Hosts that have work, fewer than Options.PerHost
// requests on the wire and no pending apply sit in one ready heap ordered
// by the time they become ready: max(next-allowed, the first retry's due
// time when only retries are left).
//
// Next(now) looks at the heap's top: if it is ready by now +
// Options.Lookahead it takes a due retry first, else the queue head, and
// returns a Lease whose Start is max(now, next-allowed, due time); the
// host's next-allowed becomes Start + max(Options.Delay, host delay), and
// the host goes back into the heap (or out of it, at PerHost on the wire).
// Otherwise Next says how long until the top is ready. ReleaseSlot (last
// body byte in) and completions put the host back; Begin, called just
// before each request goes out, keeps starts a delay apart even when the
// plan slipped (it pushes next-allowed when it has to wait); a completion's
// HostUpdate.NotBefore (429/503 Retry-After, a Crawl-delay counted from the
// robots.txt request) only ever moves next-allowed later. A host's
// next-allowed time is persisted by the writer whenever a delay applies
// (each lease of such a host, a slipped Begin, a backoff), so the spacing
// holds across a restart; without a delay it is the start of the last
// request, which no restart can be early for. The frontier never reads a clock for scheduling decisions:
// now is always the caller's.
package frontier
