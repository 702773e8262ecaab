package frontier

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// FinalStates reads every URL record and returns the final ones' states as
// the outcome that put them there. For the external crash test
// (crash_test.go), which checks the records themselves, not only what the
// Frontier interface shows.
func FinalStates(f *Frontier) (map[string]Outcome, error) {
	states := map[string]Outcome{}
	err := f.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktRecords).ForEach(func(k, v []byte) error {
			r, err := decodeURLRec(0, v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			if r.state >= stDone {
				states[r.url] = Outcome(r.state-stDone) + Done
			}
			return nil
		})
	})
	return states, err
}

// CheckDepths checks f's depth bookkeeping, for the external depth crash
// test (depth_crash_test.go): every seen-set payload holds its record's
// seq and depth, and every fetched page within maxDepth whose
// re-extraction is not pending has each of its links (links(url)) recorded
// at no more than its depth + 1.
func CheckDepths(f *Frontier, maxDepth int, links func(url string) []string) error {
	return f.db.View(func(tx *bolt.Tx) error {
		recs := map[string]urlRec{}
		err := forEachRecord(tx, func(r urlRec) error {
			recs[r.url] = r
			ref, ok := f.seen.Lookup(fingerprint(r.url))
			if !ok {
				return fmt.Errorf("%s not in the seen-set", r.url)
			}
			if seq, d := seqDepth(ref); seq != r.seq || d != min(r.depth, depthSat) {
				return fmt.Errorf("%s: payload seq %d depth %d, record seq %d depth %d", r.url, seq, d, r.seq, r.depth)
			}
			return nil
		})
		if err != nil {
			return err
		}
		reparse := tx.Bucket(bktReparse)
		for u, r := range recs {
			k := makeSeqKey(r.seq)
			if r.state != stDone || r.depth+1 > maxDepth || has(reparse.Cursor(), k[:]) {
				continue
			}
			for _, c := range links(u) {
				cr, ok := recs[c]
				if !ok {
					return fmt.Errorf("done %s (depth %d): link %s never added", u, r.depth, c)
				}
				if cr.depth > r.depth+1 {
					return fmt.Errorf("done %s (depth %d): link %s at depth %d", u, r.depth, c, cr.depth)
				}
			}
		}
		return nil
	})
}
