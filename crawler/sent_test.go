package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier"
)

// slowReplyFrontier is the bbolt frontier with Begin's and Rebegin's
// answers arriving late, as a shared frontier's do from a busy Redis:
// every request is past its reservation, renewed once (Rebegin), then
// written late all the same and reported with Sent. Its Sent checks that
// the request is already at the server.
type slowReplyFrontier struct {
	crawler.Frontier
	seen func(path string) <-chan struct{}

	mu       sync.Mutex
	rebegins int
	sent     int
	failed   []string
}

func (f *slowReplyFrontier) Begin(l frontier.Lease, now time.Time) time.Duration {
	d := f.Frontier.Begin(l, now)
	time.Sleep(10 * time.Millisecond) // the reply is late
	return d
}

func (f *slowReplyFrontier) Rebegin(l frontier.Lease, reserved, now time.Time) time.Duration {
	d := f.Frontier.Rebegin(l, reserved, now)
	f.mu.Lock()
	f.rebegins++
	f.mu.Unlock()
	time.Sleep(10 * time.Millisecond) // late again
	return d
}

func (f *slowReplyFrontier) Sent(l frontier.Lease, at time.Time) {
	select {
	case <-f.seen(l.URL):
	case <-time.After(5 * time.Second):
		f.mu.Lock()
		f.failed = append(f.failed, l.URL)
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.sent++
	f.mu.Unlock()
	f.Frontier.Sent(l, at)
}

// A request written later than its reserved start is reported to the
// frontier (Sent) once it is on the wire, not before: Sent ran between
// the headers and the flush, so a shared frontier's round trip held the
// request back (158 ms was measured under load) and the time it reported
// was that much earlier than the write, which let another worker's
// request reach the server 2 ms after it.
func TestSentAfterTheRequestIsWritten(t *testing.T) {
	var mu sync.Mutex
	arrived := map[string]chan struct{}{}
	seen := func(u string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if arrived[u] == nil {
			arrived[u] = make(chan struct{})
		}
		return arrived[u]
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(seen(srv.URL + r.URL.Path))
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/a">a</a> <a href="/b">b</a>`)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	cfg := crawler.Default()
	cfg.Seeds = []string{srv.URL + "/"}
	cfg.AllowPrivate = true
	cfg.IgnoreRobots = true      // one request per lease: Sent is keyed by the lease
	cfg.Delay = time.Millisecond // a reservation never more than 1 ms ahead: each write is ≥ 9 ms late
	cfg.Timeout = 10 * time.Second
	fr := &slowReplyFrontier{seen: func(u string) <-chan struct{} { return seen(u) }}
	open := func(o frontier.Options) (crawler.Frontier, error) {
		f, err := frontier.Open(filepath.Join(t.TempDir(), "frontier.db"), o)
		if err != nil {
			return nil, err
		}
		fr.Frontier = f
		return fr, nil
	}
	c, err := crawler.New(t.TempDir(), cfg, crawler.WithFrontier(open))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != crawler.StateFinished || st.Done+st.Failed < 3 {
		t.Fatalf("stats %+v, want the 3 pages crawled", st)
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.rebegins < 3 {
		t.Fatalf("Rebegin called %d times, want once per request past its reservation (≥ 3)", fr.rebegins)
	}
	if fr.sent < 3 {
		t.Fatalf("Sent called %d times, want once per late request (≥ 3)", fr.sent)
	}
	if len(fr.failed) > 0 {
		t.Fatalf("Sent called before the request reached the server (held back until Sent gave up) for %v", fr.failed)
	}
}
