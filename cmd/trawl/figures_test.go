package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

func statusJSON(t *testing.T, dir string) crawler.Stats {
	t.Helper()
	code, stdout, stderr := cli(t, "", "status", "--dir", dir, "--json")
	if code != exitOK {
		t.Fatalf("status --json: exit %d: %s", code, stderr)
	}
	var st crawler.Stats
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status --json: %v: %s", err, stdout)
	}
	return st
}

func sum(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestCountersAgreeAcrossRuns: one set of counters for the whole crawl, in
// the summary, status and status --json: robots skips are skips, not
// failures; the reasons add up to the counts across runs; this run's rate
// is this run's pages over this run's time, the crawl's rate all pages over
// all the time spent crawling; --max-pages says it stopped the crawl and
// how to continue; the hint a finished crawl prints runs as printed.
func TestCountersAgreeAcrossRuns(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 25, PageSize: 1 << 10, Seed: 5, Features: testweb.Clean()})
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	base := []string{"--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0", "--progress", "off", "--log-level", "warn"}

	code, out, stderr := cli(t, "", append(append([]string{"crawl", "--max-pages", "10"}, base...), web.Seeds()...)...)
	if code != exitOK {
		t.Fatalf("crawl --max-pages: exit %d: %s", code, stderr)
	}
	st := statusJSON(t, dir)
	if st.StopReason != crawler.StopReasonMaxPages || st.MaxPages != 10 || st.Queued == 0 {
		t.Fatalf("after --max-pages 10: stop_reason %q max_pages %d queued %d", st.StopReason, st.MaxPages, st.Queued)
	}
	note := "stopped at --max-pages 10 ("
	resumeHint := "`trawl resume --dir " + dir + " --max-pages N`"
	if !strings.Contains(out, note) || !strings.Contains(out, resumeHint) {
		t.Errorf("summary does not say the limit stopped the crawl:\n%s", out)
	}
	_, text, _ := cli(t, "", "status", "--dir", dir)
	if !strings.Contains(text, "state:        finished: stopped at --max-pages 10 (") {
		t.Errorf("status does not say the limit stopped the crawl:\n%s", text)
	}
	first := st

	code, _, stderr = cli(t, "", append([]string{"resume", "--max-pages", "0"}, base...)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	st = statusJSON(t, dir)
	if st.StopReason != "" || st.Queued != 0 {
		t.Errorf("finished crawl: stop_reason %q queued %d", st.StopReason, st.Queued)
	}
	if st.Skipped == 0 {
		t.Fatal("the test web's robots.txt variants skipped nothing: the test proves nothing")
	}
	if got := sum(st.Skips); got != st.Skipped || st.Skips["robots"] == 0 {
		t.Errorf("skipped %d, skipped_by_reason %v", st.Skipped, st.Skips)
	}
	if got := sum(st.Errors); got != st.Failed {
		t.Errorf("failed %d, failed_by_reason %v", st.Failed, st.Errors)
	}
	if _, ok := st.Errors["robots"]; ok {
		t.Errorf("robots skips counted as failures: %v", st.Errors)
	}
	if st.Run.Done != st.Done-first.Done || st.Run.Skipped != st.Skipped-first.Skipped {
		t.Errorf("run: %+v; crawl done %d (first run %d)", st.Run, st.Done, first.Done)
	}
	if st.ElapsedSec < st.Run.ElapsedSec+first.Run.ElapsedSec*0.99 {
		t.Errorf("elapsed %.3fs < the two runs' %.3fs + %.3fs", st.ElapsedSec, first.Run.ElapsedSec, st.Run.ElapsedSec)
	}

	// A resume with nothing to do: this run did nothing, at 0 pages/s; the
	// crawl's rate is all pages over all the time.
	code, out, stderr = cli(t, "", append([]string{"resume"}, base...)...)
	if code != exitOK {
		t.Fatalf("no-op resume: exit %d: %s", code, stderr)
	}
	st = statusJSON(t, dir)
	if st.Run.Done != 0 || st.Run.PagesPerSec != 0 {
		t.Errorf("no-op resume: run %+v", st.Run)
	}
	if want := float64(st.Done+st.Failed) / st.ElapsedSec; st.PagesPerSec < want*0.99 || st.PagesPerSec > want*1.01 {
		t.Errorf("crawl rate %.1f pages/s, want %.1f (all pages over all crawl time)", st.PagesPerSec, want)
	}
	if !strings.Contains(out, "this run: 0 done, 0 failed, 0 skipped in") || !strings.Contains(out, "(0.0 pages/s); the crawl:") {
		t.Errorf("no-op resume summary:\n%s", out)
	}

	// The hint for a finished crawl runs as printed.
	code, _, stderr = cli(t, "", append(append([]string{"crawl"}, base...), web.Seeds()...)...)
	_, hint, ok := strings.Cut(strings.TrimSpace(stderr), "export it with: ")
	if code != exitUsage || !ok {
		t.Fatalf("crawl over a finished crawl: exit %d, %q", code, stderr)
	}
	t.Chdir(tmp)
	args := strings.Fields(hint)
	if args[0] != "trawl" {
		t.Fatalf("hint %q", hint)
	}
	if code, _, stderr := cli(t, "", args[1:]...); code != exitOK {
		t.Fatalf("the printed hint %q: exit %d: %s", hint, code, stderr)
	}
	// Run again, it would overwrite: refused in one line, --force replaces.
	code, _, stderr = cli(t, "", args[1:]...)
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "already exists; add --force") {
		t.Fatalf("export over an existing file: exit %d, %q", code, stderr)
	}
	if code, _, stderr := cli(t, "", append(args[1:], "--force")...); code != exitOK {
		t.Fatalf("export --force: exit %d: %s", code, stderr)
	}
}

