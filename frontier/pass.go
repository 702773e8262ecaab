package frontier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Pass metadata, in the usermeta bucket (what Meta reads) so the crawler
// sees the pass without another call.
const (
	// MetaPass holds the current pass number in decimal ("" or absent = 0,
	// the first crawl).
	MetaPass = "pass"
	// metaPassCursor holds the next seq StartPass must requeue while a
	// pass is being started; absent once it is complete.
	metaPassCursor = "pass_cursor"
)

// passChunk is how many records one StartPass transaction visits: the
// requeue of a large crawl is many bounded transactions, not one.
const passChunk = 8192

// ErrPassMismatch: StartPass was asked for a pass that is neither the next
// one nor the one being started.
var ErrPassMismatch = errors.New("frontier: pass number does not follow the stored one")

// StartPass begins pass number pass (the previous pass + 1) of the crawl in
// the frontier at path, which no process may hold: every URL in a final
// state (done, failed, skipped) is queued again with attempt 0, keeping its
// depth, parent, redirect count and Tag (the crawler's validators for a
// conditional request). Queued and leased URLs stay as they are. The seen
// set is unchanged, so links found again are not added twice, and links
// that are new in this pass are.
//
// It commits passChunk records per transaction and records its progress
// with them; after a crash, calling StartPass again with the same pass
// finishes the job (it never requeues a record twice: a requeued record is
// no longer final, and no fetch runs before StartPass returns). Calling it
// for a pass that is complete does nothing. It returns how many URLs this
// call requeued.
//
// A shared frontier implements the same operation on its own store; the
// contract is the MetaPass key and the requeue rule above.
func StartPass(path string, pass int) (requeued int64, err error) {
	if pass < 1 {
		return 0, fmt.Errorf("start pass %d: passes after the first crawl are numbered from 1", pass)
	}
	if err := checkFileSize(path); err != nil {
		return 0, fmt.Errorf("start pass %s: %w", path, err)
	}
	db, err := openBolt(path, Options{}.withDefaults())
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return 0, lockedError(path)
		}
		return 0, fmt.Errorf("start pass %s: %w: %w", path, ErrNotFrontier, err)
	}
	defer db.Close()
	for {
		done := false
		err := guard(func() error {
			return db.Update(func(tx *bolt.Tx) error {
				n, finished, err := requeueChunk(tx, pass)
				requeued += n
				done = finished
				return err
			})
		})
		if err != nil {
			return requeued, fmt.Errorf("start pass %d in %s: %w", pass, path, err)
		}
		if done {
			return requeued, nil
		}
	}
}

// requeueChunk requeues up to passChunk records from the stored cursor.
func requeueChunk(tx *bolt.Tx, pass int) (n int64, finished bool, err error) {
	um, meta, records := tx.Bucket(bktUserMeta), tx.Bucket(bktMeta), tx.Bucket(bktRecords)
	queue := tx.Bucket(bktQueue)
	if um == nil || meta == nil || records == nil || queue == nil {
		return 0, false, fmt.Errorf("%w: missing bucket", ErrNotFrontier)
	}
	cur := 0
	if v := um.Get([]byte(MetaPass)); len(v) > 0 {
		if cur, err = strconv.Atoi(string(v)); err != nil {
			return 0, false, fmt.Errorf("%w: pass %q", errCorrupt, v)
		}
	}
	cursorV := um.Get([]byte(metaPassCursor))
	var from uint64
	switch {
	case cursorV == nil && cur == pass:
		return 0, true, nil // already started and complete
	case cursorV == nil && cur == pass-1:
		from = 1
	case cursorV != nil && cur == pass:
		if from, err = readU64(cursorV); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, fmt.Errorf("%w: asked for pass %d, stored pass is %d", ErrPassMismatch, pass, cur)
	}
	st, err := decodeStats(meta.Get(keyStats))
	if err != nil {
		return 0, false, fmt.Errorf("%w: stats: %v", errCorrupt, err)
	}
	c := records.Cursor()
	k, v := c.Seek(u64(from))
	visited := 0
	for ; k != nil && visited < passChunk; k, v = c.Next() {
		visited++
		seq := binary.BigEndian.Uint64(k)
		r, err := decodeURLRec(seq, v)
		if err != nil {
			return n, false, fmt.Errorf("seq %d: %w", seq, err)
		}
		switch r.state {
		case stDone:
			st.Done--
			st.Bytes -= r.bytes // counters describe the pass being crawled
		case stFailed:
			st.Failed--
		case stSkipped:
			st.Skipped--
		default:
			continue
		}
		r.state, r.attempt, r.inRetry, r.retryAt, r.status, r.reason, r.bytes, r.loc = stQueued, 0, false, 0, 0, "", 0, nil
		if err := records.Put(k, r.encode()); err != nil {
			return n, false, err
		}
		if err := queue.Put(queueKey(r.host, r.suffix()), nil); err != nil {
			return n, false, err
		}
		st.Queued++
		n++
	}
	if err := meta.Put(keyStats, encodeStats(st)); err != nil {
		return n, false, err
	}
	if err := um.Put([]byte(MetaPass), []byte(strconv.Itoa(pass))); err != nil {
		return n, false, err
	}
	if k == nil {
		return n, true, um.Delete([]byte(metaPassCursor))
	}
	return n, false, um.Put([]byte(metaPassCursor), u64(binary.BigEndian.Uint64(k)))
}

// PassState reads the pass number stored in the frontier at path (0 for
// the first crawl) and whether StartPass for it is unfinished (a crash
// during the requeue: call StartPass(path, pass) to finish it). No process
// may hold the frontier.
func PassState(path string) (pass int, starting bool, err error) {
	if err := checkFileSize(path); err != nil {
		return 0, false, fmt.Errorf("read pass %s: %w", path, err)
	}
	db, err := openReadOnly(path)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return 0, false, lockedError(path)
		}
		return 0, false, fmt.Errorf("read pass %s: %w: %w", path, ErrNotFrontier, err)
	}
	defer db.Close()
	err = guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			um := tx.Bucket(bktUserMeta)
			if um == nil {
				return fmt.Errorf("%w: no usermeta bucket", ErrNotFrontier)
			}
			if v := um.Get([]byte(MetaPass)); len(v) > 0 {
				p, err := strconv.Atoi(string(v))
				if err != nil {
					return fmt.Errorf("%w: pass %q", errCorrupt, v)
				}
				pass = p
			}
			starting = um.Get([]byte(metaPassCursor)) != nil
			return nil
		})
	})
	if err != nil {
		return 0, false, fmt.Errorf("read pass %s: %w", path, err)
	}
	return pass, starting, nil
}
