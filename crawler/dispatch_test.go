package crawler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// smallSocketBuffer is the socket buffer size (bytes) on both ends of
// the connections of TestDispatcherWakesOnFreedHostSlot.
const smallSocketBuffer = 64 << 10

// smallBufListener gives each accepted connection a small send buffer.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetWriteBuffer(smallSocketBuffer)
	}
	return conn, err
}

// span is one request as the server saw it: handler entry to return.
type span struct{ start, end time.Time }

// bigPageServer is one host whose root links to n pages of size bytes each
// (no further links). It records each page request's span and closes
// served once all n page responses are written.
type bigPageServer struct {
	n, size int
	mu      sync.Mutex
	spans   []span
	served  chan struct{}
	body    []byte
}

func newBigPageServer(n, size int) *bigPageServer {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>big</title></head><body>\n")
	for b.Len() < size-64 {
		b.WriteString("<p>multi-megabyte page: parsing it costs the parse stage real time.</p>\n")
	}
	b.WriteString("</body></html>\n")
	return &bigPageServer{n: n, size: size, served: make(chan struct{}), body: []byte(b.String())}
}

func (s *bigPageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>")
		for i := range s.n {
			fmt.Fprintf(w, `<a href="/p/%d">page %d</a>`, i, i)
		}
		fmt.Fprint(w, "</body></html>")
	case strings.HasPrefix(r.URL.Path, "/p/"):
		start := time.Now()
		w.Header().Set("Content-Type", "text/html")
		w.Write(s.body)
		end := time.Now()
		s.mu.Lock()
		s.spans = append(s.spans, span{start, end})
		if len(s.spans) == s.n {
			close(s.served)
		}
		s.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
}

// idle returns the longest stretch with no page request in progress between
// the first page request's start and the last one's end, and the slowest
// page response.
func (s *bigPageServer) idle() (longestGap, slowest time.Duration) {
	s.mu.Lock()
	spans := slices.Clone(s.spans)
	s.mu.Unlock()
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	var busyUntil time.Time
	for i, sp := range spans {
		slowest = max(slowest, sp.end.Sub(sp.start))
		if i > 0 && sp.start.After(busyUntil) {
			longestGap = max(longestGap, sp.start.Sub(busyUntil))
		}
		if sp.end.After(busyUntil) {
			busyUntil = sp.end
		}
	}
	return longestGap, slowest
}

// A host slot freed at the last body byte wakes the dispatcher: while the
// parse workers are busy with multi-MB pages and no completion commits, the
// next queued page of the host is requested at once, not after a fallback
// timer. The parse workers are held busy (a response callback that returns
// only once the server has served every page), so no commit can stand in
// for the missing wake-up; the server measures the gaps.
func TestDispatcherWakesOnFreedHostSlot(t *testing.T) {
	const pages, size = 6, 3 << 20
	srv := newBigPageServer(pages, size)
	// Small socket buffers on both ends: the server's write of a page
	// returns only when the crawler has read nearly all of it, so the
	// spans the server records are the responses as the crawler sees them.
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = smallBufListener{ts.Listener}
	ts.Start()
	defer ts.Close()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetReadBuffer(smallSocketBuffer)
		}
		return conn, err
	}

	cfg := crawler.Default()
	cfg.Seeds = []string{ts.URL + "/"}
	cfg.AllowPrivate = true
	cfg.Delay = 0
	cfg.PerHost = 2
	cfg.Concurrency = 8
	cfg.ParseWorkers = 2
	cfg.Timeout = 30 * time.Second
	c := newCrawler(t, t.TempDir(), cfg, crawler.WithDialer(dial))
	c.OnResponse(func(r *colly.Response) {
		if !strings.HasPrefix(r.Request.URL.Path, "/p/") {
			return
		}
		select {
		case <-srv.served:
		case <-time.After(20 * time.Second): // only breaks a dispatcher that never wakes
		}
	})
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != pages+1 {
		t.Fatalf("done %d, want %d", st.Done, pages+1)
	}
	gap, slowest := srv.idle()
	t.Logf("longest idle stretch %v, slowest response %v", gap, slowest)
	if gap > slowest {
		t.Fatalf("the host sat idle %v with pages queued, longer than the slowest response (%v)", gap, slowest)
	}
}
