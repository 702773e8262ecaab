package frontier_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler/frontiertest"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/crashchild"
)

const (
	depthCrashChildEnv = "TRAWL_FRONTIER_DEPTH_CRASH_CHILD"
	depthCrashMax      = 8 // the workload's MaxDepth
)

func depthCrashOpts() frontier.Options {
	return frontier.Options{MaxBatchDelay: time.Millisecond, PerHost: 4, ShortestDepth: true, MaxDepth: depthCrashMax}
}

// TestDepthCrashChild is the workload run by TestDepthCrashKill9 in a
// child process.
func TestDepthCrashChild(t *testing.T) {
	path := os.Getenv(depthCrashChildEnv)
	if path == "" {
		t.Skip("helper process for TestDepthCrashKill9")
	}
	if err := depthCrashWorkload(path); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// depthSeeds is how many trees the workload crawls; depthSeed(i) is the
// root of tree i (of host h<i%4>).
const depthSeeds = 16

func depthSeed(i int) string { return fmt.Sprintf("h%d/s%d", i%4, i) }

// depthHost is the host of a workload URL: what comes before its first slash.
func depthHost(u string) string { return u[:strings.IndexByte(u, '/')] }

// depthPageLinks are the links of the "page" u: always the same two, so a
// re-extraction finds what the fetch found.
func depthPageLinks(u string) []string { return []string{u + "/0", u + "/1"} }

// depthCrashWorkload leases and completes forever with shortest depths on:
// a Done page adds its two links at depth+1 (within MaxDepth) and one
// random URL of the same tree at a random small depth (often known, so
// often a lowering); a Reparse lease adds the page's links again. It prints
// one line per durable completion.
func depthCrashWorkload(path string) error {
	f, err := frontier.Open(path, depthCrashOpts())
	if err != nil {
		return err
	}
	seeds := make([]frontier.Item, depthSeeds)
	for i := range seeds {
		seeds[i] = frontier.Item{URL: depthSeed(i), Host: depthHost(depthSeed(i)), Depth: 3}
	}
	ctx := context.Background()
	return frontiertest.Hammer(f, seeds, 8, func(rng *rand.Rand, l frontier.Lease) (string, error) {
		c := frontier.Completion{Lease: l, Outcome: frontier.Done, Locator: []byte(l.URL)}
		if !l.Reparse {
			c.Outcome = frontiertest.RandomOutcome(rng, 10, frontier.Failed, frontier.Retry, frontier.Release)
		}
		if c.Outcome == frontier.Retry {
			c.RetryAt = time.Now().Add(2 * time.Millisecond)
		}
		if c.Outcome == frontier.Done && l.Depth+1 <= depthCrashMax {
			for _, u := range depthPageLinks(l.URL) {
				c.Children = append(c.Children, frontier.Item{URL: u, Host: depthHost(u), Depth: l.Depth + 1, Parent: l.URL})
			}
		}
		if c.Outcome == frontier.Done && !l.Reparse {
			// A shortcut: a node of some seed's tree, at a small depth.
			u := depthSeed(rng.IntN(depthSeeds))
			for range rng.IntN(4) {
				u += fmt.Sprintf("/%d", rng.IntN(2))
			}
			c.Children = append(c.Children, frontier.Item{URL: u, Host: depthHost(u), Depth: 1 + rng.IntN(4), Parent: "shortcut"})
		}
		if err := f.Complete(ctx, c); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d %s", c.Outcome, l.URL), nil
	})
}

// TestDepthCrashKill9 SIGKILLs a frontier keeping shortest depths, after a
// random number of durable completions, 12 times, and after each kill
// checks on reopen: the counters and indexes agree (Recount), every
// seen-set payload holds its record's seq and depth (rebuilt from the seen
// and lowered logs), and every fetched page within MaxDepth whose
// re-extraction is not pending has its links at no more than its depth
// + 1: no lowering, re-extraction or cascade was lost (CheckDepths).
func TestDepthCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-execs the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(2, seed))
	lines := 0
	for round := range 12 {
		cmd := crashchild.Command("^TestDepthCrashChild$", depthCrashChildEnv+"="+path)
		done, err := crashchild.KillAfter(cmd, 5+rng.IntN(60), 0)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		lines += len(done)
		checkDepthAfterCrash(t, round, path)
	}
	t.Logf("%d completions across 12 kills", lines)
}

func checkDepthAfterCrash(t *testing.T, round int, path string) {
	t.Helper()
	opts := depthCrashOpts()
	opts.NoSync = true
	f, err := frontier.Open(path, opts)
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer f.Close()
	if _, err := f.Recount(); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if err := frontier.CheckDepths(f, depthCrashMax, depthPageLinks); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
}
