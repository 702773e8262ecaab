package storage

import (
	"fmt"
	"os"
	"path/filepath"
)

// maxRevisitChain bounds how many references the reader follows to find a
// body (a not-modified revisit of a record that was itself a duplicate is
// two); the writer never makes longer chains.
const maxRevisitChain = 4

// blockReader reads single blocks by position, within one manifest
// snapshot, for revisit records. It keeps the segment files it opened.
type blockReader struct {
	dir   string
	m     *manifest
	files map[uint32]*os.File
	last  struct {
		ref Ref
		rec *Record
	}
}

func newBlockReader(dir string, m *manifest) *blockReader {
	return &blockReader{dir: dir, m: m, files: map[uint32]*os.File{}}
}

func (b *blockReader) close() {
	for _, f := range b.files {
		f.Close()
	}
}

// read decodes the block at ref (the last one is cached: duplicates of one
// page often come together).
func (b *blockReader) read(ref Ref) (*Record, error) {
	if b.last.rec != nil && b.last.ref == ref {
		return b.last.rec, nil
	}
	corrupt := func(what string) error {
		return fmt.Errorf("%w: revisit reference to segment %d offset %d: %s", ErrCorrupt, ref.seg, ref.off, what)
	}
	if ref.seg == 0 || int(ref.seg) > len(b.m.Segments) {
		return nil, corrupt("no such segment in the manifest")
	}
	seg := b.m.Segments[ref.seg-1]
	if ref.off < 0 || ref.off+frameHeaderLen > seg.End {
		return nil, corrupt("past the committed end")
	}
	f := b.files[ref.seg]
	if f == nil {
		var err error
		if f, err = os.Open(filepath.Join(b.dir, segmentsDir, seg.Name)); err != nil {
			return nil, corrupt(err.Error())
		}
		b.files[ref.seg] = f
	}
	var hdr [frameHeaderLen]byte
	if _, err := f.ReadAt(hdr[:], ref.off); err != nil {
		return nil, corrupt(err.Error())
	}
	n := frameLen(hdr[:], seg.End-ref.off-frameHeaderLen)
	if n == 0 {
		return nil, corrupt("frame runs past the committed end")
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, ref.off+frameHeaderLen); err != nil {
		return nil, corrupt(err.Error())
	}
	rec, err := openFrame(hdr[:], buf)
	if err != nil {
		return nil, corrupt(err.Error())
	}
	rec.pos = ref
	b.last.ref, b.last.rec = ref, rec
	return rec, nil
}

// resolve fills a revisit record's Body and its Revisit's description of
// the referred record. The URL, date and status described are those of the
// record referred to directly; the body comes from the end of the chain.
func (b *blockReader) resolve(rec *Record) error {
	if rec.Revisit == nil {
		return nil
	}
	ref := rec.Revisit.Ref
	for hop := 0; hop < maxRevisitChain; hop++ {
		if !ref.less(rec.pos) {
			return fmt.Errorf("%w: record at segment %d offset %d refers forward", ErrCorrupt, rec.pos.seg, rec.pos.off)
		}
		orig, err := b.read(ref)
		if err != nil {
			return err
		}
		if hop == 0 {
			rv := rec.Revisit
			rv.URL, rv.FetchedAt, rv.Status, rv.ContentType, rv.Pass = orig.URL, orig.FetchedAt, orig.Status, orig.ContentType, orig.Pass
		}
		if orig.Revisit == nil {
			rec.Body = orig.Body
			return nil
		}
		ref = orig.Revisit.Ref
	}
	return fmt.Errorf("%w: record at segment %d offset %d: revisit chain longer than %d", ErrCorrupt, rec.pos.seg, rec.pos.off, maxRevisitChain)
}

// less orders block positions.
func (r Ref) less(q Ref) bool {
	if r.seg != q.seg {
		return r.seg < q.seg
	}
	return r.off < q.off
}
