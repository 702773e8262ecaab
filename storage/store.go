package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/internal/atomicfile"
)

// DefaultSegmentSize is the rotation size used when Options.SegmentSize is 0.
const DefaultSegmentSize = 256 << 20

// Options tune a Store.
type Options struct {
	SegmentSize int64 // rotate segments at this size; default 256 MiB
	// NoDedup stores every body in its own record: Dedup never finds a
	// match and no digest index is kept (benchmarks compare with it).
	NoDedup bool
}

// Store appends blocks to segment files in dir. One writer process at a time
// (the crawler holds the frontier lock).
//
// Append is called by one goroutine; Sync and Publish may run concurrently
// with it (they take the lock only to copy state, and fsync outside it).
type Store struct {
	dir     string
	segDir  string
	segSize int64

	syncMu sync.Mutex // serialises Sync, so a Sync returns only after every earlier append is durable
	pubMu  sync.Mutex // serialises Publish (one temp manifest file)

	mu       sync.Mutex
	cur      *os.File   // segment being appended (Open creates an empty store's first)
	pending  []*os.File // rotated segments not yet fsynced by Sync
	sizes    []int64    // final sizes of closed segments 1..seg-1
	pos      position   // end of everything appended
	dirDirty bool       // a segment file was created since the last Sync
	dirty    bool       // cur was appended to since the last Sync took its state
	err      error      // sticky: a failed write leaves the tail unknown
	closed   bool

	// Appended blocks wait in buf (they belong in cur at bufOff) until it
	// fills, the segment rotates, or Sync writes them just before its
	// fsync: one write per group commit instead of one per page, and the
	// committer's Append makes no system call while Sync's fsync runs.
	// Other processes read only up to the published checkpoint, which a
	// Sync (or Publish itself) wrote; in this process ReadAt looks in the
	// buffers first (Dedup confirms digests against blocks appended since
	// the last Sync). Writes go at explicit offsets (WriteAt) because Sync
	// writes a taken buffer outside mu while Append fills the next one.
	buf    []byte
	bufOff int64
	spare  []byte // Sync's last buffer, reused by Append
	// writing is the buffer a Sync took and is writing (segment
	// writingSeg at writingOff), kept until WriteAt returns so ReadAt
	// finds its blocks meanwhile.
	writing    []byte
	writingSeg uint32
	writingOff int64

	idx *digestIndex // bodies stored so far (dedup.go); nil with Options.NoDedup
}

// Open opens or creates the store in dir. committed is the checkpoint the
// frontier last committed (nil = nothing committed): anything beyond it
// (written by a process that died before its frontier commit) is truncated
// away, so it never becomes visible.
func Open(dir string, committed []byte, opts Options) (*Store, error) {
	if opts.SegmentSize < 0 {
		return nil, fmt.Errorf("storage: open %s: negative segment size", dir)
	}
	if opts.SegmentSize == 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	p, err := decodeCheckpoint(committed)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, segDir: filepath.Join(dir, segmentsDir), segSize: opts.SegmentSize, pos: p}
	if err := os.MkdirAll(s.segDir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	existing, err := listSegments(s.segDir)
	if err != nil {
		return nil, err
	}
	// Every segment up to the checkpoint must be there, the last one at least as long as it says.
	for n := uint32(1); n <= p.seg; n++ {
		fi, err := os.Stat(filepath.Join(s.segDir, segmentName(n)))
		if err != nil {
			return nil, fmt.Errorf("%w: segment %s needed by committed checkpoint: %v", ErrCorrupt, segmentName(n), err)
		}
		if n < p.seg {
			s.sizes = append(s.sizes, fi.Size())
		} else if fi.Size() < p.off {
			return nil, fmt.Errorf("%w: segment %s is %d bytes, committed checkpoint needs %d", ErrCorrupt, segmentName(n), fi.Size(), p.off)
		}
	}
	// Publish first: the old manifest can only cover a committed prefix, and
	// the new one covers exactly committed, so no reader ever looks past what we keep.
	if err := writeManifest(dir, buildManifest(p, s.sizes, time.Now())); err != nil {
		return nil, err
	}
	for _, n := range existing {
		if n > p.seg {
			if err := os.Remove(filepath.Join(s.segDir, segmentName(n))); err != nil {
				return nil, fmt.Errorf("storage: drop uncommitted segment: %w", err)
			}
		}
	}
	if p.seg > 0 {
		f, err := os.OpenFile(filepath.Join(s.segDir, segmentName(p.seg)), os.O_WRONLY, 0)
		if err == nil {
			err = f.Truncate(p.off)
			if err == nil {
				_, err = f.Seek(p.off, 0)
			}
			if err == nil {
				err = f.Sync()
			}
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("storage: truncate to committed checkpoint: %w", err)
		}
		s.cur = f
	} else if err := s.rotateLocked(); err != nil {
		// An empty store: its first segment is created here, made durable
		// by the directory fsync below, so the first Sync (before the
		// crawl's first page commits) has no directory to fsync.
		return nil, err
	}
	if err := syncDir(s.segDir); err != nil {
		s.cur.Close()
		return nil, err
	}
	s.dirDirty = false
	if !opts.NoDedup {
		if s.idx, err = openDigestIndex(filepath.Join(dir, digestsFile), p); err != nil {
			s.cur.Close()
			return nil, err
		}
	} else if err := os.Remove(filepath.Join(dir, digestsFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// An index left from a run with dedup would miss this run's blocks
		// and could name positions this run reuses after a truncation.
		s.cur.Close()
		return nil, fmt.Errorf("storage: drop digest index: %w", err)
	}
	return s, nil
}

// listSegments returns the numbers of the segment files in segDir.
func listSegments(segDir string) ([]uint32, error) {
	ents, err := os.ReadDir(segDir)
	if err != nil {
		return nil, fmt.Errorf("storage: list segments: %w", err)
	}
	var ns []uint32
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 32)
		if err != nil || n == 0 {
			continue
		}
		ns = append(ns, uint32(n))
	}
	return ns, nil
}

