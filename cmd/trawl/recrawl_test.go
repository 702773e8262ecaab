package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/freshweb"
	"github.com/trawl-crawler/trawl/internal/torture"
	"github.com/trawl-crawler/trawl/internal/warcverify"
	"github.com/trawl-crawler/trawl/storage"
)

// freshCrawl is a CLI crawl of a freshweb site (pages that copy each
// other or change between passes) into its own directory, at test speed:
// no delay, four fetches in flight, four per host.
type freshCrawl struct {
	site *freshweb.Site
	dir  string
}

// startFreshCrawl skips in -short mode (the tests spawn processes) and
// starts the site of cfg, closed at cleanup, with 2 ms of latency per
// request so that a kill after a number of requests lands mid-crawl.
func startFreshCrawl(t *testing.T, cfg freshweb.Config) *freshCrawl {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cfg.Latency = 2 * time.Millisecond
	site := freshweb.Start(cfg)
	t.Cleanup(site.Close)
	return &freshCrawl{site: site, dir: filepath.Join(t.TempDir(), "state")}
}

// args is the command line of `trawl verb`; a crawl starts at the seed.
func (c *freshCrawl) args(verb string) []string {
	a := []string{verb, "--dir", c.dir, "--allow-private", "--delay", "0", "--concurrency", strconv.Itoa(childConcurrency),
		"--per-host", "4", "--log-level", "warn", "--progress", "off"}
	if verb == "crawl" {
		a = append(a, c.site.Seed())
	}
	return a
}

// runOrKill runs `trawl verb` in a child process and SIGKILLs it when kill
// fires (nil: never); it reports whether it killed it. A run that ends
// with an exit code other than 0 fails the test.
func (c *freshCrawl) runOrKill(t *testing.T, verb string, kill <-chan struct{}) bool {
	t.Helper()
	p := child(t, c.args(verb)...)
	if p.killWhen(t, kill) {
		return true
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("trawl %s exited %d:\n%s", verb, code, p.Output())
	}
	return false
}

// TestRecrawlKill9AndExports: a crawl, then a recrawl pass SIGKILLed
// several times and resumed to the end. The pass stores every URL once,
// the changed pages in full and the rest as references; export writes the
// latest version of each page by default and one pass with --pass; the
// WARC of pass 1 has server-not-modified revisits that warcio.js resolves
// against pass 0's WARC.
func TestRecrawlKill9AndExports(t *testing.T) {
	c := startFreshCrawl(t, freshweb.Config{Pages: 200, PageSize: 4 << 10, Seed: 13})
	site, dir, tmp := c.site, c.dir, t.TempDir()
	if code, _, stderr := cli(t, "", c.args("crawl")...); code != 0 {
		t.Fatalf("crawl: %d %s", code, stderr)
	}
	changed := []int{5, 40, 77, 120, 150, 199}
	site.Change(changed...)
	site.Remove(404, 60)

	rng := torture.NewRand(t, 6)
	kills, runs := 0, 0
	for verb := "recrawl"; ; verb = "resume" {
		runs++
		var kill <-chan struct{}
		if kills < 3 && runs < 30 {
			kill = site.AfterRequests(site.TotalRequests() + 15 + int64(rng.IntN(40)))
		}
		if !c.runOrKill(t, verb, kill) {
			break // the pass finished (before any further kill)
		}
		kills++
	}
	st, err := crawler.ReadStatus(dir)
	if err != nil || st.State != crawler.StateFinished || st.Pass != 1 {
		t.Fatalf("status after the pass: %+v, %v", st, err)
	}
	if code, out, _ := cli(t, "", "status", "--dir", dir); code != 0 || !strings.Contains(out, "recrawl:      pass 1: ") {
		t.Errorf("status does not show the pass:\n%s", out)
	}
	// The store: pass 1 holds every URL once; only the changed pages in full.
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	perPass := map[int]map[string]int{0: {}, 1: {}}
	fullInPass1 := 0
	err = r.Scan(context.Background(), func(rec *storage.Record) error {
		perPass[rec.Pass][rec.URL]++
		if rec.Pass == 1 && rec.Status == 200 && rec.Revisit == nil {
			fullInPass1++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pass, m := range perPass {
		if len(m) != len(site.Pages()) {
			t.Errorf("pass %d stored %d URLs, want %d", pass, len(m), len(site.Pages()))
		}
		for u, n := range m {
			if n != 1 {
				t.Errorf("pass %d stored %s %d times", pass, u, n)
			}
		}
	}
	if fullInPass1 != len(changed) {
		t.Errorf("pass 1 stored %d pages in full, want %d", fullInPass1, len(changed))
	}

	// export: latest by default, one pass with --pass.
	latest := filepath.Join(tmp, "latest.jsonl")
	pass0 := filepath.Join(tmp, "pass0.jsonl")
	for _, a := range [][]string{{"--out", latest}, {"--out", pass0, "--pass", "0"}} {
		if code, _, stderr := cli(t, "", append([]string{"export", "--dir", dir, "--format", "jsonl"}, a...)...); code != 0 {
			t.Fatalf("export %v: %d %s", a, code, stderr)
		}
	}
	for name, want := range map[string]int{latest: 1, pass0: 0} {
		got := jsonlPages(t, name)
		if len(got) != len(site.Pages()) {
			t.Errorf("%s: %d pages, want %d", filepath.Base(name), len(got), len(site.Pages()))
		}
		for i := range 200 {
			u := site.URL() + "/p/" + strconv.Itoa(i)
			v := 0
			if want == 1 && slices.Contains(changed, i) {
				v = 1
			}
			wantStatus := 200
			if want == 1 && i == 60 {
				wantStatus = 404
			}
			if got[u].Status != wantStatus || (wantStatus == 200 && got[u].Body != string(site.Body(i, v))) {
				t.Errorf("%s: %s status %d, body of the version served in pass %d: %v", filepath.Base(name), u, got[u].Status, want, got[u].Body == string(site.Body(i, v)))
			}
		}
	}

	// WARC per pass; warcio.js reads pass 0 then pass 1 and finds every
	// revisit's original.
	if skip, err := warcverify.Require(); skip {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range []string{"0", "1"} {
		out := filepath.Join(tmp, "warc"+p)
		if code, _, stderr := cli(t, "", "export", "--dir", dir, "--format", "warc", "--pass", p, "--out", out); code != 0 {
			t.Fatalf("export warc pass %s: %d %s", p, code, stderr)
		}
		f, _ := filepath.Glob(filepath.Join(out, "*.warc.gz"))
		files = append(files, f...)
	}
	vs, err := warcverify.Verify(context.Background(), files...)
	if err != nil {
		t.Fatalf("warcio.js: %v\n%+v", err, vs)
	}
	unchanged := len(site.Pages()) - len(changed) - 1
	if vs.Revisits[storage.ProfileServerNotModified] != unchanged {
		t.Fatalf("warcio.js: %d server-not-modified revisits, want %d: %+v", vs.Revisits[storage.ProfileServerNotModified], unchanged, vs)
	}
	t.Logf("%d runs, %d kills; warcio.js: %s", runs, kills, strings.TrimSpace(fmt.Sprint(vs.ByType, vs.Revisits)))
}
