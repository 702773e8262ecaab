package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/waitfor"
)

// testRecord builds a deterministic record number i with a body of size bytes.
func testRecord(i, size int) *Record {
	return recordWithBody(i, htmlBody(i, size))
}

// htmlBody returns size bytes of HTML-like text that compresses about as
// well as a real page (random words, not a repeated string).
func htmlBody(seed, size int) []byte {
	words := strings.Fields("the a crawler page link href div span class table row of and to in is for with on that by this web data from html body title")
	rng := rand.New(rand.NewPCG(uint64(seed), 42))
	b := make([]byte, 0, size+64)
	b = append(b, "<html><body>\n"...)
	for len(b) < size {
		switch rng.IntN(12) {
		case 0:
			b = fmt.Appendf(b, "<a href=\"/p/%d\">", rng.IntN(100000))
		case 1:
			b = append(b, "</p>\n<p class=\"x\">"...)
		default:
			b = append(b, words[rng.IntN(len(words))]...)
			b = append(b, ' ')
		}
	}
	return b[:size]
}

func recordWithBody(i int, body []byte) *Record {
	return &Record{
		URL:           fmt.Sprintf("http://127.0.0.1:8080/page/%d", i),
		FinalURL:      fmt.Sprintf("http://127.0.0.1:8080/page/%d", i),
		Method:        "GET",
		Status:        200,
		Proto:         "HTTP/1.1",
		ContentType:   "text/html; charset=utf-8",
		Header:        http.Header{"Content-Type": {"text/html; charset=utf-8"}, "X-Seq": {fmt.Sprint(i)}},
		RequestHeader: http.Header{"User-Agent": {"trawl-test"}},
		Body:          body,
		FetchedAt:     time.Date(2025, 1, 2, 3, 4, 5, i, time.UTC),
		Depth:         i % 4,
		Parent:        "http://127.0.0.1:8080/",
	}
}

func mustEncode(t testing.TB, r *Record) Block {
	t.Helper()
	b, err := Encode(r)
	if err != nil {
		t.Fatalf("Encode(%s): %v", r.URL, err)
	}
	return b
}

// appendN appends records [from, to) and returns the checkpoint after each.
func appendN(t testing.TB, s *Store, from, to, size int) [][]byte {
	t.Helper()
	var cps [][]byte
	for i := from; i < to; i++ {
		cp, err := s.Append(mustEncode(t, testRecord(i, size)))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		cps = append(cps, cp)
	}
	return cps
}

