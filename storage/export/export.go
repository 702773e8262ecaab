package export

import (
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Format names an export format.
type Format string

// The export formats.
const (
	FormatDir   Format = "dir"
	FormatJSONL Format = "jsonl"
	FormatWARC  Format = "warc"
)

// DefaultWARCMaxSize is the WARC rotation size used when Options.WARCMaxSize is 0.
const DefaultWARCMaxSize = 1 << 30

// Options configure one export run.
type Options struct {
	Format       Format           // "dir", "jsonl", "warc"
	Out          string           // directory (dir, warc) or file path; "-" = stdout for jsonl
	Stdout       io.Writer        // used when Out == "-"
	Include      []*regexp.Regexp // URL must match one (if any given)
	Exclude      []*regexp.Regexp // URL must match none
	Status       []int            // keep only these statuses (if any)
	ContentType  []string         // keep only these media types, prefix match on the type without parameters (if any)
	RewriteLinks bool             // dir only
	WARCMaxSize  int64            // rotate WARC files; default 1 GB
	Software     string           // for warcinfo, e.g. "trawl/0.1"
	NoBody       bool             // jsonl only: leave bodies out (links and metadata)
	// IncludeDecisions (jsonl only) also writes decision records: URLs
	// that got no response (robots-blocked, refused, failed before a
	// response) as {url, depth, reason, decided_at}. Without it, and in
	// every other format, only responses are written.
	IncludeDecisions bool
	// Force replaces an existing output: a JSONL file, or the WARC files
	// of an earlier export in Out (other files there are left alone); a dir
	// export writes over the files it produces. Without it, Run refuses an
	// Out that exists and holds anything (ErrOutputExists).
	Force    bool
	Progress func(done int64) // optional
	// Pass, if set, exports only the records of that recrawl pass (0 is
	// the first crawl); a WARC of a later pass writes unchanged pages as
	// revisit records referring to the earlier pass's responses. Unset,
	// the latest version of each URL is written.
	Pass *int

	versions *versions // the latest record of each URL (of Pass, over several stores); Run fills it
}

// Summary reports what an export did.
type Summary struct {
	Records int64            // records read from the store
	Written int64            // records written to the output
	Bytes   int64            // bytes written
	Skipped map[string]int64 // reason -> count
	Files   []string         // files created (relative to Out for dir/warc; Out itself for jsonl)
}

// Validate reports the first problem with o: unknown format, missing Out, etc.
func (o Options) Validate() error {
	switch o.Format {
	case FormatDir, FormatJSONL, FormatWARC:
	case "":
		return errors.New("export: no format given (want dir, jsonl or warc)")
	default:
		return fmt.Errorf("export: unknown format %q (want dir, jsonl or warc)", o.Format)
	}
	if o.Out == "" {
		return fmt.Errorf("export: %s format needs an output path", o.Format)
	}
	if o.Out == "-" {
		if o.Format != FormatJSONL {
			return fmt.Errorf("export: --out - (stdout) works only with jsonl, not %s", o.Format)
		}
		if o.Stdout == nil {
			return errors.New("export: --out - given but no Stdout writer")
		}
	}
	if o.RewriteLinks && o.Format != FormatDir {
		return fmt.Errorf("export: rewriting links applies only to the dir format, not %s", o.Format)
	}
	if o.IncludeDecisions && o.Format != FormatJSONL {
		return fmt.Errorf("export: decision records are written only by the jsonl format, not %s", o.Format)
	}
	if o.NoBody && o.Format != FormatJSONL {
		return fmt.Errorf("export: leaving bodies out applies only to the jsonl format, not %s", o.Format)
	}
	if o.WARCMaxSize < 0 {
		return fmt.Errorf("export: negative WARC max size %d", o.WARCMaxSize)
	}
	for _, s := range o.Status {
		if s < 0 || s > 999 {
			return fmt.Errorf("export: status filter %d out of range", s)
		}
	}
	return nil
}
