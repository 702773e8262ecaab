// Command trawl is a polite, resumable web crawler: `trawl crawl`,
// `resume`, `status`, `export` and `version` (README.md, SPEC.md).
//
// It is a thin layer over the library: it parses flags and the YAML file
// into one crawler.Config, wires signals (the first SIGINT/SIGTERM stops
// gracefully, a second exits at once), progress, metrics and exit codes,
// and calls package crawler for crawls and package storage/export for
// exports. It imports nothing else of trawl: the crawl directory's layout,
// lock and readers belong to crawler. main only calls run(ctx, args, stdin,
// stdout, stderr), so every command is tested in-process.
package main
