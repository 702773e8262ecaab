package frontier

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const crashChildEnv = "TRAWL_FRONTIER_CRASH_CHILD"

// TestCrashChild is the workload run by TestCrashKill9 in a child process.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKill9")
	}
	if err := crashWorkload(path); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// crashWorkload adds, leases and completes forever, printing one line per
// durable final completion: "<state> <url>".
func crashWorkload(path string) error {
	f, err := Open(path, Options{MaxBatchDelay: time.Millisecond, PerHost: 4})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if s := f.Stats(); s.Queued == 0 && s.Done == 0 {
		var seeds []Item
		for i := range 40 {
			seeds = append(seeds, item(fmt.Sprintf("h%d", i%8), i, 0))
		}
		if _, err := f.Add(ctx, seeds); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				l, ok, _, _ := f.Next(time.Now())
				if !ok {
					time.Sleep(time.Millisecond)
					continue
				}
				// "Fetch" for a while, so that leases commit before their
				// completions and kills find persisted leases in flight.
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				c := Completion{Lease: l, Outcome: Done, Bytes: 100, Checkpoint: []byte(l.URL)}
				switch p := rng.IntN(20); {
				case p == 0:
					c.Outcome = Failed
				case p == 1:
					c.Outcome = Skipped
				case p == 2:
					c.Outcome, c.RetryAt = Retry, time.Now().Add(5*time.Millisecond)
				case p == 3:
					c.Outcome = Release
				}
				if c.Outcome == Done && l.Depth < 12 {
					for k := range 3 {
						// Some children are seen already: links back to a parent.
						u := fmt.Sprintf("%s/%d", l.URL, k)
						if k == 2 && l.Parent != "" {
							u = l.Parent
						}
						c.Children = append(c.Children, Item{URL: u, Host: fmt.Sprintf("h%d", rng.IntN(8)), Depth: l.Depth + 1, Parent: l.URL})
					}
				}
				if err := f.Complete(ctx, c); err != nil {
					errc <- err
					return
				}
				if c.Outcome <= Skipped {
					mu.Lock()
					fmt.Fprintf(out, "%d %s\n", c.Outcome, l.URL)
					out.Flush()
					mu.Unlock()
				}
			}
		}()
	}
	return <-errc
}

func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-execs the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	durable := map[string]byte{} // url -> final state reported durable
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child did not die by SIGKILL: %v\nstderr: %s", round, err, stderr.String())
		}
		lines := strings.Split(stdout.String(), "\n")
		for _, ln := range lines[:len(lines)-1] { // the last line may be torn
			var st byte
			var u string
			if _, err := fmt.Sscanf(ln, "%d %s", &st, &u); err != nil {
				t.Fatalf("round %d: bad child line %q", round, ln)
			}
			durable[u] = st + stDone - byte(Done)
		}
		checkAfterCrash(t, round, path, durable)
	}
	t.Logf("%d URLs reported durable across 20 kills", len(durable))
	if len(durable) < 50 {
		t.Fatalf("only %d durable completions: workload too slow to test anything", len(durable))
	}
}

func checkAfterCrash(t *testing.T, round int, path string, durable map[string]byte) {
	t.Helper()
	f, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer f.Close()
	re, err := f.Recount() // also checks queue and lease indexes against URL states
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if s := f.Stats(); s != re {
		t.Fatalf("round %d: Stats %+v != Recount %+v", round, s, re)
	}
	if round < 3 {
		t.Logf("round %d: %+v", round, re)
	}
	if re.Leased != 0 {
		t.Fatalf("round %d: %d leases survived reopen", round, re.Leased)
	}
	err = f.db.View(func(tx *bolt.Tx) error {
		states := map[string]byte{}
		err := tx.Bucket(bktRecords).ForEach(func(k, v []byte) error {
			r, err := decodeURLRec(0, v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			states[r.url] = r.state
			return nil
		})
		if err != nil {
			return err
		}
		for u, st := range durable {
			got, ok := states[u]
			if !ok {
				return fmt.Errorf("durable %s: no record", u)
			}
			if got != st {
				return fmt.Errorf("durable %s: state %d, want %d", u, got, st)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
}
