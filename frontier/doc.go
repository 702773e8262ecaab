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
//     queue or retry bucket), leased (record still queued, no queue entry,
//     one entry in the leases bucket tagged with the epoch), done, failed
//     or skipped.
//   - Only the writer goroutine writes, in batches; a batch's counters,
//     host records, children and checkpoint commit in the same transaction
//     as its outcomes. Memory learns of a batch only after it commits.
//   - Next never writes: it hands out the lease from memory and queues the
//     lease record for the writer. A lease not yet persisted is still
//     queued on disk, so a crash loses nothing.
//   - Every Open starts a new epoch and, in one transaction, returns leases
//     of older epochs to their queues.
//   - After a failed commit the frontier is broken: every later call
//     returns the error; reopen to recover from the last commit.
//   - Memory holds the host map and ready heap, a small window of each
//     host's queue (about 65k entries in all), the seen-set (~7.7 bytes per
//     URL, outside the Go heap) and one bounded transaction; URLs live on
//     disk, and the pages bbolt's map has touched are dropped from RSS.
package frontier
