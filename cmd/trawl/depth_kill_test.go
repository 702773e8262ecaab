package main

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
	"github.com/trawl-crawler/trawl/internal/torture"
)

// TestKill9MaxDepthIsShortest crawls the depth web (internal/depthweb: a
// fast host's long chains reach pages before a slow host's short links)
// with the real CLI at --max-depth 1…6, SIGKILLs each crawl after a random
// number of page requests (twice), resumes it to the end, and compares the
// set of pages fetched with the web's breadth-first reference, exactly.
// The longer loop is TestTortureDepthKill9 (internal/torture).
func TestKill9MaxDepthIsShortest(t *testing.T) {
	web, rng := startDepthWeb(t, 2, 11)
	for n := 1; n <= 6; n++ {
		web.Reset()
		dir := filepath.Join(t.TempDir(), "state")
		kills := killAndResume(t, web, dir, n, 2, rng)
		t.Logf("max-depth %d: %d kills, %d requests for %d pages", n, kills, web.Requests(), len(web.Reference(n)))
		if err := torture.JudgeDepth(dir, web, n); err != nil {
			t.Errorf("%d kills: %v", kills, err)
		}
	}
}

// startDepthWeb skips in -short mode (the tests spawn processes), starts
// the depth web with links drawn from webSeed, and returns it with a
// random source for the kills (its seed logged; stream tells tests apart).
func startDepthWeb(t *testing.T, webSeed, stream uint64) (*depthweb.Web, *rand.Rand) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web, err := depthweb.Start(depthweb.Config{Seed: webSeed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(web.Close)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return web, rand.New(rand.NewPCG(seed, stream))
}

// killAndResume runs trawl crawl at --max-depth n in dir, SIGKILLs it up to
// kills times (each after 1–12 more page requests reach web), resuming
// after each, until a run finishes. It returns the kills made.
func killAndResume(t *testing.T, web *depthweb.Web, dir string, n, kills int, rng *rand.Rand) int {
	t.Helper()
	flags := []string{"--dir", dir, "--allow-private", "--delay", "0", "--concurrency", "4",
		"--scope", "any", "--max-depth", strconv.Itoa(n), "--retries", "0", "--log-level", "warn", "--progress", "off"}
	made := 0
	for run := 0; ; run++ {
		args := append([]string{"resume"}, flags...)
		if run == 0 || !crawler.Exists(dir) { // a kill during start leaves nothing to resume
			args = append(append([]string{"crawl"}, flags...), web.Seeds()...)
		}
		var kill <-chan struct{}
		if made < kills {
			kill = web.AfterRequests(web.Requests() + 1 + rng.IntN(12))
		}
		p := child(t, args...)
		select {
		case <-p.done:
			if code := torture.ExitCode(p.err); code != 0 {
				t.Fatalf("max-depth %d run %d exited %d:\n%s", n, run, code, p.out.String())
			}
			return made
		case <-kill:
			p.cmd.Process.Signal(syscall.SIGKILL)
			p.wait(t)
			made++
		case <-beforeDeadline(t):
			p.cmd.Process.Kill()
			t.Fatalf("max-depth %d run %d hung:\n%s", n, run, p.out.String())
		}
	}
}
