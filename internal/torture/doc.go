// Package torture drives the real trawl binary through crashes and faults:
// SIGKILL at random moments (startup, robots fetches, mid-crawl, during a
// concurrent export), SIGTERM, a state directory on a filesystem that fills
// up, and corrupt or foreign state directories. After every fault it resumes
// and judges the end state against the local test web (internal/testweb).
//
// The long tests carry the build tag "torture" and run with `make torture`
// (TORTURE_KILLS sets the kill count) or, shortened for CI, `make
// torture-short` (TORTURE_SHORT=1). The untagged helpers here build the
// binary, run it as a child process and read its outputs; they are plain
// functions over a binary path so each test binary builds trawl once.
// cmd/trawl's shorter kill tests use them too (StartCmd over their
// re-executed test binary, NewRand, LeasesPerKill, KillAndResumeDepths),
// so both suites kill, wait for and judge trawl one way.
//
// Invariants the tests hold trawl to:
//   - kill -9 at any moment loses no discovered URL and no stored page; a
//     page is stored and exported exactly once; refetches are bounded by
//     the leases in flight at each kill.
//   - an interrupted export leaves no half-written file under a final name.
//   - SIGTERM exits 143 and the resumed crawl fetches nothing twice.
//   - a full disk stops the crawl with a clear error and loses nothing
//     committed; resume completes it once space returns.
//   - corrupt or foreign state gives a clear error (exit 1 or 2), never a
//     panic, and never modifies the foreign files.
package torture
