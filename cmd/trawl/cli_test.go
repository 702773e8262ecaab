package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// cli runs the CLI in-process and returns its exit code and output.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// crawlExportWeb crawls, with the CLI, a three-host test web built from
// seed whose pages include binaries, 404s and redirects (what an export
// must carry), into tmp/state, and returns the web and that directory.
func crawlExportWeb(t *testing.T, tmp string, seed int64) (*testweb.Web, string) {
	t.Helper()
	f := testweb.Clean()
	f.Binaries, f.NotFound, f.Redirects = true, true, true
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 15, PageSize: 2 << 10, Seed: seed, Features: f})
	dir := filepath.Join(tmp, "state")
	args := append([]string{"crawl", "--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--progress", "off", "--log-level", "warn"}, web.Seeds()...)
	if code, _, stderr := cli(t, "", args...); code != 0 {
		t.Fatalf("crawl: %d %s", code, stderr)
	}
	return web, dir
}

func TestCrawlRefusesUnfinishedAndResumeRefusesScopeChange(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 20, PageSize: 1 << 10, Seed: 3, Latency: 10 * time.Millisecond, Features: testweb.Clean()})
	dir := filepath.Join(t.TempDir(), "state")
	base := []string{"--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0", "--progress", "off", "--log-level", "warn"}

	// Stop the first crawl after a few pages: --max-pages finishes it, so
	// cancel instead to leave it unfinished. The web holds the request after
	// the fifth, so the cancel lands mid-crawl however slow the machine is;
	// the held requests are let through once the stop has begun.
	ctx, cancel := context.WithCancel(context.Background())
	hold := web.HoldAfter(5)
	go func() { <-hold.Reached(); cancel(); hold.Release() }()
	defer hold.Release()
	var out, errb bytes.Buffer
	code := run(ctx, append(append([]string{"crawl"}, base...), web.Seeds()...), strings.NewReader(""), &out, &errb)
	if code != exitInterrupted {
		t.Fatalf("interrupted crawl exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "trawl resume --dir "+dir) {
		t.Errorf("no resume hint: %s", out.String())
	}

	code, _, stderr := cli(t, "", append(append([]string{"crawl"}, base...), web.Seeds()...)...)
	if code != exitUsage || !strings.Contains(stderr, "trawl resume") {
		t.Fatalf("crawl over unfinished: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = cli(t, "", append([]string{"resume", "--scope", "any"}, base...)...)
	if code != exitUsage || !strings.Contains(stderr, "scope") {
		t.Fatalf("resume with scope change: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = cli(t, "", append([]string{"resume", "--politeness-key", "domain"}, base...)...)
	if code != exitUsage || !strings.Contains(stderr, "politeness-key") {
		t.Fatalf("resume changing the politeness key: exit %d, stderr %q", code, stderr)
	}

	code, stdout, _ := cli(t, "", "status", "--dir", dir, "--json")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status --json: %v: %s", err, stdout)
	}
	for _, k := range []string{"state", "queued", "in_flight", "done", "failed", "stored", "hosts", "bytes_stored", "started_at", "updated_at"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status --json lacks %q", k)
		}
	}
	if st["state"] != "interrupted" {
		t.Errorf("state = %v, want interrupted", st["state"])
	}

	// Operational flags may change on resume.
	code, _, stderr = cli(t, "", append([]string{"resume", "--concurrency", "3"}, base...)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if probs := web.Report().Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("after resume: %v", probs)
	}
	// A finished crawl is refused too, and --fresh starts over.
	code, _, stderr = cli(t, "", append(append([]string{"crawl"}, base...), web.Seeds()...)...)
	if code != exitUsage || !strings.Contains(stderr, "finished") {
		t.Fatalf("crawl over finished: exit %d, %q", code, stderr)
	}
	web.Reset()
	code, _, stderr = cli(t, "", append(append([]string{"crawl", "--fresh"}, base...), web.Seeds()...)...)
	if code != exitOK {
		t.Fatalf("crawl --fresh: exit %d: %s", code, stderr)
	}
	if probs := web.Report().Check(web.Expected(), 2, 0, 0); len(probs) > 0 {
		t.Fatalf("after --fresh: %v", probs)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "trawl ") {
		t.Fatalf("version: %d %q", code, out)
	}
}