// scanAll returns every record the reader in dir sees.
func scanAll(t testing.TB, dir string) []*Record {
	t.Helper()
	r, err := OpenReader(dir)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	var out []*Record
	if err := r.Scan(context.Background(), func(rec *Record) error {
		out = append(out, rec)
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if n, _ := r.Count(); n != int64(len(out)) {
		t.Fatalf("Count() = %d records, Scan saw %d", n, len(out))
	}
	return out
}

// checkSeqs verifies recs are records 0..n-1 in order, Seq 1..n.
func checkSeqs(t testing.TB, recs []*Record, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("saw %d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		want := fmt.Sprintf("http://127.0.0.1:8080/page/%d", i)
		if r.URL != want || r.Seq != uint64(i+1) {
			t.Fatalf("record %d: URL %s Seq %d, want %s Seq %d", i, r.URL, r.Seq, want, i+1)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	failure := &Record{URL: "http://127.0.0.1/x", Decision: true, Depth: 2, Parent: "http://127.0.0.1/", Reason: "connect: connection refused", DecidedAt: time.Unix(1700000000, 0).UTC()}
	odd := testRecord(7, 0)
	odd.Header = http.Header{"X-Bad": {"\xff\xfe not utf-8", "second"}, "Empty": {}}
	odd.Truncated = true
	odd.IP = "2001:db8::7"
	odd.Body = []byte{0, 1, 2, 0xff}
	zeroTime := &Record{URL: "http://127.0.0.1/z", Body: []byte("z")}
	big := testRecord(3, 300<<10)
	tests := []struct {
		name string
		recs []*Record
	}{
		{"html pages", []*Record{testRecord(0, 20<<10), testRecord(1, 100)}},
		{"failure, odd headers, zero time", []*Record{failure, odd, zeroTime}},
		{"rotation", []*Record{big, testRecord(4, 10), big, testRecord(5, 200<<10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, nil, Options{SegmentSize: 64 << 10})
			cps := appendRecs(t, s, tt.recs...)
			closeAt(t, s, cps[len(cps)-1])
			got := scanAll(t, dir)
			if len(got) != len(tt.recs) {
				t.Fatalf("got %d records, want %d", len(got), len(tt.recs))
			}
			for i, want := range tt.recs {
				w := *want
				w.Seq = uint64(i + 1)
				w.pos = got[i].pos // where the reader found it
				if len(w.Header) == 0 {
					w.Header = nil
				}
				if w.Header != nil {
					w.Header = w.Header.Clone() // Clone keeps empty slices as non-nil; the codec does too
				}
				if !reflect.DeepEqual(got[i], &w) {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], &w)
				}
			}
		})
	}
}

func TestEncodeFillsDigest(t *testing.T) {
	r := &Record{URL: "http://127.0.0.1/", Body: []byte("abc")}
	mustEncode(t, r)
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; r.SHA256 != want {
		t.Fatalf("SHA256 = %s, want %s", r.SHA256, want)
	}
	r2 := &Record{URL: "u", Body: []byte("abc"), SHA256: "given"}
	mustEncode(t, r2)
	if r2.SHA256 != "given" {
		t.Fatalf("Encode overwrote a given digest: %s", r2.SHA256)
	}
}

func TestCheckpointOrder(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{SegmentSize: 4 << 10})
	defer s.Close()
	cps := appendN(t, s, 0, 40, 3<<10)
	for i := 1; i < len(cps); i++ {
		if bytes.Compare(cps[i-1], cps[i]) >= 0 {
			t.Fatalf("checkpoint %d (%x) not after %d (%x)", i, cps[i], i-1, cps[i-1])
		}
	}
	segs, _ := listSegments(filepath.Join(dir, segmentsDir))
	if len(segs) < 10 {
		t.Fatalf("expected rotation into many segments, got %d", len(segs))
	}
}

// TestReadAt: every appended record reads back through its locator, across
// segment rotations and while later appends go on; a damaged frame is
// ErrCorrupt naming the segment.
func TestReadAt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pages")
	s := openStore(t, dir, nil, Options{SegmentSize: 16 << 10})
	defer s.Close()
	var locs [][]byte
	for i := range 40 {
		_, loc := appendLocated(t, s, mustEncode(t, testRecord(i, 3000+i*10)))
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

// TestClosedStoreRefuses: Append, Sync and Publish on a closed store are
// errors naming the call, not writes to closed files.
func TestClosedStoreRefuses(t *testing.T) {
	s := openStore(t, t.TempDir(), nil, Options{})
	cps := appendRecs(t, s, testRecord(0, 100))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, appendErr := s.Append(mustEncode(t, testRecord(1, 100)))
	for op, err := range map[string]error{"append to": appendErr, "sync": s.Sync(), "publish on": s.Publish(cps[0])} {
		if err == nil || !strings.Contains(err.Error(), op+" closed store") {
			t.Errorf("%s a closed store: %v", op, err)
		}
	}
}

// TestTruncateOnOpen reopens with a checkpoint in the middle, in an earlier
// segment than the tail, and checks that later records are gone for good and
// that appending continues from there.
func TestTruncateOnOpen(t *testing.T) {
	tests := []struct {
		name      string
		committed int // records committed (0 = nil checkpoint)
	}{
		{"nothing committed", 0},
		{"first record", 1},
		{"middle, earlier segment", 7},
		{"last record", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentSize: 10 << 10}
			s := openStore(t, dir, nil, opts)
			cps := appendN(t, s, 0, 20, 4<<10) // ~2 records per segment
			if tt.committed > 0 {
				if err := s.Publish(cps[tt.committed-1]); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			segsBefore, _ := listSegments(filepath.Join(dir, segmentsDir))

			var committed []byte
			if tt.committed > 0 {
				committed = cps[tt.committed-1]
			}
			s = openStore(t, dir, committed, opts)
			checkSeqs(t, scanAll(t, dir), tt.committed)
			segsAfter, _ := listSegments(filepath.Join(dir, segmentsDir))
			if len(segsAfter) >= len(segsBefore) && tt.committed < 20 {
				t.Fatalf("segments %v after reopen, before %v: later segments not deleted", segsAfter, segsBefore)
			}
			// Records written after reopening follow on directly.
			more := appendN(t, s, tt.committed, tt.committed+5, 4<<10)
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(more[len(more)-1]); err != nil {
				t.Fatal(err)
			}
			s.Close()
			checkSeqs(t, scanAll(t, dir), tt.committed+5)
		})
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{SegmentSize: 8 << 10})
	cps := appendN(t, s, 0, 6, 4<<10)
	s.Close()
	beyond := position{seg: 99, off: 10, records: 50}.encode()
	if _, err := Open(dir, beyond, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open with checkpoint past the files: err = %v, want ErrCorrupt", err)
	}
	if _, err := Open(dir, []byte("junk"), Options{}); err == nil {
		t.Errorf("Open with junk checkpoint: no error")
	}
	if _, err := Open(dir, cps[2], Options{SegmentSize: -1}); err == nil {
		t.Errorf("Open with negative segment size: no error")
	}
	s = openStore(t, dir, cps[2], Options{SegmentSize: 8 << 10})
	defer s.Close()
	if err := s.Publish(cps[5]); err == nil {
		t.Errorf("Publish of a checkpoint beyond what was appended: no error")
	}
}

func TestOpenReaderNoStore(t *testing.T) {
	if _, err := OpenReader(t.TempDir()); !errors.Is(err, ErrNoStore) {
		t.Fatalf("err = %v, want ErrNoStore", err)
	}
}

// TestTornTail writes a partial block after the published checkpoint, as a
// crash mid-write would: readers never see it and Open cuts it off.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	cps := appendN(t, s, 0, 5, 1000)
	if err := s.Publish(cps[2]); err != nil {
		t.Fatal(err)
	}
	s.Close()
	seg := filepath.Join(dir, segmentsDir, segmentName(1))
	whole := mustEncode(t, testRecord(99, 1000))
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(whole.frame[:whole.Len()/2])
	f.Close()

	checkSeqs(t, scanAll(t, dir), 3) // manifest covers 3 of the 5 appended + torn half block
	s = openStore(t, dir, cps[4], Options{})
	checkSeqs(t, scanAll(t, dir), 5)
	cp := appendN(t, s, 5, 6, 1000)[0]
	s.Publish(cp)
	s.Close()
	checkSeqs(t, scanAll(t, dir), 6)
}

