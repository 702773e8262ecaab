package storage

import (
	"bytes"
	"os"
	"sync"
	"testing"
)

// TestAppendBufferReadsAndSyncs: appended blocks wait in memory until Sync
// writes them; meanwhile ReadAt (the digest confirmation of Dedup) finds
// each one, whether it is in the append buffer, in the buffer a
// concurrent Sync is writing, or in the file; rotation and blocks larger
// than the buffer write what is buffered first. Everything reads back in
// order after the last Sync.
func TestAppendBufferReadsAndSyncs(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{SegmentSize: 3 << 20})
	var recs []*Record
	for i := range 120 {
		size := 6 << 10
		switch {
		case i%37 == 5:
			size = maxAppendBuffer + 64<<10 // written past the buffer
		case i%11 == 3:
			size = 300 << 10
		}
		r := testRecord(i, size)
		if i%9 == 8 {
			r.Body = recs[i-4].Body // a revisit of a block that may still be buffered
		}
		recs = append(recs, r)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Sync(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	stopSync := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopSync() // also when a check below fails
	var last []byte
	for i, r := range recs {
		s.Dedup(r)
		cp, loc := appendLocated(t, s, mustEncode(t, r))
		got, err := s.ReadAt(loc)
		if err != nil {
			t.Fatalf("record %d: read back before any Sync covered it: %v", i, err)
		}
		if got.URL != r.URL {
			t.Fatalf("record %d: read back %s, want %s", i, got.URL, r.URL)
		}
		if i%9 == 8 && r.Revisit == nil {
			t.Fatalf("record %d: its body was appended as record %d and not found", i, i-4)
		}
		last = cp
	}
	stopSync()
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	closeAt(t, s, last)
	got := scanAll(t, dir)
	if len(got) != len(recs) {
		t.Fatalf("read back %d records, want %d", len(got), len(recs))
	}
	for i, r := range recs {
		if got[i].URL != r.URL || !bytes.Equal(got[i].Body, r.Body) {
			t.Fatalf("record %d: %s, %d bytes; want %s, %d bytes", i, got[i].URL, len(got[i].Body), r.URL, len(r.Body))
		}
	}
}

// appendLocated appends b and returns its checkpoint and locator.
func appendLocated(t testing.TB, s *Store, b Block) (checkpoint, locator []byte) {
	t.Helper()
	cp, err := s.Append(b)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := Locate(cp, b)
	if err != nil {
		t.Fatal(err)
	}
	return cp, loc
}

// TestSyncAfterFailedWriteFails: a Sync whose buffer write failed lost
// those blocks, so every later Sync fails too (it would otherwise fsync
// the segment and report blocks durable that never reached it), and so
// does Append.
func TestSyncAfterFailedWriteFails(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	a, err := Encode(&Record{URL: "http://h/a", Status: 200, Body: []byte("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(a); err != nil { // buffered, not written
		t.Fatal(err)
	}
	// The segment handle can no longer be written: the buffer's write fails.
	ro, err := os.Open(s.cur.Name())
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	w := s.cur
	s.cur = ro
	s.mu.Unlock()
	defer w.Close()
	if err := s.Sync(); err == nil {
		t.Fatal("Sync with a failing write: nil error")
	}
	s.mu.Lock()
	s.cur = w // a working handle again: only the sticky error can fail the next Sync
	s.mu.Unlock()
	ro.Close()
	if err := s.Sync(); err == nil {
		t.Fatal("Sync after a failed write: nil error, blocks reported durable that were never written")
	}
	b, err := Encode(&Record{URL: "http://h/b", Status: 200, Body: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(b); err == nil {
		t.Fatal("Append after a failed write: nil error")
	}
}

// TestReadAtFindsTheBufferBeingWritten: between Sync taking the append
// buffer and its write returning, the buffer's blocks are in neither the
// append buffer nor the file; ReadAt (Dedup's digest confirmation) must
// find them in the buffer being written. TestAppendBufferReadsAndSyncs
// reaches that window only by chance; this holds it open.
func TestReadAtFindsTheBufferBeingWritten(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	a := testRecord(1, 6<<10)
	_, locA := appendLocated(t, s, mustEncode(t, a))

	s.mu.Lock()
	cur := s.cur
	buf, off := s.takeBufferLocked() // what Sync does before writing outside mu
	s.mu.Unlock()
	if len(buf) == 0 {
		t.Fatal("the appended block was not buffered")
	}
	b := testRecord(2, 6<<10)
	_, locB := appendLocated(t, s, mustEncode(t, b)) // into the next buffer meanwhile
	for _, c := range []struct {
		loc []byte
		r   *Record
	}{{locA, a}, {locB, b}} {
		got, err := s.ReadAt(c.loc)
		if err != nil {
			t.Fatalf("%s, appended and not yet in the file: %v", c.r.URL, err)
		}
		if got.URL != c.r.URL || !bytes.Equal(got.Body, c.r.Body) {
			t.Fatalf("read %s (%d bytes), want %s (%d bytes)", got.URL, len(got.Body), c.r.URL, len(c.r.Body))
		}
	}
	if err := s.writeTaken(cur, buf, off); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAt(locA); err != nil || got.URL != a.URL {
		t.Fatalf("after the write: %v, %v", got, err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAt(locB); err != nil || got.URL != b.URL {
		t.Fatalf("after Sync: %v, %v", got, err)
	}
}
