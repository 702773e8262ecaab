package frontier

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trawl-crawler/trawl/internal/crashchild"
)

const (
	depthCrashChildEnv = "TRAWL_FRONTIER_DEPTH_CRASH_CHILD"
	depthCrashMax      = 8 // the workload's MaxDepth
)

func depthCrashOpts() Options {
	return Options{MaxBatchDelay: time.Millisecond, PerHost: 4, ShortestDepth: true, MaxDepth: depthCrashMax}
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

// depthPageLinks are the links of the "page" u: always the same two, so a
// re-extraction finds what the fetch found.
func depthPageLinks(u string) []string { return []string{u + "/0", u + "/1"} }

// depthCrashWorkload leases and completes forever with shortest depths on:
// a Done page adds its two links at depth+1 (within MaxDepth) and one
// random URL of the same tree at a random small depth (often known, so
// often a lowering); a Reparse lease adds the page's links again. It prints
// one line per durable completion.
func depthCrashWorkload(path string) error {
	f, err := Open(path, depthCrashOpts())
	if err != nil {
		return err
	}
	ctx := context.Background()
	if s := f.Stats(); s.Queued == 0 && s.Done == 0 {
		var seeds []Item
		for i := range 16 {
			seeds = append(seeds, Item{URL: fmt.Sprintf("h%d/s%d", i%4, i), Host: fmt.Sprintf("h%d", i%4), Depth: 3})
		}
		if _, err := f.Add(ctx, seeds); err != nil {
			return err
		}
	}
	out := make(chan string, 64)
	go func() {
		w := bufio.NewWriter(os.Stdout)
		for ln := range out {
			fmt.Fprintln(w, ln)
			w.Flush()
		}
	}()
	errc := make(chan error, 8)
	for w := range 8 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				l, ok, wait, err := f.Next(time.Now())
				if err != nil {
					errc <- err
					return
				}
				if !ok {
					if wait <= 0 || wait > time.Millisecond {
						wait = time.Millisecond
					}
					time.Sleep(wait) // a poll in the child workload, not a test synchronisation
					continue
				}
				c := Completion{Lease: l, Outcome: Done, Locator: []byte(l.URL)}
				if !l.Reparse {
					switch p := rng.IntN(10); {
					case p == 0:
						c.Outcome = Failed
					case p == 1:
						c.Outcome, c.RetryAt = Retry, time.Now().Add(2*time.Millisecond)
					case p == 2:
						c.Outcome = Release
					}
				}
				host := func(u string) string { return u[:strings.IndexByte(u, '/')] }
				if c.Outcome == Done && l.Depth+1 <= depthCrashMax {
					for _, u := range depthPageLinks(l.URL) {
						c.Children = append(c.Children, Item{URL: u, Host: host(u), Depth: l.Depth + 1, Parent: l.URL})
					}
				}
				if c.Outcome == Done && !l.Reparse {
					// A shortcut: a node of some seed's tree, at a small depth.
					i := rng.IntN(16)
					u := fmt.Sprintf("h%d/s%d", i%4, i)
					for range rng.IntN(4) {
						u += fmt.Sprintf("/%d", rng.IntN(2))
					}
					c.Children = append(c.Children, Item{URL: u, Host: host(u), Depth: 1 + rng.IntN(4), Parent: "shortcut"})
				}
				if err := f.Complete(ctx, c); err != nil {
					errc <- err
					return
				}
				out <- fmt.Sprintf("%d %s", c.Outcome, l.URL)
			}
		}()
	}
	return <-errc
}

// TestDepthCrashKill9 SIGKILLs a frontier keeping shortest depths, after a
// random number of durable completions, 12 times, and after each kill
// checks on reopen: the counters and indexes agree (Recount), every
// seen-set payload holds its record's seq and depth (rebuilt from the seen
// and lowered logs), and every fetched page within MaxDepth whose
// re-extraction is not pending has its links at no more than its depth
// + 1: no lowering, re-extraction or cascade was lost.
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
	f, err := Open(path, func() Options { o := depthCrashOpts(); o.NoSync = true; return o }())
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer f.Close()
	if _, err := f.Recount(); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	err = f.db.View(func(tx *bolt.Tx) error {
		recs := map[string]urlRec{}
		err := forEachRecord(tx, func(r urlRec) error {
			recs[r.url] = r
			ref, ok := f.seen.Lookup(fingerprint(r.url))
			if !ok {
				return fmt.Errorf("%s not in the seen-set", r.url)
			}
			if seq, d := seqDepth(ref); seq != r.seq || d != min(r.depth, depthSat) {
				return fmt.Errorf("%s: payload seq %d depth %d, record seq %d depth %d", r.url, seq, d, r.seq, r.depth)
			}
			return nil
		})
		if err != nil {
			return err
		}
		reparse := tx.Bucket(bktReparse)
		for u, r := range recs {
			k := makeSeqKey(r.seq)
			if r.state != stDone || r.depth+1 > depthCrashMax || has(reparse.Cursor(), k[:]) {
				continue
			}
			for _, c := range depthPageLinks(u) {
				cr, ok := recs[c]
				if !ok {
					return fmt.Errorf("done %s (depth %d): link %s never added", u, r.depth, c)
				}
				if cr.depth > r.depth+1 {
					return fmt.Errorf("done %s (depth %d): link %s at depth %d", u, r.depth, c, cr.depth)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
}