func TestCorruptBlock(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{})
	cps := appendN(t, s, 0, 4, 2000)
	s.Publish(cps[3])
	s.Close()
	// Find where the third block starts, then flip a byte inside its payload.
	p1, _ := decodeCheckpoint(cps[1])
	seg := filepath.Join(dir, segmentsDir, segmentName(1))
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[p1.off+frameHeaderLen+10] ^= 0x40
	if err := os.WriteFile(seg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = r.Scan(context.Background(), func(*Record) error { seen++; return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scan err = %v, want ErrCorrupt", err)
	}
	want := fmt.Sprintf("segment %s offset %d", segmentName(1), p1.off)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %q", err, want)
	}
	if seen != 2 {
		t.Fatalf("saw %d records before the corrupt one, want 2", seen)
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, nil, Options{})
	cps := appendN(t, s, 0, 3, 10)
	s.Publish(cps[2])
	s.Close()
	r, _ := OpenReader(dir)
	stop := errors.New("stop")
	n := 0
	if err := r.Scan(context.Background(), func(*Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Scan = %v after %d calls, want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Scan(ctx, func(*Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan with cancelled ctx = %v", err)
	}
}

// TestReaderWhileWriting runs a writer that keeps appending and publishing
// while readers open snapshots: each sees exactly a published prefix.
func TestReaderWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil, Options{SegmentSize: 32 << 10})
	const total = 300
	var (
		mu        sync.Mutex
		published = map[int64]bool{0: true} // record counts that were published
	)
	write := func() error {
		for i := range total {
			b, err := Encode(testRecord(i, 3000))
			if err != nil {
				return err
			}
			cp, err := s.Append(b)
			if err == nil && i%3 == 0 {
				if err = s.Sync(); err == nil {
					mu.Lock()
					published[int64(i+1)] = true
					mu.Unlock()
					err = s.Publish(cp)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := waitfor.During(write, 3, func(bool) {
		recs := scanAll(t, dir)
		checkSeqs(t, recs, len(recs))
		mu.Lock()
		ok := published[int64(len(recs))]
		mu.Unlock()
		if !ok {
			t.Fatalf("reader saw %d records, which was never published", len(recs))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