// Append writes b after everything appended so far and returns the checkpoint
// that covers it and all before it. Not safe for concurrent use (one committer
// goroutine calls it).
func (s *Store) Append(b Block) (checkpoint []byte, err error) {
	if len(b.frame) == 0 {
		return nil, errors.New("storage: append empty block")
	}
	if err := s.lockOpen("append to"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	n := int64(len(b.frame))
	if s.pos.off > 0 && s.pos.off+n > s.segSize {
		if err := s.rotateLocked(); err != nil {
			s.err = err
			return nil, err
		}
	}
	if err := s.bufferLocked(b.frame); err != nil {
		// The tail is now unknown; the next Open truncates it back to a committed checkpoint.
		s.err = err
		return nil, s.err
	}
	s.dirty = true
	if b.indexable && s.idx != nil {
		if err := s.idx.add(b.digest, s.pos.seg, s.pos.off); err != nil {
			s.err = err
			return nil, err
		}
	}
	s.pos.off += n
	s.pos.records++
	return s.pos.encode(), nil
}

// rotateLocked starts the next segment. The previous one stays open until
// Sync has made it durable.
func (s *Store) rotateLocked() error {
	if err := s.flushLocked(); err != nil {
		return err
	}
	next := s.pos.seg + 1
	f, err := os.OpenFile(filepath.Join(s.segDir, segmentName(next)), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: create segment %s: %w", segmentName(next), err)
	}
	if s.cur != nil {
		s.pending = append(s.pending, s.cur)
		s.sizes = append(s.sizes, s.pos.off)
	}
	s.cur = f
	s.pos = position{seg: next, off: 0, records: s.pos.records}
	s.dirDirty = true
	return nil
}

// lockOpen locks s.mu, or, the store being closed, leaves it unlocked and
// returns an error saying what (op) was tried on a closed store.
func (s *Store) lockOpen(op string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("storage: %s closed store", op)
	}
	return nil
}

// Sync fsyncs what was appended (the frontier's BeforeCommit hook).
func (s *Store) Sync() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.lockOpen("sync"); err != nil {
		return err
	}
	if s.err != nil {
		// A failed write or sync left the tail unknown (blocks of a
		// buffer that was never written among it): nothing after it can
		// be made durable.
		err := s.err
		s.mu.Unlock()
		return err
	}
	cur, pending, dirDirty, dirty := s.cur, s.pending, s.dirDirty, s.dirty
	s.pending, s.dirDirty, s.dirty = nil, false, false
	buf, bufOff := s.takeBufferLocked()
	s.mu.Unlock()

	var errs []error
	if len(buf) > 0 {
		if err := s.writeTaken(cur, buf, bufOff); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range pending {
		if err := f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("storage: sync %s: %w", f.Name(), err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("storage: close %s: %w", f.Name(), err))
		}
	}
	// Nothing appended since the last Sync (a commit of frontier state
	// alone): cur holds nothing new to make durable.
	if dirty {
		if err := cur.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("storage: sync %s: %w", cur.Name(), err))
		}
	}
	if dirDirty {
		errs = append(errs, syncDir(s.segDir))
	}
	if s.idx != nil {
		errs = append(errs, s.idx.flush())
	}
	if err := errors.Join(errs...); err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = err // durability of the tail is unknown: refuse further appends and syncs
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// Publish atomically replaces the manifest (write temp + fsync + rename) so
// readers in other processes see everything up to checkpoint, which the
// frontier has committed (and Sync made durable). Cheap enough to call a few
// times per second. Safe to call concurrently with Append.
func (s *Store) Publish(checkpoint []byte) error {
	p, err := decodeCheckpoint(checkpoint)
	if err != nil {
		return err
	}
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if err := s.lockOpen("publish on"); err != nil {
		return err
	}
	if s.pos.less(p) || p.records > s.pos.records {
		s.mu.Unlock()
		return fmt.Errorf("storage: publish checkpoint %x: beyond what was appended", checkpoint)
	}
	if p.seg > 0 && p.seg < s.pos.seg && p.off > s.sizes[p.seg-1] {
		s.mu.Unlock()
		return fmt.Errorf("storage: publish checkpoint %x: past the end of segment %s", checkpoint, segmentName(p.seg))
	}
	m := buildManifest(p, s.sizes, time.Now())
	s.mu.Unlock()
	return writeManifest(s.dir, m)
}

