package frontier

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ReadCommitted reads the counters and the checkpoint that the frontier at
// path has committed, without opening it for writing: for `status` and
// `export` on a crawl that no process is running (they are exact, where the
// crawler's published snapshots may lag a kill). While a crawl holds the
// file it returns ErrLocked at once; callers then use what the crawl
// publishes. Leases are counted as queued: on disk a URL in flight is
// queued (schema 5), and the next Open migrates a schema 4 file's leases back.
func ReadCommitted(path string) (Stats, []byte, error) {
	if err := checkFileSize(path); err != nil {
		return Stats{}, nil, fmt.Errorf("read frontier %s: %w", path, err)
	}
	db, err := openReadOnly(path)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return Stats{}, nil, lockedError(path)
		}
		return Stats{}, nil, fmt.Errorf("read frontier %s: %w: %w", path, ErrNotFrontier, err)
	}
	defer db.Close()
	var st Stats
	var cp []byte
	err = guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bktMeta)
			if meta == nil {
				return fmt.Errorf("%w: no meta bucket", ErrNotFrontier)
			}
			s, err := decodeStats(meta.Get(keyStats))
			if err != nil {
				return fmt.Errorf("%w: stats: %v", ErrNotFrontier, err)
			}
			st = s
			if v := meta.Get(keyCheckpoint); v != nil {
				cp = append([]byte(nil), v...)
			}
			return nil
		})
	})
	if err != nil {
		return Stats{}, nil, fmt.Errorf("read frontier %s: %w", path, err)
	}
	st.Queued += st.Leased
	st.Leased = 0
	return st, cp, nil
}

func openReadOnly(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("file is damaged (%v)", r)
		}
	}()
	return bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
}
