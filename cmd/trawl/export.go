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

// runExport writes the committed pages of the crawl in --dir to files. It
// reads through the page store's published manifest, never the frontier, so
// it works on a running or interrupted crawl without disturbing it.
func runExport(ctx context.Context, env *cliEnv, args []string) int {
	fs := newCmdFlags("export", "trawl export [flags] --format FORMAT --out PATH",
		"Write the crawled pages of the crawl in --dir to files. Works while the crawl\nruns (a snapshot of what it has committed) and after it stopped.")
	dir := fs.String("dir", "./trawl-data", "crawl state `DIR`")
	format := fs.String("format", "", "`FORMAT`: dir (a browsable mirror tree), jsonl (one JSON object a page) or warc (WARC 1.1, gzip)")
	out := fs.String("out", "", "output `PATH`: a directory for dir and warc, a file for jsonl (- = stdout)")
	force := fs.Bool("force", false, "replace an existing output file, or write into a directory that holds files")
	var include, exclude, ctypes []string
	var statuses []int
	fs.Var(stringsFlag{&include}, "include", "only URLs matching `REGEX` (repeatable)")
	fs.Var(stringsFlag{&exclude}, "exclude", "skip URLs matching `REGEX` (repeatable)")
	fs.Var(intsFlag{&statuses}, "status", "only these HTTP `CODES` (repeatable or comma-separated: 200,301)")
	fs.Var(stringsFlag{&ctypes}, "content-type", "only these media `TYPES`, prefix match (repeatable: text/html)")
	pass := fs.Int("pass", -1, "only recrawl pass `N` (0 = the first crawl); default: the latest version of each page")
	rewrite := fs.Bool("rewrite-links", false, "dir: make links between saved pages relative, so the mirror browses offline")
	noBody := fs.Bool("no-body", false, "jsonl: leave bodies out (URLs, statuses, headers, digests only)")
	decisions := fs.Bool("include-decisions", false, "jsonl: also write the URLs that got no response (robots-blocked, refused, failed) as {url, depth, reason, decided_at}")
	warcMax := int64(export.DefaultWARCMaxSize)
	fs.Var(sizeFlag{&warcMax}, "warc-max-size", "warc: start a new file past `SIZE` (e.g. 1GiB, 500MB)")
	fs.group("What to write", "format", "out", "force", "dir")
	fs.group("Which pages", "include", "exclude", "status", "content-type", "pass")
	fs.group("Format options", "rewrite-links", "no-body", "include-decisions", "warc-max-size")
	fs.examples = []string{
		"trawl export --dir site --format jsonl --out pages.jsonl",
		"trawl export --dir site --format jsonl --no-body --out - | jq -r .url",
		"trawl export --dir site --format dir --rewrite-links --out mirror",
		"trawl export --dir site --format warc --out site-warc",
		"trawl export --dir site --format jsonl --status 200 --content-type text/html --out html.jsonl",
	}
	pos, err := fs.parse(args, env.stdout)
	if err != nil {
		if errors.Is(err, errHelpShown) {
			return exitOK
		}
		env.errorf("%v", err)
		return exitUsage
	}
	if len(pos) > 0 {
		env.errorf("export takes no arguments, got %q (the output goes to --out PATH)", pos[0])
		return exitUsage
	}
	opts := export.Options{
		Format:           export.Format(*format),
		Out:              *out,
		Stdout:           env.stdout,
		Status:           statuses,
		ContentType:      ctypes,
		RewriteLinks:     *rewrite,
		WARCMaxSize:      warcMax,
		NoBody:           *noBody,
		IncludeDecisions: *decisions,
		Force:            *force,
		Software:         "trawl/" + version,
	}
	if *pass < -1 {
		env.errorf("--pass %d: want a pass number (0 = the first crawl, 1 = the first recrawl...)", *pass)
		return exitUsage
	} else if *pass >= 0 {
		opts.Pass = pass
	}
	for _, list := range []struct {
		src []string
		dst *[]*regexp.Regexp
	}{{include, &opts.Include}, {exclude, &opts.Exclude}} {
		for _, s := range list.src {
			re, err := regexp.Compile(s)
			if err != nil {
				env.errorf("bad regular expression %q: %v", s, err)
				return exitUsage
			}
			*list.dst = append(*list.dst, re)
		}
	}
	if err := opts.Validate(); err != nil {
		env.errorf("%v", err)
		return exitUsage
	}
	if !crawler.Exists(*dir) {
		env.errorf("%s", noCrawl(*dir))
		return exitUsage
	}
	st, _ := crawler.ReadStatus(*dir)
	r, err := crawler.OpenPages(*dir)
	if err != nil {
		env.errorf("%v", err)
		if errors.Is(err, crawler.ErrNoCrawl) {
			return exitUsage
		}
		return exitFailure
	}
	start := time.Now()
	sum, err := export.Run(ctx, r, opts)
	if errors.Is(err, export.ErrOutputExists) {
		what := "exists"
		if opts.Format != export.FormatJSONL {
			what = "holds files"
		}
		env.errorf("%s already %s; add --force to replace it, or choose another --out", *out, what)
		return exitUsage
	}
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	msgW := env.stdout
	if *out == "-" {
		msgW = env.stderr
	}
	fmt.Fprintf(msgW, "trawl: exported %d of %d records (%s) as %s to %s in %s\n",
		sum.Written, sum.Records, humanBytes(sum.Bytes), *format, *out, time.Since(start).Round(time.Millisecond))
	if st.State == crawler.StateRunning {
		fmt.Fprintf(msgW, "  the crawl in %s is still running (process %d): this is a snapshot of the %d records it had committed; export again later for the rest\n", *dir, st.PID, sum.Records)
	}
	if len(sum.Skipped) > 0 {
		keys := make([]string, 0, len(sum.Skipped))
		for k := range sum.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(msgW, "  skipped %d: %s\n", sum.Skipped[k], k)
		}
	}
	return exitOK
}
