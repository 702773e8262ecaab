package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/frontier/redisfrontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// deferWeb is two hosts: A (the seed, links to B's pages and to 40 pages
// of its own) and B, whose /busy answers 503 with Retry-After one hour
// while busy is set (past --max-wait: B is deferred).
type deferWeb struct {
	a, b *httptest.Server
	busy atomic.Bool
	mu   sync.Mutex
	reqs map[string]int // B's paths → requests
}

func startDeferWeb(t *testing.T) *deferWeb {
	w := &deferWeb{reqs: map[string]int{}}
	w.busy.Store(true)
	w.b = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(rw, r)
			return
		}
		w.mu.Lock()
		w.reqs[r.URL.Path]++
		w.mu.Unlock()
		if r.URL.Path == "/busy" && w.busy.Load() {
			rw.Header().Set("Retry-After", "3600")
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprint(rw, "<p>b</p>")
	}))
	t.Cleanup(w.b.Close)
	w.a = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/html")
		if r.URL.Path != "/" {
			fmt.Fprint(rw, "<p>a</p>")
			return
		}
		fmt.Fprintf(rw, "<a href=%q>busy</a>\n", w.b.URL+"/busy")
		for i := range 5 {
			fmt.Fprintf(rw, "<a href=%q>p</a>\n", fmt.Sprintf("%s/p%d", w.b.URL, i))
		}
		for i := range 40 {
			fmt.Fprintf(rw, "<a href=\"/a%d\">a</a>\n", i)
		}
	}))
	t.Cleanup(w.a.Close)
	return w
}

func (w *deferWeb) requests() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]int{}
	for k, v := range w.reqs {
		m[k] = v
	}
	return m
}

// TestSharedDeferredWaitForResume: a host one worker deferred stays
// deferred for the whole shared crawl, also when Redis is lost and the
// workers rejoin by themselves (a rejoin is not the user's resume); the
// crawl ends with it deferred; then `trawl resume` of both workers at once
// queues every worker's deferred URLs again, once: each is fetched once.
func TestSharedDeferredWaitForResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	srv := redistest.Start(t)
	web := startDeferWeb(t)
	base := t.TempDir()
	dirs := []string{filepath.Join(base, "w1"), filepath.Join(base, "w2")}
	flags := []string{"--frontier", srv.URL(), "--allow-private", "--delay", "50ms", "--per-host", "1",
		"--concurrency", "2", "--log-level", "warn", "--progress", "off", "--lease-ttl", "2s"}
	run := func(cmd string, i int) childProc {
		a := append([]string{cmd, "--dir", dirs[i]}, flags...)
		if cmd == "crawl" {
			a = append(a, "--crawl", "defer", web.a.URL+"/")
		}
		return child(t, a...)
	}
	ps := []childProc{run("crawl", 0), run("crawl", 1)}

	// Once B's deferral is committed, Redis is lost: both workers rejoin.
	ctx := context.Background()
	cl, err := redisfrontier.Dial(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	for deferred := int64(0); deferred == 0; {
		select {
		case <-tick.C:
		case <-beforeDeadline(t):
			t.Fatalf("B never deferred:\n%s\n%s", ps[0].Output(), ps[1].Output())
		}
		st, _, err := redisfrontier.ReadStatus(ctx, cl, srv.URL(), "defer")
		if err != nil {
			t.Fatal(err)
		}
		if st.Stats.Done >= 40 {
			t.Fatalf("the crawl of A ended before B was deferred: %+v", st.Stats)
		}
		deferred = st.Stats.Deferred
	}
	tick.Stop()
	cl.Close()
	srv.Kill()
	for i, p := range ps {
		select {
		case <-p.Said("rejoining"):
		case <-p.Done():
			t.Fatalf("worker %d exited while Redis was down:\n%s", i+1, p.Output())
		case <-beforeDeadline(t):
			t.Fatalf("worker %d did not notice Redis was lost:\n%s", i+1, p.Output())
		}
	}
	srv.Restart()
	for i, p := range ps {
		if code := p.wait(t); code != 0 || !strings.Contains(p.Output(), "deferred:") {
			t.Fatalf("worker %d exited %d, want 0 with deferred URLs in its summary:\n%s", i+1, code, p.Output())
		}
		if hint := "trawl resume --frontier " + srv.URL() + " --dir " + dirs[i] + " retries them"; !strings.Contains(p.Output(), hint) {
			t.Fatalf("worker %d's summary does not say %q:\n%s", i+1, hint, p.Output())
		}
	}
	got := web.requests()
	if got["/busy"] != 1 || got["/p0"]+got["/p1"]+got["/p2"]+got["/p3"]+got["/p4"] != 0 {
		t.Fatalf("B's requests %v: want /busy once and its other pages deferred, across the rejoins", got)
	}

	// Both resumed at once: B's URLs are queued again once, each fetched once.
	web.busy.Store(false)
	ps = []childProc{run("resume", 0), run("resume", 1)}
	for i, p := range ps {
		if code := p.wait(t); code != 0 {
			t.Fatalf("resumed worker %d exited %d:\n%s", i+1, code, p.Output())
		}
	}
	got = web.requests()
	want := map[string]int{"/busy": 2, "/p0": 1, "/p1": 1, "/p2": 1, "/p3": 1, "/p4": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("B's requests after both resumes: %v, want %v", got, want)
	}
	code, out, _ := cli(t, "", "status", "--frontier", srv.URL(), "--crawl", "defer", "--json")
	if code != 0 || !strings.Contains(out, `"state":"finished"`) || !strings.Contains(out, `"Deferred":0`) {
		t.Errorf("status after the resumes: exit %d, %s", code, out)
	}
}
