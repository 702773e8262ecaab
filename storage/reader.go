package storage

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Reader reads a consistent snapshot through the manifest, without any lock
// and without disturbing a running writer. The snapshot is the manifest as it
// was when OpenReader ran; open a new Reader to see later pages.
type Reader struct {
	dir string
	m   manifest
}

// OpenReader loads the manifest of the store in dir. It returns an error
// wrapping ErrNoStore if dir has no manifest.
func OpenReader(dir string) (*Reader, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	for _, seg := range m.Segments {
		if seg.Name != filepath.Base(seg.Name) || seg.Name == "." || seg.Name == ".." || seg.End < 0 {
			return nil, fmt.Errorf("%w: manifest in %s names segment %q", ErrCorrupt, dir, seg.Name)
		}
	}
	return &Reader{dir: dir, m: m}, nil
}

// Count reports the committed records (robots.txt records included) and
// their stored (framed, compressed) bytes, from the manifest, without a
// scan.
func (r *Reader) Count() (records int64, bytes int64) { return r.m.Records, r.m.Bytes }

// Scan calls fn for each committed record of the crawl's URLs in crawl
// (append) order, each exactly once; the crawler's own robots.txt fetches
// (Record.Robots) are left out: ScanAll includes them.
func (r *Reader) Scan(ctx context.Context, fn func(*Record) error) error {
	return r.ScanAll(ctx, func(rec *Record) error {
		if rec.Robots {
			return nil
		}
		return fn(rec)
	})
}

// ScanAll calls fn for every committed record in append order, robots.txt
// records included, each exactly once; Seq is 1-based append order. It
// stops at the first error from fn or ctx, or at a corrupt block (an error
// wrapping ErrCorrupt naming segment and offset).
func (r *Reader) ScanAll(ctx context.Context, fn func(*Record) error) error {
	var seq uint64
	blocks := newBlockReader(r.dir, &r.m)
	defer blocks.close()
	for i, seg := range r.m.Segments {
		if err := r.scanSegment(ctx, seg, uint32(i+1), blocks, &seq, fn); err != nil {
			return err
		}
	}
	if int64(seq) != r.m.Records {
		return fmt.Errorf("%w: manifest promises %d records, segments hold %d", ErrCorrupt, r.m.Records, seq)
	}
	return nil
}

func (r *Reader) scanSegment(ctx context.Context, seg manifestSegment, segNo uint32, blocks *blockReader, seq *uint64, fn func(*Record) error) error {
	f, err := os.Open(filepath.Join(r.dir, segmentsDir, seg.Name))
	if err != nil {
		return fmt.Errorf("%w: segment %s: %v", ErrCorrupt, seg.Name, err)
	}
	defer f.Close()
	// Never read past the committed end, whatever the writer appends meanwhile.
	br := bufio.NewReaderSize(io.LimitReader(f, seg.End), 1<<20)
	var hdr [frameHeaderLen]byte
	var buf []byte
	for off := int64(0); off < seg.End; {
		if err := ctx.Err(); err != nil {
			return err
		}
		corrupt := func(what string) error {
			return fmt.Errorf("%w: segment %s offset %d: %s", ErrCorrupt, seg.Name, off, what)
		}
		if seg.End-off < frameHeaderLen {
			return corrupt("truncated frame header")
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return corrupt(fmt.Sprintf("read frame header: %v", err))
		}
		n := frameLen(hdr[:], seg.End-off-frameHeaderLen)
		if n == 0 {
			return corrupt(fmt.Sprintf("frame length %d runs past committed end %d", binary.BigEndian.Uint32(hdr[0:4]), seg.End))
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return corrupt(fmt.Sprintf("read payload: %v", err))
		}
		rec, err := openFrame(hdr[:], buf)
		if err != nil {
			return corrupt(err.Error())
		}
		rec.pos = Ref{seg: segNo, off: off}
		if err := blocks.resolve(rec); err != nil {
			return err
		}
		*seq++
		rec.Seq = *seq
		if err := fn(rec); err != nil {
			return err
		}
		off += frameHeaderLen + n
	}
	return nil
}

// OpenReaderAt reads exactly the records up to checkpoint, whatever the
// manifest says: for a crawl that no process is running, whose frontier's
// committed checkpoint can be read directly (the manifest may lag it after
// a kill or a full disk). It must not be used while a writer may truncate
// the store (the crawler's Open does, on start).
func OpenReaderAt(dir string, checkpoint []byte) (*Reader, error) {
	p, err := decodeCheckpoint(checkpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w in %s", ErrNoStore, dir)
	}
	sizes := make([]int64, 0, p.seg)
	for n := uint32(1); n <= p.seg; n++ {
		fi, err := os.Stat(filepath.Join(dir, segmentsDir, segmentName(n)))
		if err != nil {
			return nil, fmt.Errorf("%w: segment %s: %v", ErrCorrupt, segmentName(n), err)
		}
		if n == p.seg && fi.Size() < p.off {
			return nil, fmt.Errorf("%w: segment %s holds %d bytes, the checkpoint needs %d", ErrCorrupt, segmentName(n), fi.Size(), p.off)
		}
		sizes = append(sizes, fi.Size())
	}
	return &Reader{dir: dir, m: buildManifest(p, sizes, time.Now())}, nil
}
