package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// Exit codes (SPEC: Command line).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // SIGINT
	exitTerminated  = 143 // SIGTERM
)

// softMemoryLimit is the heap size past which the collector runs
// regardless of GOGC (see main), while the live heap is under half of it.
const softMemoryLimit = 80 << 20

// version is set at build time with -ldflags "-X main.version=...".
var version = crawler.Version

// signalCause is the cancellation cause when a signal stops the crawl.
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string { return "received " + s.sig.String() }

func main() {
	// The crawl's heap is small (tens of MB: bodies are capped and the
	// frontier lives on disk) and its CPU is the bottleneck: collect less
	// often, but never let that grow the heap past a soft limit, where the
	// collector works harder instead. GOGC and GOMEMLIMIT override both.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
		go followLiveHeap(time.Second)
	}
	os.Exit(mainWithSignals(os.Args[1:]))
}

// followLiveHeap raises the soft memory limit to 2.5 times the live heap
// once the live heap passes 40% of softMemoryLimit. A fixed limit below the
// live heap makes the collector run back to back (up to half the CPU, by
// the runtime's own cap): a large crawl (millions of URLs over many hosts)
// has a larger live heap than a small one, and should pay GOGC=100's cost
// for it, not that. It runs for the life of the process.
func followLiveHeap(every time.Duration) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for range time.Tick(every) {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
	}
}

// memoryLimitFor is the soft memory limit for a live heap of live bytes:
// 2.5 times it, so the heap grows by 1.5 times the live heap between
// collections. Twice the live heap (the heap growing by the live heap)
// cost a 1M-page crawl, whose live heap is ~60 MiB and whose bbolt
// commits allocate fast, ~20% of its CPU in the collector; 2.5 times cut
// its CPU per page by a fifth for ~30 MB of peak RSS (docs/BENCHMARKS.md,
// "The collector's headroom at 1M pages").
func memoryLimitFor(live uint64) int64 {
	return max(softMemoryLimit, 5*int64(min(live, 1<<60))/2)
}

// mainWithSignals runs the CLI with SIGINT/SIGTERM wired to a graceful stop
// (first signal) and an immediate exit (second).
func mainWithSignals(args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		first := <-sigs
		fmt.Fprintf(os.Stderr, "%strawl: %s: stopping after in-flight fetches (again to exit at once)\n", lineStart(os.Stderr), first)
		cancel(signalCause{first})
		second := <-sigs
		// The state on disk is consistent at every moment (bbolt
		// transactions, the page store's committed checkpoint), so exiting
		// here loses nothing committed.
		fmt.Fprintf(os.Stderr, "trawl: %s again: exiting now\n", second)
		os.Exit(exitCodeFor(second))
	}()
	return run(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}

// lineStart returns what puts the cursor at the start of an empty line on
// a terminal ("\r" and erase: the ^C echo and the progress line go), and
// nothing elsewhere.
func lineStart(w io.Writer) string {
	if isTerminal(w) {
		return "\r\x1b[K"
	}
	return ""
}

func exitCodeFor(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// interruptCode returns the exit code for a crawl stopped by ctx's signal.
func interruptCode(ctx context.Context) int {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		return exitCodeFor(sc.sig)
	}
	return exitInterrupted
}

const usage = `trawl — a polite, resumable web crawler

Usage:
  trawl crawl  [flags] SEED...      start a new crawl in --dir from seed URLs
  trawl resume [flags]              continue the unfinished crawl in --dir
  trawl recrawl [flags]             fetch every known URL of --dir again (a new pass; conditional requests)
  trawl status [--json]             what the crawl in --dir holds
  trawl export --format F --out P   write crawled pages to files (dir, jsonl, warc)
  trawl version

Examples:
  trawl crawl --dir site https://example.com/
  trawl status --dir site
  trawl export --dir site --format warc --out site-warc

Run 'trawl COMMAND --help' for a command's flags.
`

// run is the whole CLI, callable in-process by tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	env := &cliEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "crawl":
		return runCrawl(ctx, env, args[1:], false)
	case "resume":
		return runCrawl(ctx, env, args[1:], true)
	case "recrawl":
		env.recrawl = true
		return runCrawl(ctx, env, args[1:], true)
	case "status":
		return runStatus(env, args[1:])
	case "export":
		return runExport(ctx, env, args[1:])
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "trawl %s\n", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		msg := fmt.Sprintf("trawl: unknown command %q", args[0])
		if s := closest(args[0], []string{"crawl", "resume", "recrawl", "status", "export", "version", "help"}); s != "" {
			msg += fmt.Sprintf(": did you mean %s?", s)
		}
		fmt.Fprintf(stderr, "%s (trawl --help lists the commands)\n", msg)
		return exitUsage
	}
}

// cliEnv is the process's standard streams, passed instead of globals.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	recrawl        bool // runCrawl in resume mode starts a new pass (trawl recrawl)
}

// errorf prints one error line. The message carries no "trawl:" or
// command prefix of its own: this adds the one prefix.
func (e *cliEnv) errorf(format string, a ...any) {
	fmt.Fprintf(e.stderr, "trawl: "+format+"\n", a...)
}

// noCrawl is the one wording for a --dir that holds no crawl, whichever
// command found it.
func noCrawl(dir string) string {
	return fmt.Sprintf("no crawl in %s (start one with: trawl crawl --dir %s URL)", dir, dir)
}
