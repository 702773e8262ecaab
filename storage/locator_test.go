package storage

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// TestReadAt: every appended record reads back through its locator, across
// segment rotations and while later appends go on; a damaged frame is
// ErrCorrupt naming the segment.
func TestReadAt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pages")
	s := openStore(t, dir, nil, Options{SegmentSize: 16 << 10})
	defer s.Close()
	var locs [][]byte
	for i := range 40 {
		b, err := Encode(testRecord(i, 3000+i*10))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := s.Append(b)
		if err != nil {
			t.Fatal(err)
		}
		loc, err := Locate(cp, b)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if locs[0][4] == locs[39][4] {
		t.Fatalf("all records in segment %d: no rotation tested", locs[0][4])
	}
	for i, loc := range locs {
		rec, err := s.ReadAt(loc)
		if err != nil {
			t.Fatalf("ReadAt record %d: %v", i, err)
		}
		want := testRecord(i, 3000+i*10)
		if rec.URL != want.URL || !bytes.Equal(rec.Body, want.Body) || rec.Depth != want.Depth {
			t.Errorf("record %d read back as %s (%d bytes, depth %d)", i, rec.URL, len(rec.Body), rec.Depth)
		}
	}
	bad := append([]byte(nil), locs[3]...)
	bad[12]++ // one byte into the frame
	if _, err := s.ReadAt(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadAt a misplaced locator = %v, want ErrCorrupt", err)
	}
	if _, err := s.ReadAt([]byte{9}); err == nil {
		t.Error("ReadAt of a malformed locator succeeded")
	}
}
