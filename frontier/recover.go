package frontier

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// recover runs once in Open: it checks or creates the schema (migrating an
// older one) and starts a new epoch in one write transaction, then loads
// counters, checkpoint and hosts into memory. There is nothing to sweep:
// a lease writes nothing, so every URL in flight when the last process
// ended is still queued.
func (f *Frontier) recover() error {
	err := f.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bktMeta)
		if meta == nil {
			if err := tx.ForEach(func([]byte, *bolt.Bucket) error { return ErrNotFrontier }); err != nil {
				return fmt.Errorf("no frontier meta bucket: %w", err)
			}
			if err := initSchema(tx); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
			meta = tx.Bucket(bktMeta)
		}
		if !bytes.Equal(meta.Get(keyMagic), []byte(magic)) {
			return fmt.Errorf("bad magic: %w", ErrNotFrontier)
		}
		v, err := readU64(meta.Get(keySchema))
		if err != nil {
			return fmt.Errorf("schema version: %w: %w", ErrNotFrontier, err)
		}
		if v > schemaVersion {
			return fmt.Errorf("schema version %d > %d: %w", v, schemaVersion, ErrNewerSchema)
		}
		if v < 2 {
			return fmt.Errorf("schema version %d is older than 2 and not migrated: %w", v, ErrNotFrontier)
		}
		if v == 2 {
			if err := migrate2(tx); err != nil {
				return fmt.Errorf("migrate schema 2 to 3: %w", err)
			}
			v = 3
		}
		if v == 3 {
			if err := migrate3(tx); err != nil {
				return fmt.Errorf("migrate schema 3 to 4: %w", err)
			}
			v = 4
		}
		if v == 4 {
			if err := migrate4(tx); err != nil {
				return fmt.Errorf("migrate schema 4 to 5: %w", err)
			}
		}
		if tx.Bucket(bktDeferred) == nil {
			if _, err := tx.CreateBucket(bktDeferred); err != nil {
				return fmt.Errorf("create deferred bucket: %w", err)
			}
		}
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("missing bucket %s: %w", b, ErrNotFrontier)
			}
		}
		epoch, err := readU64(meta.Get(keyEpoch))
		if err != nil {
			return fmt.Errorf("epoch: %w", err)
		}
		f.epoch = epoch + 1
		if err := meta.Put(keyEpoch, u64(f.epoch)); err != nil {
			return fmt.Errorf("store epoch: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return f.db.View(f.load)
}

func initSchema(tx *bolt.Tx) error {
	for _, b := range allBuckets {
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	m := tx.Bucket(bktMeta)
	for k, v := range map[string][]byte{
		string(keyMagic):  []byte(magic),
		string(keySchema): u64(schemaVersion),
		string(keyEpoch):  u64(0),
		string(keySeq):    u64(0),
		string(keyStats):  encodeStats(Stats{}),
	} {
		if err := m.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// migrate4 turns a schema 4 file into schema 5 in the open transaction:
// every lease in the leases bucket (all of earlier epochs: no process
// holds the file) goes back to its queue under the key its record gives,
// as the epoch sweep of schema 4 did, and the bucket is dropped. The
// queue counts in host records are left as they are: schema 5 skips them.
func migrate4(tx *bolt.Tx) error {
	meta, leases, records := tx.Bucket(bktMeta), tx.Bucket(bktLeases), tx.Bucket(bktRecords)
	if leases == nil {
		return fmt.Errorf("missing bucket leases: %w", ErrNotFrontier)
	}
	stats, err := decodeStats(meta.Get(keyStats))
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	err = leases.ForEach(func(k, _ []byte) error {
		r, err := recordAt(records, k)
		if err != nil {
			return fmt.Errorf("lease %w", err)
		}
		if r.state != stQueued {
			return fmt.Errorf("seq %d in leases but state %d: %w", r.seq, r.state, errCorrupt)
		}
		if err := tx.Bucket(r.bucket()).Put(queueKey(r.host, r.suffix()), nil); err != nil {
			return fmt.Errorf("requeue lease seq %d: %w", r.seq, err)
		}
		stats.Leased--
		stats.Queued++
		return nil
	})
	if err != nil {
		return err
	}
	if stats.Leased != 0 {
		return fmt.Errorf("%d leases counted that the leases bucket does not hold: %w", stats.Leased, errCorrupt)
	}
	if err := tx.DeleteBucket(bktLeases); err != nil {
		return fmt.Errorf("drop leases: %w", err)
	}
	if err := meta.Put(keyStats, encodeStats(stats)); err != nil {
		return fmt.Errorf("store stats: %w", err)
	}
	return meta.Put(keySchema, u64(5))
}

// load fills memory from a consistent snapshot taken after the migration.
func (f *Frontier) load(tx *bolt.Tx) error {
	meta := tx.Bucket(bktMeta)
	s, err := decodeStats(meta.Get(keyStats))
	if err != nil {
		return fmt.Errorf("load stats: %w", err)
	}
	f.stats = s
	if cp := meta.Get(keyCheckpoint); cp != nil {
		f.checkpoint = append([]byte(nil), cp...)
	}
	f.appliedTx = int(tx.ID())
	if err := f.loadSeen(tx, s); err != nil {
		return err
	}
	if err := f.loadReparse(tx); err != nil {
		return err
	}
	err = tx.Bucket(bktHosts).ForEach(func(k, v []byte) error {
		r, err := decodeHostRec(v)
		if err != nil {
			return fmt.Errorf("load host %q: %w", k, err)
		}
		h := newHost(string(k))
		h.setRec(r)
		f.hosts[h.name] = h
		return nil
	})
	if err != nil {
		return err
	}
	if err := f.countQueued(tx); err != nil {
		return err
	}
	for _, h := range f.hosts {
		f.fix(h)
	}
	return nil
}

// countDropEvery is how many queue keys countQueued reads between drops of
// the mapped pages. Queue pages lie scattered among the records' in the
// file, and the kernel maps 16 neighbouring pages with each one read
// (fault-around), so every page scanned maps 64 KiB: reopening a 10M-URL
// frontier with a drop every 2^20 keys peaked at 517 MiB of RSS.
const countDropEvery = 1 << 14

// countQueued sets each host's queue and retry counts from the entries in
// the queue and retry buckets (host records do not keep them: a lease or
// a completion would rewrite its host's record for them). The scan reads
// keys only, in key order, a host's entries together; it drops the pages
// it mapped as it goes (countDropEvery).
func (f *Frontier) countQueued(tx *bolt.Tx) error {
	var n int64
	for _, bkt := range [][]byte{bktQueue, bktRetry} {
		c := tx.Bucket(bkt).Cursor()
		var h *host
		var q *dq
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if n++; n%countDropEvery == 0 {
				_ = dropMappedTx(f.db, tx)
			}
			name, ok := queueKeyHost(k)
			if !ok {
				return fmt.Errorf("%s key %x: %w", bkt, k, errCorrupt)
			}
			if h == nil || h.name != string(name) {
				if h = f.hosts[string(name)]; h == nil {
					return fmt.Errorf("%s entry %x of a host with no record: %w", bkt, k, errCorrupt)
				}
				q = &h.main
				if bytes.Equal(bkt, bktRetry) {
					q = h.retryQ()
				}
			}
			q.count++
		}
	}
	if n != f.stats.Queued {
		return fmt.Errorf("%d queue and retry entries for %d queued URLs: %w", n, f.stats.Queued, errCorrupt)
	}
	return nil
}

// loadSeen fills the seen-set from the seen log, which must hold one
// fingerprint per record (every URL ever added has a record). With
// payloads (shortest depths kept) each slot learns its URL's seq and depth,
// and the lowered log then lowers the depths.
func (f *Frontier) loadSeen(tx *bolt.Tx, s Stats) error {
	if err := f.seen.Reserve(int(s.urls())); err != nil {
		return fmt.Errorf("load seen-set: %w", err)
	}
	payloads := f.seen.Payloads()
	var logged int64
	err := forEachSeen(tx, bktSeen, func(seq, fp uint64, depth int) error {
		// The kernel maps neighbouring pages with each one read
		// (fault-around), so a scan of a large log would map several
		// times its size (docs/BENCHMARKS.md, "10M URLs"). Drop them as the
		// scan goes, every 2^20 entries.
		if logged++; logged%(1<<20) == 0 {
			_ = dropMappedTx(f.db, tx)
		}
		ref, _, err := f.seen.Find(fp)
		if err == nil && payloads {
			if seq > maxPayloadSeq {
				return fmt.Errorf("seq %d: more URLs than shortest depths can be kept for (%d)", seq, uint64(maxPayloadSeq))
			}
			setSeqDepth(ref, seq, depth)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("load seen-set: %w", err)
	}
	if logged != s.urls() {
		return fmt.Errorf("load seen-set: %d fingerprints for %d URLs: %w", logged, s.urls(), errCorrupt)
	}
	if !payloads {
		return nil
	}
	err = forEachSeen(tx, bktLowered, func(_, fp uint64, depth int) error {
		ref, ok := f.seen.Lookup(fp)
		if !ok {
			return fmt.Errorf("lowered URL %016x is not in the seen log: %w", fp, errCorrupt)
		}
		if seq, d := seqDepth(ref); depth < d {
			setSeqDepth(ref, seq, depth)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load lowered depths: %w", err)
	}
	return nil
}

// loadReparse queues in memory the fetched pages whose links must be
// extracted again (see Lease.Reparse).
func (f *Frontier) loadReparse(tx *bolt.Tx) error {
	records := tx.Bucket(bktRecords)
	return tx.Bucket(bktReparse).ForEach(func(k, _ []byte) error {
		r, err := recordAt(records, k)
		if err != nil {
			return fmt.Errorf("reparse %w", err)
		}
		f.queueReparse(r)
		return nil
	})
}

// forEachSeen calls fn with every fingerprint of a seen or lowered log
// (bkt), the depth logged with it and, for the seen log, the seq of the URL
// it belongs to, in log order.
func forEachSeen(tx *bolt.Tx, bkt []byte, fn func(seq, fp uint64, depth int) error) error {
	return tx.Bucket(bkt).ForEach(func(k, v []byte) error {
		seq, err := readU64(k)
		if err != nil || len(v)%seenUnit != 0 {
			return fmt.Errorf("%s log entry %x: %d bytes: %w", bkt, k, len(v), errCorrupt)
		}
		for ; len(v) > 0; v, seq = v[seenUnit:], seq+1 {
			if err := fn(seq, binary.BigEndian.Uint64(v), int(v[8])); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrate3 turns a schema 3 file into schema 4 in the open transaction:
// every seen log entry gains each URL's depth, read from its record (both
// are in seq order), and the lowered and reparse buckets are created.
func migrate3(tx *bolt.Tx) error {
	seen := tx.Bucket(bktSeen)
	if seen == nil {
		return fmt.Errorf("missing bucket seen: %w", ErrNotFrontier)
	}
	for _, b := range [][]byte{bktLowered, bktReparse} {
		if _, err := tx.CreateBucket(b); err != nil {
			return fmt.Errorf("create %s: %w", b, err)
		}
	}
	records := tx.Bucket(bktRecords)
	seen.FillPercent = 1.0
	c := seen.Cursor()
	for k, v := c.First(); k != nil; {
		first, err := readU64(k)
		if err != nil || len(v)%8 != 0 {
			return fmt.Errorf("seen log entry %x: %d bytes: %w", k, len(v), errCorrupt)
		}
		nv := make([]byte, 0, len(v)/8*seenUnit)
		for i := 0; i < len(v); i += 8 {
			seq := first + uint64(i/8)
			sk := makeSeqKey(seq)
			r, err := decodeURLRec(seq, records.Get(sk[:]))
			if err != nil {
				return fmt.Errorf("seq %d: %w", seq, err)
			}
			nv = append(nv, v[i:i+8]...)
			nv = append(nv, byte(min(r.depth, 255)))
		}
		key := append([]byte(nil), k...)
		if err := seen.Put(key, nv); err != nil {
			return fmt.Errorf("rewrite seen log entry %d: %w", first, err)
		}
		// Seek again: a Put invalidates the cursor's position.
		c.Seek(key)
		k, v = c.Next()
	}
	return tx.Bucket(bktMeta).Put(keySchema, u64(4))
}

// migrate2 turns a schema 2 file into schema 3 in the open transaction:
// the seen log is written from the records (in seq order, 64k
// fingerprints an entry) and the index bucket is dropped.
func migrate2(tx *bolt.Tx) error {
	if tx.Bucket([]byte("index")) == nil {
		return fmt.Errorf("missing bucket index: %w", ErrNotFrontier)
	}
	seen, err := tx.CreateBucket(bktSeen)
	if err != nil {
		return fmt.Errorf("create seen log: %w", err)
	}
	seen.FillPercent = 1.0
	var first uint64
	var v []byte
	put := func() error {
		if len(v) == 0 {
			return nil
		}
		err := seen.Put(u64(first), v)
		v = nil
		return err
	}
	err = forEachRecord(tx, func(r urlRec) error {
		if len(v) == 0 {
			first = r.seq
		}
		v = binary.BigEndian.AppendUint64(v, fingerprint(r.url))
		if len(v) == 8<<16 {
			return put()
		}
		return nil
	})
	if err == nil {
		err = put()
	}
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket([]byte("index")); err != nil {
		return fmt.Errorf("drop index: %w", err)
	}
	return tx.Bucket(bktMeta).Put(keySchema, u64(3))
}

// forEachRecord decodes every URL record in seq order.
func forEachRecord(tx *bolt.Tx, fn func(urlRec) error) error {
	return tx.Bucket(bktRecords).ForEach(func(k, v []byte) error {
		seq, err := readU64(k)
		if err != nil {
			return fmt.Errorf("record key %x: %w", k, err)
		}
		r, err := decodeURLRec(seq, v)
		if err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		return fn(r)
	})
}
