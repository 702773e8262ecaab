package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier/redisfrontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/internal/torture"
	"github.com/trawl-crawler/trawl/storage"
)

// sharedRig is a test web, a redis-server and N worker directories: the
// real CLI in child processes, crawling one shared crawl.
type sharedRig struct {
	t       *testing.T
	web     *testweb.Web
	redis   *redistest.Server
	dirs    []string
	perHost int
	delay   time.Duration
	extra   []string
}

func newSharedRig(t *testing.T, workers int, cfg testweb.Config, perHost int, delay time.Duration) *sharedRig {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	srv := redistest.Start(t)
	web := testweb.ForTest(t, cfg)
	r := &sharedRig{t: t, web: web, redis: srv, perHost: perHost, delay: delay}
	base := t.TempDir()
	for i := range workers {
		r.dirs = append(r.dirs, filepath.Join(base, fmt.Sprintf("w%d", i+1)))
	}
	return r
}

// args is worker i's command line: crawl with the seeds for its first run
// (or when a kill left its directory unstarted), resume after.
func (r *sharedRig) args(i int) []string {
	dir := r.dirs[i]
	cmd := "resume"
	if !crawler.Exists(dir) {
		cmd = "crawl"
	}
	a := []string{cmd, "--frontier", r.redis.URL(), "--dir", dir, "--proxy", r.web.ProxyURL(), "--allow-private",
		"--delay", r.delay.String(), "--per-host", fmt.Sprint(r.perHost), "--concurrency", "4",
		"--log-level", "warn", "--progress", "off", "--lease-ttl", "2s"}
	a = append(a, r.extra...)
	if cmd == "crawl" {
		a = append(a, "--crawl", "shared")
		a = append(a, r.web.Seeds()...)
	}
	return a
}

