package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrOutputExists means the output file exists, or the output directory
// holds files, and Options.Force was not set: an export never replaces
// earlier work silently.
var ErrOutputExists = errors.New("output already exists")

// checkOutput refuses an Out that would be overwritten unless o.Force; with
// o.Force it removes what the new export replaces wholesale (the WARC
// files of an earlier export, which a smaller export would otherwise leave
// mixed with the new ones).
func checkOutput(o Options) error {
	if o.Out == "-" {
		return nil
	}
	fi, err := os.Stat(o.Out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	switch o.Format {
	case FormatJSONL:
		if fi.IsDir() {
			return fmt.Errorf("export: %s is a directory; jsonl writes a file", o.Out)
		}
		if !o.Force {
			return fmt.Errorf("export: %s: %w", o.Out, ErrOutputExists)
		}
		return nil
	}
	if !fi.IsDir() {
		return fmt.Errorf("export: %s is a file; %s writes a directory", o.Out, o.Format)
	}
	entries, err := os.ReadDir(o.Out)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if !o.Force {
		return fmt.Errorf("export: %s holds %d entries: %w", o.Out, len(entries), ErrOutputExists)
	}
	if o.Format == FormatWARC {
		old, err := filepath.Glob(filepath.Join(o.Out, "trawl-*.warc.gz"))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("export: replace %s: %w", f, err)
			}
		}
	}
	return nil
}
