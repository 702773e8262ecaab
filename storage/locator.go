package storage

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// A locator names one record's place in the store: its segment and the
// offset of its frame. The crawler keeps it with the URL in the frontier
// so a fetched page can be read again (its links re-extracted when a
// shorter path to it is found) without a scan and without a refetch.
const (
	locatorV1  = 0x01
	locatorLen = 1 + 4 + 8
)

// Locate returns the locator of block b, given the checkpoint Append
// returned for it (the position just past b: Append writes a block whole
// into one segment).
func Locate(checkpoint []byte, b Block) ([]byte, error) {
	p, err := decodeCheckpoint(checkpoint)
	if err != nil {
		return nil, err
	}
	off := p.off - int64(len(b.frame))
	if p.seg == 0 || off < 0 {
		return nil, fmt.Errorf("storage: locate: checkpoint %x does not follow a %d-byte block", checkpoint, len(b.frame))
	}
	return locatorAt(p.seg, off), nil
}

// locatorAt is the locator of the frame at offset off of segment seg.
func locatorAt(seg uint32, off int64) []byte {
	loc := make([]byte, 0, locatorLen)
	loc = append(loc, locatorV1)
	loc = binary.BigEndian.AppendUint32(loc, seg)
	return binary.BigEndian.AppendUint64(loc, uint64(off))
}

// ReadAt reads the record at loc (from Locate): one this store appended.
// A committed record's segment is read with pread, concurrently with
// appends past it; a record appended since the last Sync may still be in
// the store's append buffer and is read from there. Seq is not set.
func (s *Store) ReadAt(loc []byte) (*Record, error) {
	if len(loc) != locatorLen || loc[0] != locatorV1 {
		return nil, fmt.Errorf("storage: read at %x: unknown locator encoding", loc)
	}
	seg := binary.BigEndian.Uint32(loc[1:5])
	off := int64(binary.BigEndian.Uint64(loc[5:13]))
	name := segmentName(seg)
	corrupt := func(what string) error {
		return fmt.Errorf("%w: segment %s offset %d: %s", ErrCorrupt, name, off, what)
	}
	var hdr [frameHeaderLen]byte
	var buf []byte
	// A block is written whole (the append buffer holds whole frames),
	// so it is either all in memory or all in the file.
	if b := s.unwrittenFrame(seg, off); b != nil {
		if len(b) < frameHeaderLen || frameLen(b, int64(len(b)-frameHeaderLen)) != int64(len(b)-frameHeaderLen) {
			return nil, corrupt("not a whole frame in the append buffer")
		}
		copy(hdr[:], b)
		buf = b[frameHeaderLen:]
	} else {
		f, err := os.Open(filepath.Join(s.segDir, name))
		if err != nil {
			return nil, fmt.Errorf("storage: read at %s offset %d: %w", name, off, err)
		}
		defer f.Close()
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return nil, corrupt(fmt.Sprintf("read frame header: %v", err))
		}
		n := frameLen(hdr[:], maxPayload)
		if n == 0 {
			return nil, corrupt(fmt.Sprintf("frame length %d", binary.BigEndian.Uint32(hdr[0:4])))
		}
		buf = make([]byte, n)
		if _, err := f.ReadAt(buf, off+frameHeaderLen); err != nil {
			return nil, corrupt(fmt.Sprintf("read payload: %v", err))
		}
	}
	rec, err := openFrame(hdr[:], buf)
	if err != nil {
		return nil, corrupt(err.Error())
	}
	return rec, nil
}

// RefOfLocator turns a locator (Locate) into the Ref a revisit record
// stores: the same position.
func RefOfLocator(loc []byte) (Ref, error) {
	if len(loc) != locatorLen || loc[0] != locatorV1 {
		return Ref{}, fmt.Errorf("storage: locator %x: unknown encoding", loc)
	}
	seg := binary.BigEndian.Uint32(loc[1:5])
	off := int64(binary.BigEndian.Uint64(loc[5:13]))
	if seg == 0 || off < 0 {
		return Ref{}, fmt.Errorf("storage: locator %x: out of range", loc)
	}
	return Ref{seg: seg, off: off}, nil
}
