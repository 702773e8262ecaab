package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// streamUntilGone writes chunk until n chunks are written, the client goes
// away or the test ends.
func streamUntilGone(w http.ResponseWriter, r *http.Request, quit <-chan struct{}, chunk []byte, n int, write func([]byte) error) {
	for i := 0; n < 0 || i < n; i++ {
		select {
		case <-r.Context().Done():
			return
		case <-quit:
			return
		default:
		}
		if err := write(chunk); err != nil {
			return
		}
	}
}

func TestBodyCap(t *testing.T) {
	const max = 64 << 10
	var quit <-chan struct{}
	srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n < 0 { // endless
			streamUntilGone(w, r, quit, bytes.Repeat([]byte("x"), 4096), -1, func(b []byte) error {
				_, err := w.Write(b)
				return err
			})
			return
		}
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // no Content-Length
		}
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	c := newClient(t, Options{AllowPrivate: true, MaxBody: max})
	tests := []struct {
		query     string
		wantLen   int
		truncated bool
	}{
		{"n=0", 0, false},
		{"n=100", 100, false},
		{"n=65536", max, false},
		{"n=65536&chunked", max, false},
		{"n=65537", max, true},
		{"n=65537&chunked", max, true},
		{"n=1000000", max, true},
		{"n=-1", max, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := c.Get(context.Background(), srv.URL+"/?"+tt.query, nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if len(resp.Body) != tt.wantLen || resp.Truncated != tt.truncated {
				t.Errorf("got %d bytes truncated=%v, want %d truncated=%v", len(resp.Body), resp.Truncated, tt.wantLen, tt.truncated)
			}
		})
	}
}

// TestGzipBomb serves 1 GiB of zeros gzip-compressed on the fly: the body
// stops at MaxBody and memory stays bounded by it, not by the decoded size.
func TestGzipBomb(t *testing.T) {
	const max = 1 << 20
	var quit <-chan struct{}
	srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		streamUntilGone(w, r, quit, make([]byte, 1<<20), 1024, func(b []byte) error {
			_, err := gz.Write(b)
			return err
		})
		gz.Close()
	})
	c := newClient(t, Options{AllowPrivate: true, MaxBody: max})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := c.Get(context.Background(), srv.URL, nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(resp.Body) != max || !resp.Truncated {
		t.Fatalf("got %d bytes truncated=%v, want %d truncated", len(resp.Body), resp.Truncated, max)
	}
	if !bytes.Equal(resp.Body, make([]byte, max)) {
		t.Error("body is not the decoded zeros")
	}
	// Allocation by the whole process (server's gzip writer included) while
	// 1 GiB was on offer; buffering it would be 1000 times more.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MiB for a %d MiB cap", alloc>>20, max>>20)
	}
}

// TestRawBound: a gzip stream of endless empty members decodes to nothing;
// reading stops at the raw bound instead of running until the timeout.
func TestRawBound(t *testing.T) {
	const max = 1 << 10
	var member bytes.Buffer
	gzip.NewWriter(&member).Close()
	var quit <-chan struct{}
	srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		streamUntilGone(w, r, quit, bytes.Repeat(member.Bytes(), 1000), -1, func(b []byte) error {
			_, err := w.Write(b)
			return err
		})
	})
	c := newClient(t, Options{AllowPrivate: true, MaxBody: max})
	resp, err := c.Get(context.Background(), srv.URL, nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(resp.Body) != 0 || !resp.Truncated {
		t.Errorf("got %d bytes truncated=%v, want 0 bytes truncated", len(resp.Body), resp.Truncated)
	}
}

func TestReadCapped(t *testing.T) {
	tests := []struct {
		n, max, hint int64
		wantLen      int64
		truncated    bool
	}{
		{0, 10, -1, 0, false},
		{10, 10, -1, 10, false},
		{11, 10, -1, 10, true},
		{10, 10, 10, 10, false},
		{5, 10, 1000, 5, false}, // a lying hint does not over-allocate past the cap
		{100000, 10, -1, 10, true},
		{100000, 50000, -1, 50000, true},
		{40000, 50000, -1, 40000, false},
	}
	for _, tt := range tests {
		body, truncated, err := readCapped(bytes.NewReader(make([]byte, tt.n)), tt.max, tt.hint)
		if err != nil || int64(len(body)) != tt.wantLen || truncated != tt.truncated {
			t.Errorf("n=%d max=%d hint=%d: got %d bytes truncated=%v err=%v, want %d %v",
				tt.n, tt.max, tt.hint, len(body), truncated, err, tt.wantLen, tt.truncated)
		}
		if int64(cap(body)) > tt.max+1 {
			t.Errorf("n=%d max=%d: cap %d exceeds max+1", tt.n, tt.max, cap(body))
		}
	}
}
