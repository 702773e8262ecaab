package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/internal/torture"
	"github.com/trawl-crawler/trawl/storage"
)

func crawlArgs(web *testweb.Web, dir string) []string {
	args := []string{"--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--concurrency", "4", "--log-level", "warn", "--progress", "off"}
	return args
}

// storedOnce checks every committed record appears exactly once and
// returns the set of stored URLs.
func storedOnce(t *testing.T, dir string) map[string]int {
	t.Helper()
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	if err := r.Scan(context.Background(), func(rec *storage.Record) error { seen[rec.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", u, n)
		}
	}
	return seen
}

// TestKill9ResumeLosesNothing crawls the test web with the real CLI in a
// child process, SIGKILLs it at random moments, resumes each time, and checks
// the end state against an uninterrupted crawl's (the test web's Expected set).
func TestKill9ResumeLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web := testweb.ForTest(t, testweb.Config{Hosts: 4, PagesPerHost: 60, PageSize: 4 << 10, Seed: 7,
		Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond, Features: testweb.Clean()})
	dir := filepath.Join(t.TempDir(), "state")
	rng := torture.NewRand(t, 9)

	// Each run is killed right after a random number of requests (the web
	// holds the next one, so the kill lands mid-crawl whatever the
	// machine's speed). minKills × maxGap is less than the web's request
	// count, so every planned kill lands before the crawl can finish.
	kills, runs := 0, 0
	const minKills, maxGap = 6, 30
	for {
		var args []string
		if runs == 0 || !crawler.Exists(dir) { // a kill during start leaves nothing to resume
			args = append([]string{"crawl"}, crawlArgs(web, dir)...)
			args = append(args, web.Seeds()...)
		} else {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		runs++
		if kills == minKills {
			if code := child(t, args...).wait(t); code != 0 {
				t.Fatalf("final run %d exited %d", runs, code)
			}
			break
		}
		hold := web.HoldAfter(int64(1 + rng.IntN(maxGap)))
		p := child(t, args...)
		if !p.killWhen(t, hold.Reached()) {
			t.Fatalf("run %d exited %d before its kill (%d requests so far):\n%s", runs, p.wait(t), web.Requests(), p.Output())
		}
		hold.Release()
		kills++
	}
	st, err := crawler.ReadStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != crawler.StateFinished {
		t.Fatalf("final state %q", st.State)
	}
	rep := web.Report()
	expected := web.Expected()
	// Duplicates are allowed only for URLs in flight at a kill.
	for _, p := range rep.Check(expected, 2, 0, 0) {
		if !bytes.HasPrefix([]byte(p), []byte("duplicate")) {
			t.Errorf("judge: %s", p)
		}
	}
	// A URL is refetched only if it was leased but not committed at a kill.
	perKill := torture.LeasesPerKill(childConcurrency)
	if len(rep.Duplicates) > kills*perKill {
		t.Errorf("%d duplicate fetches after %d kills: more than were leased (≤ %d each)", len(rep.Duplicates), kills, perKill)
	}
	seen := storedOnce(t, dir)
	for u := range expected {
		if seen[u] != 1 {
			t.Errorf("expected %s stored once, stored %d times", u, seen[u])
		}
	}
	if st.Stored != int64(len(seen)) {
		t.Errorf("status says %d stored, the store holds %d", st.Stored, len(seen))
	}
	t.Logf("%d runs, %d kills, %d requests, %d expected, %d duplicate fetches", runs, kills, rep.Requests, len(expected), len(rep.Duplicates))
}

// TestSIGTERMGracefulThenResume: a graceful stop exits 143, prints how to
// resume, and the resumed crawl fetches nothing twice.
func TestSIGTERMGracefulThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 60, PageSize: 4 << 10, Seed: 8,
		Latency: 5 * time.Millisecond, Features: testweb.Clean()})
	dir := filepath.Join(t.TempDir(), "state")
	args := append(append([]string{"crawl"}, crawlArgs(web, dir)...), web.Seeds()...)
	// Each stop comes after a set number of requests, with the next request
	// held: the crawl is running (the child installs its signal handler
	// before it sends a request) and cannot finish before the signal. The
	// held requests are released once the child says it is stopping, and
	// must not keep it from exiting 143.
	for i := 0; i < 3; i++ {
		if i > 0 {
			args = append([]string{"resume"}, crawlArgs(web, dir)...)
		}
		hold := web.HoldAfter(int64(20 + 30*i))
		p := child(t, args...)
		select {
		case <-hold.Reached():
		case <-p.Done():
			t.Fatalf("run %d exited %d before the signal:\n%s", i, p.wait(t), p.Output())
		}
		p.Stop()
		hold.Release()
		if code := p.wait(t); code != exitTerminated {
			t.Fatalf("SIGTERM run exited %d, want %d:\n%s", code, exitTerminated, p.Output())
		}
		if !strings.Contains(p.Output(), "trawl resume --dir "+dir) {
			t.Fatalf("no resume hint in output:\n%s", p.Output())
		}
	}
	p := child(t, append([]string{"resume"}, crawlArgs(web, dir)...)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("final resume exited %d:\n%s", code, p.Output())
	}
	rep := web.Report()
	if probs := rep.Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("after graceful stops: %v", probs)
	}
	storedOnce(t, dir)
}
