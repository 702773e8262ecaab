package export

import (
	"context"
	"errors"
	"mime"
	"regexp"
	"slices"
	"strings"

	"github.com/trawl-crawler/trawl/storage"
)

// Skip reasons counted in Summary.Skipped.
const (
	skipInclude     = "include"      // URL matched no --include
	skipExclude     = "exclude"      // URL matched an --exclude
	skipStatus      = "status"       // status not kept (filter, or not 2xx for dir)
	skipContentType = "content-type" // media type not kept
	skipNoResponse  = "no-response"  // a failure record: nothing to write
	skipDecision    = "decision"     // a decision record (no response): jsonl --include-decisions only
	skipBadURL      = "bad-url"      // PathFor refused the URL
	skipConflict    = "path-conflict"
	skipRobots      = "robots.txt" // the crawler's own robots.txt fetches: archived in WARC only
	skipSameFile    = "same-file"  // another URL of the export maps to the same file ("/" and "/index.html")
)

// writer is one output format.
type writer interface {
	write(src int, r *storage.Record) (written bool, reason string, err error) // r read from store src
	close() (files []string, bytes int64, err error)
	abort() // remove temporary files after a failure
}

// Run exports every committed record of r that passes the filters, in crawl
// order, each exactly once (r reads one manifest snapshot).
func Run(ctx context.Context, r *storage.Reader, opts Options) (Summary, error) {
	return RunStores(ctx, []*storage.Reader{r}, opts)
}

// RunStores exports the committed records of several page stores as one
// output: the stores of the workers of a shared crawl, each of which
// holds the pages its worker fetched. The stores are read one after the
// other, each in crawl order. A URL is written once even when several
// stores hold it: its latest record (version.newer), the others counted
// as skipped.
func RunStores(ctx context.Context, rs []*storage.Reader, opts Options) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	if len(rs) == 0 {
		return Summary{}, errors.New("export: no page store to read")
	}
	if opts.WARCMaxSize == 0 {
		opts.WARCMaxSize = DefaultWARCMaxSize
	}
	if err := checkOutput(opts); err != nil {
		return Summary{}, err
	}
	if opts.Pass == nil || len(rs) > 1 {
		// The latest version of each URL (passes.go): one more scan. One
		// store holds a URL once per pass, so one pass of it needs none.
		v, err := latestVersions(ctx, rs, opts.Pass)
		if err != nil {
			return Summary{}, err
		}
		opts.versions = v
	}
	var (
		w   writer
		err error
	)
	switch opts.Format {
	case FormatDir:
		w, err = newDirWriter(ctx, rs, opts)
	case FormatJSONL:
		w, err = newJSONLWriter(opts)
	case FormatWARC:
		w, err = newWARCWriter(opts)
	}
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Skipped: map[string]int64{}}
	// Only a web archive keeps the crawler's robots.txt fetches.
	err = scanStores(ctx, rs, opts.Format == FormatWARC, func(src int, rec *storage.Record) error {
		sum.Records++
		if opts.Progress != nil {
			defer opts.Progress(sum.Records)
		}
		if reason := opts.filter(src, rec); reason != "" {
			sum.Skipped[reason]++
			return nil
		}
		ok, reason, err := w.write(src, rec)
		if err != nil {
			return err
		}
		if ok {
			sum.Written++
		} else {
			sum.Skipped[reason]++
		}
		return nil
	})
	if err != nil {
		w.abort()
		return sum, err
	}
	sum.Files, sum.Bytes, err = w.close()
	return sum, err
}

// scanStores calls fn for the committed records of each store in turn,
// with the store's place in rs; robots.txt records only if all.
func scanStores(ctx context.Context, rs []*storage.Reader, all bool, fn func(src int, rec *storage.Record) error) error {
	for i, r := range rs {
		scan := r.Scan
		if all {
			scan = r.ScanAll
		}
		if err := scan(ctx, func(rec *storage.Record) error { return fn(i, rec) }); err != nil {
			return err
		}
	}
	return nil
}

// filter returns the reason rec, read from store src, is dropped, or ""
// to keep it.
func (o Options) filter(src int, rec *storage.Record) string {
	if rec.Robots && o.Format != FormatWARC {
		return skipRobots
	}
	if rec.Decision && (o.Format != FormatJSONL || !o.IncludeDecisions) {
		return skipDecision
	}
	if reason := o.versionFilter(src, rec); reason != "" {
		return reason
	}
	if len(o.Include) > 0 && !slices.ContainsFunc(o.Include, func(re *regexp.Regexp) bool { return re.MatchString(rec.URL) }) {
		return skipInclude
	}
	if slices.ContainsFunc(o.Exclude, func(re *regexp.Regexp) bool { return re.MatchString(rec.URL) }) {
		return skipExclude
	}
	if rec.Decision {
		return "" // asked for: status and media type filters are about responses
	}
	if len(o.Status) > 0 {
		if !slices.Contains(o.Status, rec.Status) {
			return skipStatus
		}
	} else if o.Format == FormatDir && (rec.Status < 200 || rec.Status > 299) {
		if rec.Status == 0 {
			return skipNoResponse
		}
		return skipStatus
	}
	if len(o.ContentType) > 0 {
		mt := mediaType(rec.ContentType)
		if !slices.ContainsFunc(o.ContentType, func(p string) bool { return strings.HasPrefix(mt, strings.ToLower(strings.TrimSpace(p))) }) {
			return skipContentType
		}
	}
	return ""
}

// mediaType is the lower-case type/subtype without parameters.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
