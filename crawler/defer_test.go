package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// A host whose robots.txt answers 500 is fully disallowed, its robots.txt
// is tried 1 + --retries times, and then its URLs are deferred: the crawl
// finishes (no error) with every other expected page fetched and nothing
// of that host, and the stats name the host, the count and the reason. A
// resume puts them back, tries robots.txt again, and defers them again.
func TestRobotsDownHostIsDeferred(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 6, PagesPerHost: 20, PageSize: 1 << 10, Seed: 7, Features: testweb.Features{RobotsDown: 1}})
	down := web.Hosts()[5]
	cfg := testConfig(web)
	cfg.Retries = 2
	cfg.RetryBackoff = 20 * time.Millisecond
	dir := t.TempDir()
	st := runCrawl(t, context.Background(), dir, cfg)
	rep := web.Report()
	if probs := rep.Check(web.Expected(), cfg.PerHost, 0, 0); len(probs) > 0 {
		t.Fatalf("crawl differs from the expected set:\n%s", strings.Join(probs, "\n"))
	}
	if n := rep.RobotsRequests[down]; n != 3 {
		t.Errorf("robots.txt of %s requested %d times, want 3 (1 + --retries 2)", down, n)
	}
	if st.State != crawler.StateFinished || st.Deferred == 0 || st.Failed != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v: want finished with the down host's URLs deferred", st)
	}
	if len(st.DeferredHosts) != 1 || st.DeferredHosts[0].Host != down || st.DeferredHosts[0].URLs != st.Deferred ||
		!strings.Contains(st.DeferredHosts[0].Reason, "robots.txt unavailable (HTTP 500) after 3 attempts") {
		t.Fatalf("deferred hosts %+v, want %s with all %d URLs and the robots.txt reason", st.DeferredHosts, down, st.Deferred)
	}
	disk, err := crawler.ReadStatus(dir)
	if err != nil || disk.Deferred != st.Deferred || len(disk.DeferredHosts) != 1 {
		t.Fatalf("status on disk %+v, %v: want the deferral recorded", disk, err)
	}

	web.Reset()
	st2 := resumeCrawl(t, context.Background(), dir, cfg)
	if n := web.Report().RobotsRequests[down]; n != 3 {
		t.Errorf("resume: robots.txt of %s requested %d times, want 3 again", down, n)
	}
	if st2.Deferred != st.Deferred || st2.Done != st.Done || st2.State != crawler.StateFinished {
		t.Fatalf("resume stats %+v, want the same %d URLs deferred again", st2, st.Deferred)
	}
}

// A Retry-After past --max-wait defers the host instead of waiting; the run
// finishes at once, and a resume (the server healthy again) fetches what
// was deferred.
func TestLongRetryAfterDefersHostUntilResume(t *testing.T) {
	var busy atomic.Bool
	busy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<a href="/busy">busy</a>`))
		case "/busy":
			if busy.Load() {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<a href="/after">after</a>`))
		case "/after":
			w.Write([]byte("ok"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := crawler.Default()
	cfg.Seeds, cfg.Delay, cfg.AllowPrivate, cfg.PerHost = []string{srv.URL + "/"}, 0, true, 1
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := runCrawl(t, ctx, dir, cfg)
	if st.State != crawler.StateFinished || st.Done != 1 || st.Deferred != 1 || st.Retries != 0 {
		t.Fatalf("stats %+v: want / done and /busy deferred without a retry", st)
	}
	if r := st.DeferredHosts[0].Reason; !strings.Contains(r, "HTTP 503: wait 1h0m0s exceeds --max-wait 1m0s") {
		t.Fatalf("deferral reason %q", r)
	}
	busy.Store(false)
	st2 := resumeCrawl(t, ctx, dir, cfg)
	if st2.Done != 3 || st2.Deferred != 0 || st2.Queued != 0 {
		t.Fatalf("resume stats %+v: want /busy and /after fetched", st2)
	}
}

// A 503 with Retry-After holds its host's request slot until the
// completion carrying the wait commits: the host's other URLs, queued
// behind it with --per-host 1 and no delay, are not requested in between
// (the slot used to be freed at the response's last byte, and the next
// lease of the host went out before the host's wait was recorded).
func TestRetryAfterHoldsHostSlotUntilRecorded(t *testing.T) {
	var mu sync.Mutex
	var after []string // requests that arrived after /busy was answered
	var answered bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if answered {
			after = append(after, r.URL.Path)
		}
		mu.Unlock()
		switch {
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/busy">busy</a>`)
			for i := range 20 {
				fmt.Fprintf(w, `<a href="/p%d">p</a>`, i)
			}
		case r.URL.Path == "/busy":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
			mu.Lock()
			answered = true
			mu.Unlock()
		case strings.HasPrefix(r.URL.Path, "/p"):
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>p</p>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := crawler.Default()
	cfg.Seeds, cfg.Delay, cfg.AllowPrivate, cfg.PerHost = []string{srv.URL + "/"}, 0, true, 1
	cfg.IgnoreRobots = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := runCrawl(t, ctx, t.TempDir(), cfg)
	mu.Lock()
	defer mu.Unlock()
	if len(after) > 0 {
		t.Fatalf("requests after the host's 503 with Retry-After 3600 was answered: %v (stats %+v)", after, st)
	}
	if st.Done != 1 || st.Deferred != 21 {
		t.Fatalf("stats %+v: want / done and the host's 21 other URLs deferred", st)
	}
}
