package storage

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sync"
)

// MinDedupBody is the smallest body stored once and referred to by later
// identical bodies. Below it a reference (the record's own headers are
// stored anyway) saves little, and the index stays for pages worth it.
const MinDedupBody = 256

// digestsFile holds the digest index's log, inside the store directory.
const digestsFile = "digests"

// digestEntryLen is one log entry: 16 bytes of the body's SHA-256, u32
// segment, u64 offset of the block holding the body, CRC-32C of those 28.
const digestEntryLen = 16 + 4 + 8 + 4

// digestKey is the first 16 bytes of a body's SHA-256: a collision needs
// 2^64 distinct bodies.
type digestKey [16]byte

// digestOf returns the key of body, from its hex SHA-256 when that parses.
func digestOf(sha string, body []byte) digestKey {
	var k digestKey
	if b, err := hex.DecodeString(sha); err == nil && len(b) == sha256.Size {
		copy(k[:], b)
		return k
	}
	sum := sha256.Sum256(body)
	copy(k[:], sum[:])
	return k
}

// digestIndex maps body digests to the first committed-or-appended block
// holding that body, so an identical body is stored once. It lives in
// memory (digestTable: 8 bytes of digest and 8 of position per distinct
// stored body, in a table at most 3/4 full) and is logged append-only to
// DIR/digests (16 bytes of digest), entries in block order.
//
// Invariants:
//   - An entry is added only after its block was appended, by the one
//     appending goroutine, so a record that refers to it is appended after
//     it: if the referring record is committed, so is the body.
//   - Open keeps only entries before the committed checkpoint (blocks
//     after it are truncated away and their positions reused) and cuts the
//     log after them. A lost or torn log tail only loses dedup chances:
//     the log is flushed, not fsynced, before each frontier commit.
type digestIndex struct {
	mu  sync.RWMutex
	m   digestTable // digest prefix -> packed position (segment<<40 | offset)
	f   *os.File
	bw  *bufio.Writer
	err error // sticky write error
}

// packPos packs a block position; offsets must stay below 2^40 (1 TiB segments).
func packPos(seg uint32, off int64) uint64 { return uint64(seg)<<40 | uint64(off) }

func unpackPos(v uint64) Ref { return Ref{seg: uint32(v >> 40), off: int64(v & (1<<40 - 1))} }

// openDigestIndex loads the log at path, keeping entries before committed.
func openDigestIndex(path string, committed position) (*digestIndex, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: open digest index: %w", err)
	}
	idx := &digestIndex{f: f}
	keep, err := idx.load(bufio.NewReaderSize(f, 1<<20), committed)
	if err == nil {
		err = f.Truncate(keep)
	}
	if err == nil {
		_, err = f.Seek(keep, io.SeekStart)
	}
	if err != nil {
		f.Close()
		idx.m.free()
		return nil, fmt.Errorf("storage: load digest index: %w", err)
	}
	idx.bw = bufio.NewWriterSize(f, 64<<10)
	return idx, nil
}

// load reads entries until the first torn or bad one, or the first at or
// past committed, and returns the length of the log that is kept.
func (x *digestIndex) load(r io.Reader, committed position) (int64, error) {
	var e [digestEntryLen]byte
	var kept int64
	for {
		if _, err := io.ReadFull(r, e[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return kept, nil
			}
			return 0, err
		}
		if crc32.Checksum(e[:28], castagnoli) != binary.BigEndian.Uint32(e[28:]) {
			return kept, nil
		}
		seg := binary.BigEndian.Uint32(e[16:20])
		off := int64(binary.BigEndian.Uint64(e[20:28]))
		if !(position{seg: seg, off: off}).less(committed) {
			return kept, nil
		}
		var k digestKey
		copy(k[:], e[:16])
		x.m.put(tableKey(k), packPos(seg, off))
		kept += digestEntryLen
	}
}

// lookup returns the block holding a body with digest k.
func (x *digestIndex) lookup(k digestKey) (Ref, bool) {
	x.mu.RLock()
	v, ok := x.m.get(tableKey(k))
	x.mu.RUnlock()
	if !ok {
		return Ref{}, false
	}
	return unpackPos(v), true
}

// add records that the block at (seg, off) holds a body with digest k.
func (x *digestIndex) add(k digestKey, seg uint32, off int64) error {
	if off >= 1<<40 {
		return nil // not representable: the body is just not shared
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return x.err
	}
	if !x.m.put(tableKey(k), packPos(seg, off)) {
		return nil // a body with this digest prefix is indexed already
	}
	var e [digestEntryLen]byte
	copy(e[:16], k[:])
	binary.BigEndian.PutUint32(e[16:20], seg)
	binary.BigEndian.PutUint64(e[20:28], uint64(off))
	binary.BigEndian.PutUint32(e[28:], crc32.Checksum(e[:28], castagnoli))
	if _, err := x.bw.Write(e[:]); err != nil {
		x.err = fmt.Errorf("storage: write digest index: %w", err)
	}
	return x.err
}

// flush writes buffered entries to the file (no fsync: see the type's invariants).
func (x *digestIndex) flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err == nil {
		if err := x.bw.Flush(); err != nil {
			x.err = fmt.Errorf("storage: write digest index: %w", err)
		}
	}
	return x.err
}

// close flushes and closes the log and frees the table (lookups after it
// find nothing).
func (x *digestIndex) close() error {
	err := x.flush()
	x.mu.Lock()
	x.m.free()
	x.mu.Unlock()
	if cerr := x.f.Close(); err == nil && cerr != nil && !errors.Is(cerr, fs.ErrClosed) {
		err = cerr
	}
	return err
}

// len reports the number of distinct bodies indexed.
func (x *digestIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.m.n
}

// Dedup turns r into a reference to an earlier block holding the same
// body, when one was appended (r.Revisit set with profile
// ProfileIdenticalPayload; true returned): Encode then stores no body, and
// readers fill it from that block. It fills r.SHA256 if empty. Safe to call
// concurrently with Append (the crawler calls it in its parse stage).
// Bodies shorter than MinDedupBody, and records that are already
// revisits, are left alone.
func (s *Store) Dedup(r *Record) bool {
	if s.idx == nil || r.Revisit != nil || len(r.Body) < MinDedupBody {
		return false
	}
	r.fillSHA256()
	ref, ok := s.idx.lookup(digestOf(r.SHA256, r.Body))
	if !ok {
		return false
	}
	// The table keys on 8 bytes of the digest: confirm the whole digest
	// against the stored record (one pread; hits are the rare case).
	if orig, err := s.readRef(ref); err != nil || orig.SHA256 != r.SHA256 {
		return false
	}
	r.Revisit = &Revisit{Profile: ProfileIdenticalPayload, Ref: ref}
	return true
}

// readRef reads the record of an appended block (digest confirmation).
func (s *Store) readRef(ref Ref) (*Record, error) {
	return s.ReadAt(locatorAt(ref.seg, ref.off))
}
