package frontiertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/crashchild"
)

// crashStoreEnv names the store a crash child works on; its presence makes
// Crash run the workload instead of the test.
const crashStoreEnv = "FRONTIERTEST_CRASH_STORE"

// OpenAt opens the frontier stored at where: a path in a fresh temporary
// directory that Crash chooses and hands to the child process too. A file
// store opens it as its file; another store may use it as a name (a key
// prefix): it is unique to the test run.
type OpenAt func(where string, cfg Config) (crawler.Frontier, error)

// crashConfig is the workload's setting.
var crashConfig = Config{PerHost: 4}

// Crash is the kill -9 contract. It re-runs the calling test in a child
// process that adds, leases and completes on a fresh store with eight
// workers and reports each durable final outcome on stdout; the child is
// killed with SIGKILL after a random number of reports, 20 times, and after
// each kill the store, reopened, must hold every reported outcome: no lease
// survives, no URL reported final comes back from Next, none is new to Add,
// every queued URL can be leased once, and the counters cover the reports.
// check, if not nil, runs after each round's contract check, on the closed
// store at where, for the implementation's own invariants; durable maps
// each URL reported final to its outcome.
//
// In the child (the environment says so) Crash runs the workload and never
// returns.
func Crash(t *testing.T, open OpenAt, check func(t *testing.T, where string, round int, durable map[string]frontier.Outcome)) {
	if w := os.Getenv(crashStoreEnv); w != "" {
		if err := crashWorkload(w, open); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("the crash test re-execs the test binary")
	}
	where := filepath.Join(t.TempDir(), "store")
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(1, seed))
	t.Logf("seed %d", seed)
	durable := map[string]frontier.Outcome{}
	hosts := map[string]string{}
	const rounds = 20
	for round := range rounds {
		reported := crashRound(t, round, where, rng, durable, hosts)
		if round < 3 {
			t.Logf("round %d: %d outcomes reported", round, reported)
		}
		checkAfterCrash(t, round, where, open, durable, hosts)
		if check != nil {
			check(t, where, round, durable)
		}
	}
	t.Logf("%d URLs reported durable across %d kills", len(durable), rounds)
	if len(durable) < rounds {
		t.Fatalf("only %d durable outcomes: fewer than one a round", len(durable))
	}
}

// crashRound runs the child until it has reported a random number of
// outcomes (plus a random moment more: the kill lands anywhere, in a
// commit or between two), kills it, and records every full line it wrote.
func crashRound(t *testing.T, round int, where string, rng *rand.Rand, durable map[string]frontier.Outcome, hosts map[string]string) int {
	t.Helper()
	cmd := crashchild.Command(runPattern(t.Name()), crashStoreEnv+"="+where)
	lines, err := crashchild.KillAfter(cmd, 1+rng.IntN(40), time.Duration(rng.IntN(3000))*time.Microsecond)
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	for _, line := range lines {
		var o int
		var host, u string
		if _, err := fmt.Sscanf(line, "%d %s %s", &o, &host, &u); err != nil {
			t.Fatalf("round %d: bad child line %q", round, line)
		}
		durable[u] = frontier.Outcome(o)
		hosts[u] = host
	}
	return len(lines)
}

// runPattern is a -test.run pattern matching exactly the test named name
// (subtests included).
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// checkAfterCrash reopens the store and checks the contract's promises
// after a kill, then closes it (its leases go back to queued on the next
// open, by the restart contract).
func checkAfterCrash(t *testing.T, round int, where string, open OpenAt, durable map[string]frontier.Outcome, hosts map[string]string) {
	t.Helper()
	f, err := open(where, crashConfig)
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
	}()
	st := f.Stats()
	if st.Leased != 0 {
		t.Fatalf("round %d: %d leases survived the reopen", round, st.Leased)
	}
	var final [frontier.Release + 1]int64
	for _, o := range durable {
		final[o]++
	}
	if st.Done < final[frontier.Done] || st.Failed < final[frontier.Failed] || st.Skipped < final[frontier.Skipped] {
		t.Fatalf("round %d: stats %+v count fewer final outcomes than were reported durable (done %d, failed %d, skipped %d)",
			round, st, final[frontier.Done], final[frontier.Failed], final[frontier.Skipped])
	}
	// Lease everything queued, freeing each slot so the per-host limit does
	// not stop the sweep, and waiting as told for retries not yet due (the
	// workload's are a few milliseconds out). The clock is the real one: the
	// next round's child takes over the hosts' next-allowed times.
	leased := map[string]bool{}
	for {
		l, ok, wait, err := f.Next(time.Now())
		if err != nil {
			t.Fatalf("round %d: Next: %v", round, err)
		}
		if !ok {
			if wait > 0 {
				time.Sleep(wait)
				continue
			}
			break
		}
		if leased[l.URL] {
			t.Fatalf("round %d: %s leased twice", round, l.URL)
		}
		if o, ok := durable[l.URL]; ok {
			t.Fatalf("round %d: %s was reported final (outcome %d) and is leased again", round, l.URL, o)
		}
		leased[l.URL] = true
		f.ReleaseSlot(l)
	}
	if int64(len(leased)) != st.Queued {
		t.Fatalf("round %d: %d URLs leasable, stats say %d queued", round, len(leased), st.Queued)
	}
	var again []frontier.Item
	for u := range durable {
		again = append(again, frontier.Item{URL: u, Host: hosts[u]})
	}
	if n, err := f.Add(context.Background(), again); err != nil || n != 0 {
		t.Fatalf("round %d: adding the %d URLs reported final: %d new, %v", round, len(again), n, err)
	}
}

