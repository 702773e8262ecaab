package export

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trawl-crawler/trawl/internal/warcverify"
)

// requireWARCIO skips without warcio.js, except in CI (CI=true), where
// .ci/run installs it and its absence is a failure.
func requireWARCIO(t *testing.T) {
	t.Helper()
	if skip, err := warcverify.Require(); skip {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
}

// requireWARCIOSoft reports skip=true without warcio.js outside CI, for
// tests whose warcio.js check is one part among others.
func requireWARCIOSoft() (bool, error) { return warcverify.Require() }

// verifyWARC runs warcio.js over an export's files.
func verifyWARC(t *testing.T, out string, sum Summary) warcverify.Summary {
	t.Helper()
	files := make([]string, 0, len(sum.Files))
	for _, f := range sum.Files {
		files = append(files, filepath.Join(out, f))
	}
	vs, err := warcverify.Verify(context.Background(), files...)
	if err != nil {
		t.Fatalf("warcio.js: %v\n%+v", err, vs)
	}
	return vs
}

// TestWARCReadByWarcio: every record of an export (rotated over several
// files, a header with invalid UTF-8, a binary, a 404) parses in
// warcio.js and every digest it recomputes matches.
func TestWARCReadByWarcio(t *testing.T) {
	requireWARCIO(t)
	recs := testRecords()
	store := fillStore(t, recs)
	out := t.TempDir()
	sum := run(t, store, Options{Format: FormatWARC, Out: out, WARCMaxSize: 600})
	vs := verifyWARC(t, out, sum)
	pages := int(sum.Written)
	if vs.ByType["response"] != pages || vs.ByType["request"] != pages || vs.ByType["warcinfo"] != len(sum.Files) {
		t.Fatalf("warcio.js read %+v, want %d pages in %d files", vs, pages, len(sum.Files))
	}
	if vs.BlockDigests != 2*pages+len(sum.Files) || vs.PayloadDigests != pages {
		t.Fatalf("digests checked: %+v", vs)
	}
}
