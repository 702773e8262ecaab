// Package testweb is trawl's local synthetic multi-host test web and its
// judge, for end-to-end tests, the benchmark driver and the demo.
//
// One loopback listener serves hosts h0.<Name>.test … h<N-1>.<Name>.test,
// both as an origin (Host header) and as a plain-HTTP forward proxy
// (absolute-URI requests); any other host answers 502. The site graph and
// every body derive from Config.Seed: each host has a root, a chain
// /p/0 → /p/1 → … with random fan-out (some cross-host), and feature
// sections (robots variants, <base>, nofollow, malformed markup, redirects,
// spellings, transient errors, 404/410, binaries, a 50 MB page, a calendar
// trap, a trickling page) linked from hub pages /p/(slot mod PagesPerHost).
//
// Invariants:
//   - The site is generated once in Start and never changes; page bodies are
//     a per-page prefix plus a slice of one shared filler pool, so serving is
//     a few writes and no formatting.
//   - Expected is a BFS over the generated graph applying the rules the
//     server serves (robots.txt for "trawl", nofollow, redirects, scope
//     "<Name>.test", no trap), so every expected URL is reachable from
//     Seeds through followable links.
//   - The judge keys requests by the same canonical form as Expected (lower
//     case host, no :80, dot segments resolved, no fragment, utm_*/gclid/fbclid
//     dropped). Per-host in-flight spans the whole handler (latency
//     included); gaps are between request starts, a start being the
//     kernel's receive time of the request's bytes (arrival.go), not when
//     its handler ran. A page request is a robots violation if robots.txt
//     disallows it for "trawl" or if no robots.txt request to that host has
//     yet had a non-5xx answer.
//   - First-request state (transient errors, the robots.txt that fails once)
//     lives in the judge, so Reset makes a fresh run see them again.
package testweb