// Close syncs and closes the segment files. It does not publish: only
// committed checkpoints may be published.
func (s *Store) Close() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if err := s.flushLocked(); err != nil {
		errs = append(errs, err)
	}
	for _, f := range append(s.pending, s.cur) {
		if f != s.cur || s.dirty { // cur is durable already if Sync ran after its last append
			if err := f.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("storage: sync %s: %w", f.Name(), err))
			}
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("storage: close %s: %w", f.Name(), err))
		}
	}
	s.pending, s.cur = nil, nil
	if s.idx != nil {
		errs = append(errs, s.idx.close())
	}
	if s.dirDirty {
		errs = append(errs, syncDir(s.segDir))
	}
	return errors.Join(errs...)
}

// maxAppendBuffer is the most Append gathers before writing it to the
// segment itself (a group commit's pages are usually far less); a larger
// block is written at once, not copied.
const maxAppendBuffer = 1 << 20

// bufferLocked adds frame at the end of cur (at s.pos.off) in buf, writing
// what buf holds first when frame would make it outgrow maxAppendBuffer; a
// frame larger than the buffer itself is written at once.
func (s *Store) bufferLocked(frame []byte) error {
	if len(s.buf)+len(frame) > maxAppendBuffer {
		if err := s.flushLocked(); err != nil {
			return err
		}
		if len(frame) > maxAppendBuffer {
			if _, err := s.cur.WriteAt(frame, s.pos.off); err != nil {
				return fmt.Errorf("storage: append to %s: %w", segmentName(s.pos.seg), err)
			}
			return nil
		}
	}
	if len(s.buf) == 0 {
		s.bufOff = s.pos.off
	}
	s.buf = append(s.buf, frame...)
	return nil
}

// takeBufferLocked hands Sync the append buffer to write outside mu
// (Append fills the spare meanwhile); until writeTaken returns, ReadAt
// finds its blocks in s.writing. It returns nil when nothing is buffered.
func (s *Store) takeBufferLocked() (buf []byte, off int64) {
	if len(s.buf) == 0 {
		return nil, s.bufOff
	}
	buf, off = s.buf, s.bufOff
	s.buf, s.spare = s.spare[:0], nil
	s.writing, s.writingSeg, s.writingOff = buf, s.pos.seg, off
	return buf, off
}

// writeTaken writes a buffer takeBufferLocked handed out at off in cur,
// then gives it back for reuse: from then on ReadAt reads its blocks from
// the file.
func (s *Store) writeTaken(cur *os.File, buf []byte, off int64) error {
	_, err := cur.WriteAt(buf, off)
	s.mu.Lock()
	s.writing = nil
	s.spare = buf[:0]
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("storage: append to %s: %w", cur.Name(), err)
	}
	return nil
}

// unwrittenFrame returns a copy of the frame appended at (seg, off) when
// it is still in memory (buf, or the buffer a Sync is writing), nil when
// it is in the file. A frame is buffered whole or written whole, so the
// copy is the frame or, if the bytes there are not one, what is left of
// the buffer (the caller's checks reject it).
func (s *Store) unwrittenFrame(seg uint32, off int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range []struct {
		data []byte
		seg  uint32
		off  int64
	}{{s.buf, s.pos.seg, s.bufOff}, {s.writing, s.writingSeg, s.writingOff}} {
		if len(b.data) == 0 || seg != b.seg || off < b.off || off >= b.off+int64(len(b.data)) {
			continue
		}
		rest := b.data[off-b.off:]
		if len(rest) >= frameHeaderLen {
			if n := frameHeaderLen + int64(binary.BigEndian.Uint32(rest[0:4])); n <= int64(len(rest)) {
				rest = rest[:n]
			}
		}
		return append([]byte(nil), rest...)
	}
	return nil
}

// flushLocked writes buf to cur (rotation and Close; Sync writes a taken
// buffer outside mu).
func (s *Store) flushLocked() error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.cur.WriteAt(s.buf, s.bufOff); err != nil {
		return fmt.Errorf("storage: append to %s: %w", segmentName(s.pos.seg), err)
	}
	s.buf = s.buf[:0]
	return nil
}

// syncDir fsyncs a directory so created, renamed and removed entries are durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}
