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
