// Package frontiertest is the contract every URL frontier keeps, written as
// tests that run against any implementation given a constructor: the
// embedded bbolt frontier (package frontier) and any other (a shared one on
// a network store) must pass the same cases. It is imported only by tests.
//
// It lives under crawler because the contract is crawler.Frontier, the
// interface the engine calls, and the cases open implementations as that
// interface: one definition of the method set, checked by the compiler
// wherever an implementation is handed to Run or Crash. Imports still flow
// one way (frontiertest → crawler → frontier); the implementations' tests
// that run the suite are external test packages (frontier_test,
// redisfrontier_test), which may import crawler.
//
// The cases are the implementation-neutral part of what the crawler relies
// on: lease and completion with each outcome, retries that wait and come
// first, the per-host limit and delays, Lookahead and Begin, dedup in Add
// and among a completion's children, depth-then-FIFO order, shortest depth
// (lowering, re-extraction; Config.MaxDepth), tags, robots kept under RobotsHost, ReleaseSlot,
// checkpoint and metadata, Drained, restart (leases of a closed frontier go
// back to queued, their completions are refused), durability across a
// reopen, and errors after Close. Crash adds the kill -9 case: a child
// process hammers the frontier and is killed with SIGKILL; everything it was
// told was durable must be there after a reopen.
//
// To run the contract against an implementation, give Run an Opener: it
// makes a fresh, empty store for one case and returns the function that
// opens a Frontier on it. A case may Close the frontier and open the store
// again to check what survives. Config carries the settings a case needs.
//
//	func TestContract(t *testing.T) {
//		frontiertest.Run(t, func(t *testing.T) frontiertest.Open {
//			path := filepath.Join(t.TempDir(), "frontier.db")
//			return func(cfg frontiertest.Config) (crawler.Frontier, error) {
//				return frontier.Open(path, frontier.Options{PerHost: cfg.PerHost,
//					Delay: cfg.Delay, Lookahead: cfg.Lookahead, NoSync: true})
//			}
//		})
//	}
//
// For the crash case call Crash from a test of its own with a function
// that opens a store by name (a path in a fresh temporary directory, which
// a file store opens as its file and another store may use as a key
// prefix). The child process re-runs that same test with the name in its
// environment, and Crash runs the workload there instead of the checks:
//
//	func TestCrashKill9(t *testing.T) {
//		frontiertest.Crash(t, func(where string, cfg frontiertest.Config) (crawler.Frontier, error) {
//			return frontier.Open(where, frontier.Options{PerHost: cfg.PerHost})
//		}, nil)
//	}
//
// The redis frontier's tests, for one, call Run and Crash with openers of
// their own: a fresh key prefix per store. Hammer (with RandomOutcome) is
// the crash child's workload loop, exported for an implementation's own
// crash tests (the bbolt frontier's depth crash test drives its workload
// with it).
//
// Times passed to Next are fixed (a base time plus offsets), never the
// clock, except in the concurrent and crash cases, which take time.Now.
// Wait figures are exact: an implementation reports the time until the
// earliest host or retry is due. One allowance: a Next that answers
// ok=false with a wait of at most a millisecond is asked again (with the
// same now): the bbolt frontier says so while a refill awaits its writer.
package frontiertest
