package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/redistest"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// startWeb starts a small test web named name (hosts hN.<name>.test).
func startWeb(t *testing.T, name string, seed int64) *testweb.Web {
	t.Helper()
	f := testweb.Clean()
	f.Binaries, f.NotFound, f.Redirects = true, true, true
	return testweb.ForTest(t, testweb.Config{Name: name, Hosts: 2, PagesPerHost: 10, PageSize: 1 << 10, Seed: seed, Features: f})
}

// crawlInto crawls web with the CLI into dir; extra flags go first (a
// --frontier makes it the one worker of a shared crawl).
func crawlInto(t *testing.T, web *testweb.Web, dir string, extra ...string) {
	t.Helper()
	args := append(append([]string{"crawl"}, extra...), "--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--progress", "off", "--log-level", "warn")
	if code, _, stderr := cli(t, "", append(args, web.Seeds()...)...); code != 0 {
		t.Fatalf("crawl into %s: %d %s", dir, code, stderr)
	}
}

var exportedRe = regexp.MustCompile(`exported (\d+) of`)

// TestExportSeveralCrawlDirs: two crawls of two disjoint webs, each in its
// own directory, export as one in every format, each page once; a third
// crawl overlapping the first adds no URL twice (its later fetches win,
// the others are counted as duplicate fetches); a directory given twice is
// refused.
func TestExportSeveralCrawlDirs(t *testing.T) {
	one, two := startWeb(t, "one", 21), startWeb(t, "two", 22)
	tmp := t.TempDir()
	a, b, c := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "c")
	crawlInto(t, one, a)
	crawlInto(t, two, b)
	expected := one.Expected()
	maps.Copy(expected, two.Expected())
	checkExportRoundTrip(t, []string{a, b}, expected, append(one.Seeds(), two.Seeds()...))

	out := filepath.Join(tmp, "twice.jsonl")
	code, _, stderr := cli(t, "", "export", "--dir", a, "--dir", a+"/.", "--format", "jsonl", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "same directory") {
		t.Errorf("the same --dir twice: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused export wrote %s", out)
	}

	crawlInto(t, one, c)
	code, stdout, stderr := cli(t, "", "export", "--dir", a, "--format", "jsonl", "--out", filepath.Join(tmp, "a.jsonl"))
	m := exportedRe.FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("export a: %d %q %q", code, stdout, stderr)
	}
	out = filepath.Join(tmp, "abc.jsonl")
	code, stdout, stderr = cli(t, "", "export", "--dir", a, "--dir", b, "--dir", c, "--format", "jsonl", "--out", out)
	if want := fmt.Sprintf("skipped %s: duplicate-fetch", m[1]); code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("export a, b, c: exit %d, want %q in %q (%s)", code, want, stdout, stderr)
	}
	got := jsonlPages(t, out) // fails on a URL written twice
	for u, status := range expected {
		if p, ok := got[u]; !ok || p.Status != status {
			t.Errorf("%s: exported %+v, want status %d", u, p, status)
		}
	}
}

// TestExportRefusesMixedCrawls: the workers of two shared crawls, or a
// worker beside a crawl of its own, are refused with a message naming
// them; so are two crawls of one name that are not the same crawl (other
// seeds, on another Redis database) and a copy of a worker's directory.
func TestExportRefusesMixedCrawls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server")
	}
	srv := redistest.Start(t)
	one, two := startWeb(t, "one", 21), startWeb(t, "two", 22)
	tmp := t.TempDir()
	wa, wb, wc, own := filepath.Join(tmp, "wa"), filepath.Join(tmp, "wb"), filepath.Join(tmp, "wc"), filepath.Join(tmp, "own")
	crawlInto(t, one, wa, "--frontier", srv.URL(), "--crawl", "a")
	crawlInto(t, two, wb, "--frontier", srv.URL(), "--crawl", "b")
	crawlInto(t, two, wc, "--frontier", strings.TrimSuffix(srv.URL(), "/0")+"/1", "--crawl", "a")
	crawlInto(t, one, own)
	copyOfA := filepath.Join(tmp, "wa-copy")
	if err := os.CopyFS(copyOfA, os.DirFS(wa)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dirs []string
		want string
	}{
		{[]string{wa, wb}, `is a worker of crawl "a" and ` + wb + ` of crawl "b"`},
		{[]string{own, wa}, wa + ` is a worker of the shared crawl "a" and ` + own + ` a crawl of its own`},
		{[]string{wa, wc}, `are workers of two crawls named "a" (their seeds differ`},
		{[]string{wa, copyOfA}, `: one is a copy of the other`},
	} {
		out := filepath.Join(tmp, "mixed.jsonl")
		args := []string{"export", "--format", "jsonl", "--out", out}
		for _, d := range tc.dirs {
			args = append(args, "--dir", d)
		}
		code, _, stderr := cli(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("export %v: exit %d, stderr %q, want %q", tc.dirs, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("a refused export wrote %s", out)
		}
	}
	// One worker alone is a whole crawl here.
	checkExportRoundTrip(t, []string{wa}, one.Expected(), one.Seeds())
}