// A crawl whose only seed is refused by the address guard exits 1 at once
// (no robots.txt retries), says how to allow it, and status names the real
// reason ("blocked"), not robots.txt.
func TestRefusedSeedExits1WithTheRealReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guard let a request through: %s", r.URL)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "state")
	code, out, errOut := cli(t, "", "crawl", "--dir", dir, "--progress", "off", "--delay", "0", srv.URL+"/")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "every seed failed") || !strings.Contains(errOut, "--allow-private") {
		t.Fatalf("stderr does not name the refusal and how to allow it:\n%s", errOut)
	}
	code, st, _ := cli(t, "", "status", "--dir", dir)
	if code != exitOK || !strings.Contains(st, "blocked") || strings.Contains(st, "robots") {
		t.Fatalf("status (exit %d) does not name the real reason:\n%s", code, st)
	}
}

// Only deferred work left: exit 0, and the summary and status name the
// deferred host and say that trawl resume retries it.
func TestDeferredHostInSummaryAndStatus(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 5, PageSize: 512, Seed: 2, Features: testweb.Features{RobotsDown: 1}})
	down := web.Hosts()[2]
	dir := filepath.Join(t.TempDir(), "state")
	args := append([]string{"crawl", "--dir", dir, "--progress", "off", "--delay", "0", "--retries", "0",
		"--allow-private", "--proxy", web.ProxyURL()}, web.Seeds()...)
	code, out, errOut := cli(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"deferred", down, "trawl resume --dir " + dir, "robots.txt unavailable (HTTP 500)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	_, st, _ := cli(t, "", "status", "--dir", dir)
	if !strings.Contains(st, "deferred") || !strings.Contains(st, down) {
		t.Errorf("status does not name the deferred host:\n%s", st)
	}
	_, js, _ := cli(t, "", "status", "--dir", dir, "--json")
	if !strings.Contains(js, `"deferred_hosts":[{"host":"`+down) {
		t.Errorf("status --json lacks deferred_hosts:\n%s", js)
	}
}

// TestHeartbeatAndDelayNotice: without a terminal, a crawl logs its figures
// every --heartbeat, and says once that the per-host delay bounds it.
func TestHeartbeatAndDelayNotice(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 1, PagesPerHost: 9, PageSize: 512, Seed: 2})
	dir := filepath.Join(t.TempDir(), "state")
	// 9 pages 400ms apart take 3.2s at least: three status ticks.
	code, _, stderr := cli(t, "", append([]string{"crawl", "--dir", dir, "--proxy", web.ProxyURL(), "--allow-private",
		"--delay", "400ms", "--heartbeat", "1ms"}, web.Seeds()...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "msg=progress"); n < 1 || !strings.Contains(stderr, "hosts_active=") || !strings.Contains(stderr, "pages_per_sec=") {
		t.Errorf("%d heartbeat lines:\n%s", n, stderr)
	}
	if n := strings.Count(stderr, "the per-host delay bounds this crawl"); n != 1 {
		t.Errorf("delay notice %d times, want once:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "--delay 0 --per-host 8") {
		t.Errorf("the delay notice does not say how to go faster:\n%s", stderr)
	}
}

// TestProgressLineIsClearedFirst: a log line (the final one included) never
// lands on the end of the progress line.
func TestProgressLineIsClearedFirst(t *testing.T) {
	var term bytes.Buffer // stdout and stderr on one terminal
	p := &progress{w: &term}
	log, _ := newLogger(p.clearing(&term), "info", "text")
	p.update(crawler.Stats{Done: 3, Hosts: 1})
	log.Info("crawl stopped")
	got := term.String()
	line := "done 3  failed 0"
	i := strings.Index(got, line)
	j := strings.Index(got, "time=")
	if i < 0 || j < 0 {
		t.Fatalf("output %q", got)
	}
	if between := got[i:j]; !strings.HasSuffix(between, "\r\x1b[K") {
		t.Errorf("log line follows the progress line without clearing it: %q", got)
	}
	p.clear()
	if strings.HasSuffix(term.String(), "\r\x1b[K\r\x1b[K") {
		t.Errorf("clear after a log line wrote a second clear")
	}
}

// TestExportDuringCrawlSaysSnapshot: an export of a running crawl says
// that it is a snapshot of a crawl still running.
func TestExportDuringCrawlSaysSnapshot(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 1, PagesPerHost: 30, PageSize: 512, Seed: 4})
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	// The web holds the request after the third, so the crawl is still
	// running when the export reads it, however slow the machine is.
	hold := web.HoldAfter(3)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var out, errb bytes.Buffer
		run(ctx, append([]string{"crawl", "--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "200ms", "--progress", "off"}, web.Seeds()...),
			strings.NewReader(""), &out, &errb)
	}()
	defer func() { hold.Release(); cancel(); wg.Wait() }()
	for { // until the running crawl has committed a page (polling a file; nothing is timed)
		st, err := crawler.ReadStatus(dir)
		if err == nil && st.State == crawler.StateRunning && st.Done > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, out, stderr := cli(t, "", "export", "--dir", dir, "--format", "jsonl", "--out", filepath.Join(tmp, "p.jsonl"))
	if code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "is still running") || !strings.Contains(out, "snapshot") {
		t.Errorf("export of a running crawl does not say it is a snapshot:\n%s", out)
	}
}

func TestHumanDuration(t *testing.T) {
	for sec, want := range map[float64]string{0.016: "16ms", 4.24: "4.2s", 448: "7m28s", 3725: "1h02m"} {
		if got := humanDuration(sec); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", sec, got, want)
		}
	}
}
