package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/storage/export"
)

// defaultDir is where a crawl's state lives when no --dir is given.
const defaultDir = "./trawl-data"

// exportRun is one `trawl export` invocation as its flags describe it.
type exportRun struct {
	dirs             []string // --dir, in the order given: a crawl, or the workers of a shared crawl
	format, out      string
	include, exclude []string
	ctypes           []string
	statuses         []int
	pass             int
	warcMax          int64
	rewrite, noBody  bool
	decisions, force bool
	opts             export.Options
	running          []crawler.Stats // the status of each dir as its store was opened
}

// runExport writes the committed pages of the crawl in --dir (or of the
// workers of a shared crawl, one --dir each) to files. It reads through
// each page store's published manifest, never the frontier, so it works
// on a running or interrupted crawl without disturbing it.
func runExport(ctx context.Context, env *cliEnv, args []string) int {
	e, code := parseExport(env, args)
	if e == nil {
		return code
	}
	if code := e.checkDirs(env); code != exitOK {
		return code
	}
	rs, err := crawler.OpenAllPages(e.dirs)
	if err != nil {
		env.errorf("%v", err)
		if errors.Is(err, crawler.ErrNoCrawl) {
			return exitUsage
		}
		return exitFailure
	}
	start := time.Now()
	sum, err := export.RunStores(ctx, rs, e.opts)
	if errors.Is(err, export.ErrOutputExists) {
		what := "exists"
		if e.opts.Format != export.FormatJSONL {
			what = "holds files"
		}
		env.errorf("%s already %s; add --force to replace it, or choose another --out", e.out, what)
		return exitUsage
	}
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	e.report(env, sum, time.Since(start))
	return exitOK
}

// exportFlags defines export's flags over e.
func exportFlags(e *exportRun) *cmdFlags {
	fs := newCmdFlags("export", "trawl export [flags] --format FORMAT --out PATH",
		"Write the crawled pages of the crawl in --dir to files. Works while the crawl\nruns (a snapshot of what it has committed) and after it stopped. The workers\nof a shared crawl (--frontier) each keep their pages in their own --dir: give\nevery worker's --dir to export the whole crawl, each page once.")
	fs.Var(stringsFlag{&e.dirs}, "dir", "crawl state `DIR` (default "+defaultDir+"); repeatable: the --dir of every worker of a shared crawl, or several crawls, written as one export with each URL once (its latest fetch)")
	fs.StringVar(&e.format, "format", "", "`FORMAT`: dir (a browsable mirror tree), jsonl (one JSON object a page) or warc (WARC 1.1, gzip)")
	fs.StringVar(&e.out, "out", "", "output `PATH`: a directory for dir and warc, a file for jsonl (- = stdout)")
	fs.BoolVar(&e.force, "force", false, "replace an existing output file, or write into a directory that holds files")
	fs.Var(stringsFlag{&e.include}, "include", "only URLs matching `REGEX` (repeatable)")
	fs.Var(stringsFlag{&e.exclude}, "exclude", "skip URLs matching `REGEX` (repeatable)")
	fs.Var(intsFlag{&e.statuses}, "status", "only these HTTP `CODES` (repeatable or comma-separated: 200,301)")
	fs.Var(stringsFlag{&e.ctypes}, "content-type", "only these media `TYPES`, prefix match (repeatable: text/html)")
	fs.IntVar(&e.pass, "pass", -1, "only recrawl pass `N` (0 = the first crawl); default: the latest version of each page")
	fs.BoolVar(&e.rewrite, "rewrite-links", false, "dir: make links between saved pages relative, so the mirror browses offline")
	fs.BoolVar(&e.noBody, "no-body", false, "jsonl: leave bodies out (URLs, statuses, headers, digests only)")
	fs.BoolVar(&e.decisions, "include-decisions", false, "jsonl: also write the URLs that got no response (robots-blocked, refused, failed) as {url, depth, reason, decided_at}")
	e.warcMax = int64(export.DefaultWARCMaxSize)
	fs.Var(sizeFlag{&e.warcMax}, "warc-max-size", "warc: start a new file past `SIZE` (e.g. 1GiB, 500MB)")
	fs.group("What to write", "format", "out", "force", "dir")
	fs.group("Which pages", "include", "exclude", "status", "content-type", "pass")
	fs.group("Format options", "rewrite-links", "no-body", "include-decisions", "warc-max-size")
	fs.examples = []string{
		"trawl export --dir site --format jsonl --out pages.jsonl",
		"trawl export --dir site --format jsonl --no-body --out - | jq -r .url",
		"trawl export --dir site --format dir --rewrite-links --out mirror",
		"trawl export --dir site --format warc --out site-warc",
		"trawl export --dir site --format jsonl --status 200 --content-type text/html --out html.jsonl",
		"trawl export --dir ./w1 --dir ./w2 --dir ./w3 --format jsonl --out pages.jsonl",
	}
	return fs
}

