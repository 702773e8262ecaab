package frontier

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Stats are the frontier's counters.
type Stats struct {
	Queued, Leased, Done, Failed, Skipped, Retries int64 // Queued includes delayed retries; Retries counts Retry outcomes
	Hosts                                          int64 // distinct hosts ever seen
	Bytes                                          int64 // sum of Completion.Bytes over Done
	// Deferred counts URLs in the Deferred state: not queued, not final.
	Deferred int64
}

// urls is how many URLs the frontier knows: one record (and one seen-log
// fingerprint) each.
func (s Stats) urls() int64 { return s.Queued + s.Leased + s.Done + s.Failed + s.Skipped + s.Deferred }

func (s Stats) add(d Stats) Stats {
	s.Queued += d.Queued
	s.Leased += d.Leased
	s.Done += d.Done
	s.Failed += d.Failed
	s.Skipped += d.Skipped
	s.Retries += d.Retries
	s.Hosts += d.Hosts
	s.Bytes += d.Bytes
	s.Deferred += d.Deferred
	return s
}

// Stats returns the counters maintained in the writer's transactions (no
// scan). Leases handed out by Next count at once, before they are persisted.
func (f *Frontier) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// Recount waits for pending writes, then recomputes Stats by a full scan and
// checks that the queue index agrees with the URL states. A URL in flight
// is queued on disk (its entry stays until its completion); Recount counts
// it as leased if memory holds its lease when the scan starts. It is for
// tests and crash checks; when idle it must equal Stats.
func (f *Frontier) Recount() (Stats, error) {
	if r := f.w.submitWait(context.Background(), &op{kind: opBarrier}); r.err != nil {
		return Stats{}, fmt.Errorf("recount: %w", r.err)
	}
	f.mu.Lock()
	out := make(map[uint64]bool, len(f.inflight))
	for seq := range f.inflight {
		out[seq] = true
	}
	f.mu.Unlock()
	var s Stats
	err := f.db.View(func(tx *bolt.Tx) error {
		logged, err := seenLog(tx)
		if err != nil {
			return err
		}
		err = forEachRecord(tx, func(r urlRec) error {
			k := makeSeqKey(r.seq)
			s.Retries += int64(r.attempt)
			switch r.state {
			case stQueued:
				if out[r.seq] {
					s.Leased++
				} else {
					s.Queued++
				}
				if !has(tx.Bucket(r.bucket()).Cursor(), queueKey(r.host, r.suffix())) {
					return fmt.Errorf("queued url %s has no queue entry: %w", r.url, errCorrupt)
				}
			case stDone:
				s.Done++
				s.Bytes += r.bytes
			case stFailed:
				s.Failed++
			case stSkipped:
				s.Skipped++
			case stDeferred:
				s.Deferred++
				if tx.Bucket(bktDeferred).Get(k[:]) == nil {
					return fmt.Errorf("deferred url %s is not in the deferred index: %w", r.url, errCorrupt)
				}
			default:
				return fmt.Errorf("url %s: state %d: %w", r.url, r.state, errCorrupt)
			}
			if fp, ok := logged[r.seq]; !ok || fp != fingerprint(r.url) {
				return fmt.Errorf("url %s (seq %d) is not in the seen log: %w", r.url, r.seq, errCorrupt)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if nl, nr := len(logged), tx.Bucket(bktRecords).Stats().KeyN; nl != nr {
			return fmt.Errorf("%d seen log fingerprints for %d records: %w", nl, nr, errCorrupt)
		}
		nq := tx.Bucket(bktQueue).Stats().KeyN + tx.Bucket(bktRetry).Stats().KeyN
		if int64(nq) != s.Queued+s.Leased {
			return fmt.Errorf("%d queue entries for %d queued and %d leased urls: %w", nq, s.Queued, s.Leased, errCorrupt)
		}
		if nd := tx.Bucket(bktDeferred).Stats().KeyN; int64(nd) != s.Deferred {
			return fmt.Errorf("%d deferred entries for %d deferred urls: %w", nd, s.Deferred, errCorrupt)
		}
		s.Hosts = int64(tx.Bucket(bktHosts).Stats().KeyN)
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("recount: %w", err)
	}
	return s, nil
}

// seenLog reads the seen log as seq -> fingerprint.
func seenLog(tx *bolt.Tx) (map[uint64]uint64, error) {
	m := map[uint64]uint64{}
	err := forEachSeen(tx, bktSeen, func(seq, fp uint64, _ int) error {
		m[seq] = fp
		return nil
	})
	return m, err
}