// judge checks the end state: every expected page fetched, politeness at
// the server across all workers, robots.txt once per host, every page
// stored exactly once across the workers' stores, and at most maxDup
// duplicate fetches.
func (r *sharedRig) judge(maxDup int) {
	t := r.t
	t.Helper()
	rep := r.web.Report()
	expected := r.web.Expected()
	for _, p := range rep.Check(expected, r.perHost, 0, 0) {
		if !strings.HasPrefix(p, "duplicate") {
			t.Errorf("judge: %s", p)
		}
	}
	// Gaps between request starts, as the server's kernel received them
	// across all workers (testweb dates a request by its bytes' receive
	// stamp, so the server process's own lateness is out of the figure).
	// A tenth of the delay is for a worker stalled between its
	// reservation and its write on a loaded 2-core machine (load average
	// 20 while eight developers test): politeness kept per worker instead
	// of globally gives gaps near zero (sub-millisecond gaps were measured
	// before Begin reserved each start in Redis).
	for h, g := range rep.MinGap {
		if g < r.delay/10 {
			t.Errorf("host %s: request starts %v apart across workers, want ≥ %v (delay %v)", h, g, r.delay/10, r.delay)
		}
	}
	// robots.txt once per host for the whole crawl; the test web's one
	// host that answers 503 to its first robots.txt request needs two. A
	// worker killed after fetching a robots.txt and before its completion
	// committed leaves it to be fetched again, like a page: with kills,
	// those refetches count against the same bound as duplicate pages.
	extra := -1 // the 503-once host's second request is expected
	for _, n := range rep.RobotsRequests {
		extra += n - 1
	}
	if extra > maxDup {
		t.Errorf("robots.txt fetched %d times more than once per host, want ≤ %d: %v", extra, maxDup, rep.RobotsRequests)
	}
	if len(rep.Duplicates) > maxDup {
		t.Errorf("%d duplicate fetches, want ≤ %d: %v", len(rep.Duplicates), maxDup, rep.Duplicates[:min(10, len(rep.Duplicates))])
	}
	stored := map[string]int{}
	exportArgs := []string{"export", "--format", "jsonl", "--no-body", "--out", filepath.Join(t.TempDir(), "all.jsonl")}
	for _, dir := range r.dirs {
		if !crawler.Exists(dir) {
			continue
		}
		exportArgs = append(exportArgs, "--dir", dir)
		rd, err := crawler.OpenPages(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := rd.Scan(context.Background(), func(rec *storage.Record) error { stored[rec.URL]++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for u := range expected {
		if stored[u] != 1 {
			t.Errorf("%s stored %d times across the workers' stores, want 1", u, stored[u])
		}
	}
	for u, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times across the workers' stores", u, n)
		}
	}
	// The workers' stores export as one (trawl export --dir W1 --dir W2
	// ...): every expected page once.
	if code, _, stderr := cli(t, "", exportArgs...); code != 0 {
		t.Fatalf("export of every worker's --dir: exit %d, %s", code, stderr)
	}
	exported := jsonlPages(t, exportArgs[5])
	for u, status := range expected {
		if p, ok := exported[u]; !ok || p.Status != status {
			t.Errorf("%s: exported %+v across the workers' stores, want status %d", u, p, status)
		}
	}
	t.Logf("%d requests, %d expected pages, %d stored, %d duplicate fetches; min gaps %v", rep.Requests, len(expected), len(stored), len(rep.Duplicates), rep.MinGap)
}

// start starts every worker.
func (r *sharedRig) start() []childProc {
	ps := make([]childProc, len(r.dirs))
	for i := range r.dirs {
		ps[i] = child(r.t, r.args(i)...)
	}
	return ps
}

// holdAfter has the web hold the request after n more and returns once
// one is held, so what the test does next lands mid-crawl; a crawl that
// finishes or hangs first fails the test.
func (r *sharedRig) holdAfter(n int64) *testweb.Hold {
	r.t.Helper()
	hold := r.web.HoldAfter(n)
	select {
	case <-hold.Reached():
	case <-beforeDeadline(r.t):
		r.t.Fatalf("crawl finished or hung before %d more requests", n)
	}
	return hold
}

// waitAll waits for every worker to exit and fails the test on an exit
// code other than want.
func (r *sharedRig) waitAll(ps []childProc, want int) {
	r.t.Helper()
	for i, p := range ps {
		if code := p.wait(r.t); code != want {
			r.t.Fatalf("worker %d exited %d, want %d:\n%s", i+1, code, want, p.Output())
		}
	}
}

func sharedWeb(seed int64) testweb.Config {
	return testweb.Config{Hosts: 6, PagesPerHost: 50, PageSize: 2 << 10, FanOut: 5, Seed: seed,
		Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond, Features: testweb.Clean()}
}

// TestSharedWorkersCrawlOnce: three workers on one Redis finish the crawl
// together, each exits 0, the whole test web is fetched once, politely,
// and the workers' directories export as one (JSONL, WARC, dir).
func TestSharedWorkersCrawlOnce(t *testing.T) {
	r := newSharedRig(t, 3, sharedWeb(21), 2, 100*time.Millisecond)
	ps := r.start()
	r.waitAll(ps, 0)
	for i, p := range ps {
		if !strings.Contains(p.Output(), "finished") {
			t.Errorf("worker %d summary:\n%s", i+1, p.Output())
		}
	}
	r.judge(0)
	// The workers' --dir export as one in every format, each page once.
	checkExportRoundTrip(t, r.dirs, r.web.Expected(), r.web.Seeds())
	code, out, stderr := cli(t, "", "status", "--frontier", r.redis.URL(), "--json")
	var st struct {
		State string `json:"state"`
		Stats struct{ Done, Queued, Leased int64 }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st.State != "finished" || st.Stats.Done < int64(len(r.web.Expected())) || st.Stats.Queued+st.Stats.Leased != 0 {
		t.Errorf("status --frontier: exit %d, %+v (%v), stdout %q, stderr %q", code, st, err, out, stderr)
	}
}

// TestSharedKill9Workers SIGKILLs random workers mid-crawl and resumes each;
// the judgement is the same as without kills, with duplicates bounded by
// the pipeline of each killed worker.
func TestSharedKill9Workers(t *testing.T) {
	sharedKillLoop(t, 4)
}

func sharedKillLoop(t *testing.T, kills int) {
	cfg := sharedWeb(22)
	// Each kill comes after up to 45 requests: the web must outlast them.
	cfg.PagesPerHost = max(cfg.PagesPerHost, 60*kills/cfg.Hosts+20)
	r := newSharedRig(t, 3, cfg, 2, 100*time.Millisecond)
	rng := torture.NewRand(t, 13)
	ps := r.start()
	done := 0
	for done < kills {
		hold := r.holdAfter(int64(5 + rng.IntN(40)))
		i := rng.IntN(len(ps))
		ps[i].Kill()
		hold.Release()
		done++
		ps[i] = child(t, r.args(i)...)
	}
	r.waitAll(ps, 0)
	r.judge(kills * torture.LeasesPerKill(childConcurrency))
}

// TestSharedRedisKilled SIGKILLs redis-server mid-crawl three times and
// starts it again from its AOF (appendfsync always): every worker loses its
// connection, waits, truncates its store to its checkpoint, rejoins, and
// the crawl ends as without the kills.
func TestSharedRedisKilled(t *testing.T) {
	r := newSharedRig(t, 3, sharedWeb(23), 2, 100*time.Millisecond)
	rng := torture.NewRand(t, 17)
	ps := r.start()
	const kills = 3
	for range kills {
		hold := r.holdAfter(int64(10 + rng.IntN(40)))
		r.redis.Kill()
		hold.Release()
		r.redis.Restart()
	}
	r.waitAll(ps, 0)
	// A worker that made no call while Redis was down reconnects without
	// noticing; one that lost its connection mid-call rejoins. Over three
	// kills at least one worker must have gone through the rejoin.
	rejoined := false
	for _, p := range ps {
		rejoined = rejoined || strings.Contains(p.Output(), "rejoining")
	}
	if !rejoined {
		t.Errorf("no worker rejoined after %d Redis kills:\n%s", kills, ps[0].Output())
	}
	r.judge(kills * len(ps) * torture.LeasesPerKill(childConcurrency))
}

// TestSharedStoppedWorkerIsFenced SIGSTOPs a worker until another worker
// has swept its leases (its heartbeat deadline passed), then SIGCONTs it:
// its late completions are refused, it stores nothing twice, rejoins and
// finishes; per-host in-flight never exceeds the limit at the server.
func TestSharedStoppedWorkerIsFenced(t *testing.T) {
	r := newSharedRig(t, 3, sharedWeb(24), 2, 100*time.Millisecond)
	ps := r.start()
	hold := r.holdAfter(40)
	ps[0].Signal(syscall.SIGSTOP)
	hold.Release()
	// Wait for the sweep: worker 1's incarnation leaves the live set.
	cl, err := redisfrontier.Dial(context.Background(), r.redis.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	wi, _, err := crawler.ReadWorker(r.dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	for swept := false; !swept; {
		st, _, err := redisfrontier.ReadStatus(context.Background(), cl, r.redis.URL(), "shared")
		if err != nil {
			t.Fatal(err)
		}
		swept = true
		for _, w := range st.Workers {
			if strings.HasPrefix(w.Incarnation, wi.WorkerID+":") {
				swept = false
			}
		}
		select {
		case <-beforeDeadline(t):
			t.Fatal("worker 1 was never swept")
		case <-time.After(50 * time.Millisecond):
		}
	}
	ps[0].Signal(syscall.SIGCONT)
	r.waitAll(ps, 0)
	if !strings.Contains(ps[0].Output(), "rejoining") {
		t.Errorf("worker 1 did not rejoin after it was fenced:\n%s", ps[0].Output())
	}
	r.judge(torture.LeasesPerKill(childConcurrency))
}

// TestSharedSIGTERMThenResume stops every worker gracefully mid-crawl and
// resumes them all: nothing is fetched twice.
func TestSharedSIGTERMThenResume(t *testing.T) {
	r := newSharedRig(t, 3, sharedWeb(25), 2, 100*time.Millisecond)
	ps := r.start()
	hold := r.holdAfter(60)
	for _, p := range ps {
		p.Signal(syscall.SIGTERM)
	}
	hold.Release()
	r.waitAll(ps, exitTerminated)
	r.waitAll(r.start(), 0) // resumed
	r.judge(0)
}

// envKills reads TORTURE_KILLS (0 if unset or invalid).
func envKills() int {
	n, err := strconv.Atoi(os.Getenv("TORTURE_KILLS"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// A worker whose scope differs from the crawl's is refused, naming what
// differs; a worker pointed at an evicting Redis is refused too.
func TestSharedJoinRefusals(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	cl, err := redisfrontier.Dial(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	stored := crawler.Default()
	stored.Seeds = []string{"http://a.test/"}
	b, _ := json.Marshal(stored)
	if _, _, err := redisfrontier.Init(ctx, cl, srv.URL(), "a.test", b, redisfrontier.Globals{PerHost: 2}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w2")
	code, _, stderr := cli(t, "", "crawl", "--frontier", srv.URL(), "--dir", dir, "--scope", "host", "--progress", "off", "http://a.test/")
	if code != exitUsage || !strings.Contains(stderr, "different scope (scope differ)") {
		t.Fatalf("joining with another scope: exit %d, stderr %q", code, stderr)
	}
	if err := cl.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "", "crawl", "--frontier", srv.URL(), "--dir", dir, "--progress", "off", "http://a.test/")
	if code != exitFailure || !strings.Contains(stderr, "maxmemory-policy is allkeys-lru") || !strings.Contains(stderr, srv.Addr()) {
		t.Fatalf("evicting Redis: exit %d, stderr %q", code, stderr)
	}
}

// `trawl recrawl --frontier` is refused with the limitation named (it ran
// as a plain resume that started no pass), before it touches the directory
// or Redis.
func TestSharedRecrawlRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w1")
	code, out, errOut := cli(t, "", "recrawl", "--frontier", "redis://127.0.0.1:1/0", "--dir", dir, "--progress", "off")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{"recrawl passes are not supported with a shared frontier", "--crawl NEW-NAME"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// A worker's directory of a shared crawl, given without --frontier, is
// refused with the command that continues it, and nothing is written in
// it (resume failed there on the missing frontier.db).
func TestSharedWorkerDirNeedsFrontier(t *testing.T) {
	dir := t.TempDir()
	if err := crawler.WriteWorker(dir, crawler.Worker{Frontier: "redis://10.0.0.5:6379/0", Crawl: "example.com", WorkerID: "abc"}); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"resume", "recrawl"} {
		code, out, errOut := cli(t, "", cmd, "--dir", dir, "--progress", "off")
		if code != exitUsage || !strings.Contains(errOut, "worker of the shared crawl \"example.com\"") ||
			!strings.Contains(errOut, "trawl resume --frontier redis://10.0.0.5:6379/0 --dir "+dir) {
			t.Errorf("%s: exit %d, want %d naming the crawl and the command\nstdout: %s\nstderr: %s", cmd, code, exitUsage, out, errOut)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the worker directory changed: %v", ents)
	}
}
