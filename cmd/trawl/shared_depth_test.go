package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
	"github.com/trawl-crawler/trawl/internal/redistest"
	"github.com/trawl-crawler/trawl/internal/torture"
)

// TestSharedMaxDepthIsShortest crawls the depth web (internal/depthweb:
// a fast host's long chains reach pages before a slow host's short links)
// with two workers of one shared crawl at --max-depth 2…6, SIGKILLs a
// random worker once in every other crawl and resumes it, SIGKILLs Redis
// once in the crawl at 4 (restarted from its AOF), and compares the
// pages fetched with the web's breadth-first reference, exactly: a page
// one worker fetched at a first-come depth and the other found on a
// shorter path must have its links extracted again by the worker that
// stored it. Every page is stored once across the two stores.
func TestSharedMaxDepthIsShortest(t *testing.T) {
	sharedDepthLoop(t, func(n int) int { return n % 2 })
}

// sharedDepthLoop runs the shared depth crawls at --max-depth 2…6 with
// killsAt(n) SIGKILLs of random workers in the crawl at n, each after 1–12
// more page requests, the killed worker resumed at once, and one SIGKILL
// of redis-server in the crawl at 4.
func sharedDepthLoop(t *testing.T, killsAt func(n int) int) {
	web, rng := startDepthWeb(t, 3, 29)
	srv := redistest.Start(t)
	for n := 2; n <= 6; n++ {
		web.Reset()
		base := t.TempDir()
		dirs := []string{filepath.Join(base, "w1"), filepath.Join(base, "w2")}
		args := func(i int) []string {
			a := []string{"resume", "--frontier", srv.URL(), "--dir", dirs[i], "--allow-private", "--delay", "0",
				"--concurrency", "4", "--retries", "0", "--log-level", "warn", "--progress", "off", "--lease-ttl", "2s"}
			if !crawler.Exists(dirs[i]) {
				a[0] = "crawl"
				a = append(a, "--crawl", fmt.Sprintf("depth%d", n), "--scope", "any", "--max-depth", strconv.Itoa(n))
				a = append(a, web.Seeds()...)
			}
			return a
		}
		ps := []childProc{child(t, args(0)...), child(t, args(1)...)}
		kills := killsAt(n)
		// awhile waits for a few more requests, or for a worker to exit.
		awhile := func() {
			select {
			case <-web.AfterRequests(web.Requests() + 1 + rng.IntN(12)):
			case <-ps[0].Done():
			case <-ps[1].Done():
			case <-beforeDeadline(t):
				t.Fatalf("max-depth %d: the crawl hung", n)
			}
		}
		for range kills {
			awhile()
			i := rng.IntN(len(ps))
			ps[i].Kill()
			ps[i] = child(t, args(i)...) // a worker that had finished resumes to find the crawl over
		}
		lost := 0 // workers' pipelines lost to a Redis kill
		if n == 4 {
			// Redis SIGKILLed once and restarted from its AOF: the
			// lowerings and owed re-extractions are in it.
			awhile()
			srv.Kill()
			srv.Restart()
			lost = len(ps)
		}
		for i, p := range ps {
			if code := p.wait(t); code != 0 {
				t.Fatalf("max-depth %d: worker %d exited %d:\n%s", n, i+1, code, p.Output())
			}
		}
		want, got := web.Reference(n), web.Fetched()
		if diff := depthweb.Diff(want, got); diff != "" {
			t.Errorf("max-depth %d, %d kills: fetched set differs from breadth-first (%d pages):%s", n, kills, len(want), diff)
		}
		dups := 0
		for _, k := range got {
			dups += k - 1
		}
		if perKill := torture.LeasesPerKill(childConcurrency); dups > (kills+lost)*perKill {
			t.Errorf("max-depth %d: %d duplicate fetches after %d kills, want ≤ %d", n, dups, kills, (kills+lost)*perKill)
		}
		stored := map[string]int{}
		for _, d := range dirs {
			if !crawler.Exists(d) {
				continue
			}
			for u, k := range storedOnce(t, d) {
				stored[u] += k
			}
		}
		for u := range want {
			if stored[u] != 1 {
				t.Errorf("max-depth %d: %s stored %d times across the workers' stores, want 1", n, u, stored[u])
			}
		}
		t.Logf("max-depth %d: %d kills, Redis killed %v, %d requests for %d pages, %d duplicates", n, kills, lost > 0, web.Requests(), len(want), dups)
	}
}
