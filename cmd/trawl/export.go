package main

import (
	"context"
	"errors"
	"flag"
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
	fs := flag.NewFlagSet("trawl export", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	dir := fs.String("dir", "./trawl-data", "crawl state directory")
	format := fs.String("format", "", "dir|jsonl|warc")
	out := fs.String("out", "", "output directory (dir, warc) or file (jsonl; - = stdout)")
	var include, exclude, ctypes []string
	var statuses []int
	fs.Var(stringsFlag{&include}, "include", "only URLs matching REGEX (repeatable)")
	fs.Var(stringsFlag{&exclude}, "exclude", "skip URLs matching REGEX (repeatable)")
	fs.Var(intsFlag{&statuses}, "status", "only these HTTP statuses (repeatable or comma-separated)")
	fs.Var(stringsFlag{&ctypes}, "content-type", "only these media types, prefix match (repeatable)")
	rewrite := fs.Bool("rewrite-links", false, "dir: rewrite links between saved pages to relative paths")
	warcMax := fs.Int64("warc-max-size", 1<<30, "warc: rotate files at this size in bytes")
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		if len(pos) > 0 {
			env.errorf("export: unexpected argument %q", pos[0])
		}
		return exitUsage
	}
	opts := export.Options{
		Format:       export.Format(*format),
		Out:          *out,
		Stdout:       env.stdout,
		Status:       statuses,
		ContentType:  ctypes,
		RewriteLinks: *rewrite,
		WARCMaxSize:  *warcMax,
		Software:     "trawl/" + version,
	}
	for _, list := range []struct {
		src []string
		dst *[]*regexp.Regexp
	}{{include, &opts.Include}, {exclude, &opts.Exclude}} {
		for _, s := range list.src {
			re, err := regexp.Compile(s)
			if err != nil {
				env.errorf("export: bad regular expression %q: %v", s, err)
				return exitUsage
			}
			*list.dst = append(*list.dst, re)
		}
	}
	if err := opts.Validate(); err != nil {
		env.errorf("export: %v", err)
		return exitUsage
	}
	r, err := crawler.OpenPages(*dir)
	if err != nil {
		env.errorf("export: %v", err)
		if errors.Is(err, crawler.ErrNoCrawl) {
			return exitUsage
		}
		return exitFailure
	}
	start := time.Now()
	sum, err := export.Run(ctx, r, opts)
	if err != nil {
		env.errorf("export: %v", err)
		return exitFailure
	}
	msgW := env.stdout
	if *out == "-" {
		msgW = env.stderr
	}
	fmt.Fprintf(msgW, "trawl: exported %d of %d records (%s) as %s to %s in %s\n",
		sum.Written, sum.Records, humanBytes(sum.Bytes), *format, *out, time.Since(start).Round(time.Millisecond))
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
