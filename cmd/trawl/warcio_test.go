package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/internal/warcverify"
	"github.com/trawl-crawler/trawl/storage"
)

// TestCrawlWARCReadByWarcio crawls the test web (redirects, 404s,
// binaries, malformed pages) with the CLI, exports WARC in several files,
// and has warcio.js, an independent reader, parse every record and
// recompute every digest. It fails in CI (CI=true) when warcio.js is
// missing: .ci/run installs it.
func TestCrawlWARCReadByWarcio(t *testing.T) {
	if skip, err := warcverify.Require(); skip {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	web, dir := crawlExportWeb(t, tmp, 33)
	out := filepath.Join(tmp, "warc")
	if code, _, stderr := cli(t, "", "export", "--dir", dir, "--format", "warc", "--out", out, "--warc-max-size", "65536"); code != 0 {
		t.Fatalf("export warc: %d %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.warc.gz"))
	if len(files) < 2 {
		t.Fatalf("%d WARC files, want rotation", len(files))
	}
	vs, err := warcverify.Verify(context.Background(), files...)
	if err != nil {
		t.Fatalf("warcio.js: %v\n%+v", err, vs)
	}
	if vs.ByType["response"] < len(web.Expected())/2 || vs.ByType["response"] != vs.ByType["request"] || vs.PayloadDigests != vs.ByType["response"]+vs.ByType["revisit"] {
		t.Fatalf("warcio.js read %+v for %d expected URLs", vs, len(web.Expected()))
	}
	t.Logf("warcio.js: %+v", vs)
}

// TestDedupCrawlWARCReadByWarcio: a crawl where half the pages copy
// another page's body exports revisit records (identical payload digest)
// that warcio.js parses, each naming an earlier response with the same
// payload digest.
func TestDedupCrawlWARCReadByWarcio(t *testing.T) {
	if skip, err := warcverify.Require(); skip {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	site := freshweb.Start(freshweb.Config{Pages: 40, Dups: 40, DupOf: 8, PageSize: 4 << 10, Seed: 5})
	defer site.Close()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	if code, _, stderr := cli(t, "", "crawl", "--dir", dir, "--allow-private", "--delay", "0", "--progress", "off", "--log-level", "warn", site.Seed()); code != 0 {
		t.Fatalf("crawl: %d %s", code, stderr)
	}
	out := filepath.Join(tmp, "warc")
	if code, _, stderr := cli(t, "", "export", "--dir", dir, "--format", "warc", "--out", out); code != 0 {
		t.Fatalf("export warc: %d %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.warc.gz"))
	vs, err := warcverify.Verify(context.Background(), files...)
	if err != nil {
		t.Fatalf("warcio.js: %v\n%+v", err, vs)
	}
	// Every page, plus what the crawl stores besides pages (robots.txt).
	if vs.Revisits[storage.ProfileIdenticalPayload] < 40 || vs.ByType["response"]+vs.ByType["revisit"] < len(site.Pages()) {
		t.Fatalf("warcio.js read %+v for %d pages", vs, len(site.Pages()))
	}
}
