package export

import (
	"context"
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
	write(r *storage.Record) (written bool, reason string, err error)
	close() (files []string, bytes int64, err error)
	abort() // remove temporary files after a failure
}

// Run exports every committed record of r that passes the filters, in crawl
// order, each exactly once (r reads one manifest snapshot).
func Run(ctx context.Context, r *storage.Reader, opts Options) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	if opts.WARCMaxSize == 0 {
		opts.WARCMaxSize = DefaultWARCMaxSize
	}
	if err := checkOutput(opts); err != nil {
		return Summary{}, err
	}
	if opts.Pass == nil {
		// The latest version of each URL (passes.go): one more scan.
		v, err := latestVersions(ctx, r)
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
		w, err = newDirWriter(ctx, r, opts)
	case FormatJSONL:
		w, err = newJSONLWriter(opts)
	case FormatWARC:
		w, err = newWARCWriter(opts)
	}
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Skipped: map[string]int64{}}
	scan := r.Scan
	if opts.Format == FormatWARC {
		scan = r.ScanAll // with the robots.txt fetches, which only a web archive keeps
	}
	err = scan(ctx, func(rec *storage.Record) error {
		sum.Records++
		if opts.Progress != nil {
			defer opts.Progress(sum.Records)
		}
		if reason := opts.filter(rec); reason != "" {
			sum.Skipped[reason]++
			return nil
		}
		ok, reason, err := w.write(rec)
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

// filter returns the reason rec is dropped, or "" to keep it.
func (o Options) filter(rec *storage.Record) string {
	if rec.Robots && o.Format != FormatWARC {
		return skipRobots
	}
	if rec.Decision && (o.Format != FormatJSONL || !o.IncludeDecisions) {
		return skipDecision
	}
	if reason := o.versionFilter(rec); reason != "" {
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
