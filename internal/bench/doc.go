// Command bench is trawl's crawl benchmark (`make bench`). In one run on one
// machine it starts the local test web in this process and crawls it with
// three child processes in turn: the trawl binary (built here with go
// build), a typical colly crawler (./collycrawl) and a minimal ceiling
// crawler (./ceiling). Each child is measured from outside — wall time,
// user+sys CPU and peak RSS from its rusage — and judged by the test web's
// own records (coverage of Expected, duplicates, robots violations,
// per-host in-flight), which are reset before each run.
//
// Invariants:
//   - Every figure printed was measured in this run; ratios compare runs of
//     the same profile against the same web.
//   - "pages" are the expected 2xx HTML URLs (ExpectedPages' set: not
//     /files/ or /img/) that the judge answered 2xx; pages/s divides them by
//     the child's wall time, which includes process start and exit.
//   - The web listens on 127.0.0.1 only and every child reaches the
//     hN.<name>.test hosts through its proxy.
package main
