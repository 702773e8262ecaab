// Command ceiling is the benchmark's upper bound: the least work that
// fetches and goquery-parses the pages a polite crawler would fetch, and
// nothing else. A fixed pool of workers takes URLs from an in-memory queue,
// fetches each once through the proxy, parses HTML with goquery and queues
// the a[href] links it has not seen.
//
// Invariants:
//   - Each canonical URL (resolved against <base href>, fragment dropped,
//     host lower-cased, :80 dropped) is requested at most once.
//   - A host's pages are requested only after its robots.txt has answered
//     (5xx answers are retried a few times; then the host counts as
//     disallowed), and only if trawl's robots rules allow them for "trawl",
//     so the ceiling fetches the same set as a correct crawler.
//   - rel=nofollow links, <meta name=robots content=nofollow> pages and
//     X-Robots-Tag: nofollow responses are not followed.
//   - No frontier, no storage, no per-host limit or delay: this is the most
//     this machine can do for this work, not a polite crawler.
package main