// parseExport reads the flags and turns them into export options. A nil
// run comes with the exit code.
func parseExport(env *cliEnv, args []string) (*exportRun, int) {
	e := &exportRun{}
	fs := exportFlags(e)
	pos, err := fs.parse(args, env.stdout)
	if err != nil {
		if errors.Is(err, errHelpShown) {
			return nil, exitOK
		}
		env.errorf("%v", err)
		return nil, exitUsage
	}
	if len(pos) > 0 {
		env.errorf("export takes no arguments, got %q (the output goes to --out PATH)", pos[0])
		return nil, exitUsage
	}
	if len(e.dirs) == 0 {
		e.dirs = []string{defaultDir}
	}
	if err := e.options(env); err != nil {
		env.errorf("%v", err)
		return nil, exitUsage
	}
	return e, exitOK
}

// options builds e.opts from the flags and validates them.
func (e *exportRun) options(env *cliEnv) error {
	e.opts = export.Options{
		Format:           export.Format(e.format),
		Out:              e.out,
		Stdout:           env.stdout,
		Status:           e.statuses,
		ContentType:      e.ctypes,
		RewriteLinks:     e.rewrite,
		WARCMaxSize:      e.warcMax,
		NoBody:           e.noBody,
		IncludeDecisions: e.decisions,
		Force:            e.force,
		Software:         "trawl/" + version,
	}
	if e.pass < -1 {
		return fmt.Errorf("--pass %d: want a pass number (0 = the first crawl, 1 = the first recrawl...)", e.pass)
	} else if e.pass >= 0 {
		e.opts.Pass = &e.pass
	}
	for _, list := range []struct {
		src []string
		dst *[]*regexp.Regexp
	}{{e.include, &e.opts.Include}, {e.exclude, &e.opts.Exclude}} {
		for _, s := range list.src {
			re, err := regexp.Compile(s)
			if err != nil {
				return fmt.Errorf("bad regular expression %q: %v", s, err)
			}
			*list.dst = append(*list.dst, re)
		}
	}
	return e.opts.Validate()
}

// report prints what the export wrote, notes the crawls that still run
// (the export is a snapshot of theirs) and counts what it skipped.
func (e *exportRun) report(env *cliEnv, sum export.Summary, took time.Duration) {
	msgW := env.stdout
	if e.out == "-" {
		msgW = env.stderr
	}
	fmt.Fprintf(msgW, "trawl: exported %d of %d records (%s) as %s to %s in %s\n",
		sum.Written, sum.Records, humanBytes(sum.Bytes), e.format, e.out, took.Round(time.Millisecond))
	for i, st := range e.running {
		if st.State != crawler.StateRunning {
			continue
		}
		if len(e.dirs) == 1 {
			fmt.Fprintf(msgW, "  the crawl in %s is still running (process %d): this is a snapshot of the %d records it had committed; export again later for the rest\n", e.dirs[i], st.PID, sum.Records)
		} else {
			fmt.Fprintf(msgW, "  the crawl in %s is still running (process %d): this is a snapshot of what it had committed; export again later for the rest\n", e.dirs[i], st.PID)
		}
	}
	keys := make([]string, 0, len(sum.Skipped))
	for k := range sum.Skipped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(msgW, "  skipped %d: %s\n", sum.Skipped[k], k)
	}
}