// crashWorkload adds, leases and completes until killed, printing one line
// per durable final completion: "<outcome> <host> <url>".
func crashWorkload(where string, open OpenAt) error {
	f, err := open(where, crashConfig)
	if err != nil {
		return err
	}
	var seeds []frontier.Item
	for i := range 40 {
		seeds = append(seeds, item(fmt.Sprintf("h%d", i%8), i, 0))
	}
	return Hammer(f, seeds, 8, func(rng *rand.Rand, l frontier.Lease) (string, error) {
		// "Fetch" for a while, so that leases commit before their
		// completions and kills find persisted leases in flight.
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		c := frontier.Completion{Lease: l, Bytes: 100, Checkpoint: []byte(l.URL),
			Outcome: RandomOutcome(rng, 20, frontier.Failed, frontier.Skipped, frontier.Retry, frontier.Release)}
		if c.Outcome == frontier.Retry {
			c.RetryAt = time.Now().Add(5 * time.Millisecond)
		}
		if c.Outcome == frontier.Done && l.Depth < 12 {
			for k := range 3 {
				// Some children are known already: links back to a parent.
				u := fmt.Sprintf("%s/%d", l.URL, k)
				if k == 2 && l.Parent != "" {
					u = l.Parent
				}
				c.Children = append(c.Children, frontier.Item{URL: u, Host: fmt.Sprintf("h%d", rng.IntN(8)), Depth: l.Depth + 1, Parent: l.URL})
			}
		}
		done := make(chan error, 1)
		f.CompleteAsync(c, func(err error) { done <- err })
		if err := <-done; err != nil {
			return "", err
		}
		if c.Outcome > frontier.Skipped {
			return "", nil // not final: nothing to report
		}
		return fmt.Sprintf("%d %s %s", c.Outcome, l.Host, l.URL), nil
	})
}

// Hammer is a crash child's workload loop. It adds seeds if f holds no work
// yet (the first child; a later one carries on where the kill left the
// store), then workers goroutines lease from f on the clock, polling while
// nothing is leasable, and hand each lease to work with a random source of
// their own. A line work returns (it reports
// a completion that is durable) goes to stdout in one write, so the
// parent (crashchild.KillAfter) reads it whole or not at all; "" reports
// nothing. Hammer returns the first error from Next or work: a child runs
// until it is killed.
func Hammer(f crawler.Frontier, seeds []frontier.Item, workers int, work func(rng *rand.Rand, l frontier.Lease) (line string, err error)) error {
	if s := f.Stats(); s.Queued == 0 && s.Done == 0 {
		if _, err := f.Add(context.Background(), seeds); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				l, ok, wait, err := f.Next(time.Now())
				if err != nil {
					errc <- err
					return
				}
				if !ok {
					time.Sleep(max(wait, time.Millisecond)) // polling for work; nothing is timed
					continue
				}
				line, err := work(rng, l)
				if err != nil {
					errc <- err
					return
				}
				if line != "" {
					mu.Lock()
					fmt.Fprintln(os.Stdout, line) // one write (os.Stdout is unbuffered)
					mu.Unlock()
				}
			}
		}()
	}
	return <-errc
}

// RandomOutcome is a crash workload's pick of an outcome: each of outs with
// a chance of 1 in n, Done otherwise.
func RandomOutcome(rng *rand.Rand, n int, outs ...frontier.Outcome) frontier.Outcome {
	if p := rng.IntN(n); p < len(outs) {
		return outs[p]
	}
	return frontier.Done
}
