package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler"
)

// sharedFlags are the flags of a worker of a crawl whose frontier is
// shared in Redis (README: Crawling from several machines).
type sharedFlags struct {
	url      string
	crawl    string
	leaseTTL time.Duration
	wait     time.Duration
}

func (s *sharedFlags) define(fs *crawlFlagSet) {
	fs.StringVar(&s.url, "frontier", "", "share the crawl's frontier in the Redis at `URL` (redis://HOST:PORT/DB): several workers, each with its own --dir, crawl together")
	fs.StringVar(&s.crawl, "crawl", "", "`NAME` of the crawl in the shared frontier (default: the first seed's host)")
	fs.DurationVar(&s.leaseTTL, "lease-ttl", 10*time.Second, "with --frontier: a worker that stops heart-beating loses its leases after `DURATION`")
	fs.DurationVar(&s.wait, "redis-wait", 2*time.Minute, "with --frontier: how long a worker waits for a lost Redis to come back before it exits (`DURATION`)")
	fs.group("Shared frontier (several workers)", "frontier", "crawl", "lease-ttl", "redis-wait")
}

// refuseWorkerDir refuses crawl, resume or recrawl without --frontier in
// the directory of a worker of a shared crawl (its crawl is in Redis): a
// resume failed there on the missing frontier.db, with a cryptic error,
// and a summary that advised the same command again.
func refuseWorkerDir(env *cliEnv, dir string) bool {
	wi, ok, err := crawler.ReadWorker(dir)
	if err != nil || !ok {
		return false
	}
	env.errorf("%s is a worker of the shared crawl %q: continue it with trawl resume --frontier %s --dir %s (the Redis URL with its password, if it has one)",
		dir, wi.Crawl, wi.Frontier, dir)
	return true
}

// sharedRecrawl refuses `trawl recrawl --frontier` (before, it ran as a
// plain resume and started no pass): a pass queues every finished URL
// again with its validators, and the Redis frontier keeps no record of
// finished URLs, only their fingerprints (docs/ARCHITECTURE.md).
const sharedRecrawl = "recrawl passes are not supported with a shared frontier (--frontier): Redis keeps no record of the crawl's finished URLs to queue again; " +
	"recrawl a crawl kept in one --dir, or crawl again as a new shared crawl (trawl crawl --frontier URL --crawl NEW-NAME --dir NEW-DIR SEED...)"

// defaultCrawlName is the first seed's host.
func defaultCrawlName(seeds []string) string {
	if len(seeds) == 0 {
		return ""
	}
	u, err := url.Parse(seeds[0])
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// sharedRun is one worker of a crawl whose frontier is in Redis, as its
// command line describes it.
type sharedRun struct {
	*crawlRun
	sf         sharedFlags
	crawl      string         // the crawl's name in Redis
	wi         crawler.Worker // this directory's worker.json, when haveWorker
	haveWorker bool
}

// runShared runs `trawl crawl|resume --frontier URL`: one worker of a
// crawl whose frontier is in Redis. The first worker creates the crawl;
// the others join it with the same command (their scope must be the same).
// --per-host, --delay and --max-pages are the crawl's, shared by all. A
// lost connection or a missed heartbeat makes the worker stop, wait for
// Redis, truncate its page store to its committed checkpoint and rejoin.
func runShared(ctx context.Context, env *cliEnv, r *crawlRun) int {
	s := &sharedRun{crawlRun: r, sf: r.fs.shared, crawl: r.fs.shared.crawl}
	if code, ok := s.settleWorker(env); !ok {
		return code
	}
	lock, code := s.lockDir(env)
	if lock == nil {
		return code
	}
	defer lock.Close()
	if code := s.join(ctx, env); code != exitOK {
		return code
	}
	var reg *prometheus.Registry
	if s.fc.Metrics != "" {
		reg = prometheus.NewRegistry()
		srv, err := serveMetrics(s.fc.Metrics, reg, s.log)
		if err != nil {
			env.errorf("metrics: %v", err)
			return exitUsage
		}
		defer srv.Close()
	}
	return s.work(ctx, env, reg)
}

// settleWorker reads the directory's worker file and settles the crawl's
// name and configuration: a resume's is the stored one with the
// operational settings given now; a new worker's takes its seeds, and
// --fresh discards what the directory held.
func (s *sharedRun) settleWorker(env *cliEnv) (int, bool) {
	if s.sf.leaseTTL < 500*time.Millisecond {
		env.errorf("--lease-ttl %v: want at least 500ms", s.sf.leaseTTL)
		return exitUsage, false
	}
	var err error
	s.wi, s.haveWorker, err = crawler.ReadWorker(s.fc.Dir)
	if err != nil {
		env.errorf("%v", err)
		return exitUsage, false
	}
	if s.resume {
		return s.settleResume(env)
	}
	return s.settleStart(env)
}

// settleResume: the directory must hold a worker of the named crawl, and
// the scope stays the stored one.
func (s *sharedRun) settleResume(env *cliEnv) (int, bool) {
	dir := s.fc.Dir
	if len(s.seeds) > 0 {
		env.errorf("resume takes no seed URLs; the shared crawl keeps its own")
		return exitUsage, false
	}
	if !s.haveWorker || !crawler.Exists(dir) {
		env.errorf("no worker of a shared crawl in %s (start one with: trawl crawl --frontier %s --dir %s URL)", dir, crawler.RedactedURL(s.sf.url), dir)
		return exitUsage, false
	}
	if s.crawl != "" && s.crawl != s.wi.Crawl {
		env.errorf("%s is a worker of crawl %q, not %q", dir, s.wi.Crawl, s.crawl)
		return exitUsage, false
	}
	s.crawl = s.wi.Crawl
	stored, err := crawler.LoadConfig(dir)
	if err != nil {
		env.errorf("resume: %v", err)
		return exitUsage, false
	}
	merged, changed := resumeConfig(stored, s.fc.Config, s.set, s.fileKeys)
	if len(changed) > 0 {
		env.errorf("resume cannot change the crawl's scope (%s)", strings.Join(changed, ", "))
		return exitUsage, false
	}
	s.fc.Config = merged
	return exitOK, true
}

// settleStart: the seeds given now, the crawl's name (default: the first
// seed's host), and a directory that holds no worker unless --fresh.
func (s *sharedRun) settleStart(env *cliEnv) (int, bool) {
	dir := s.fc.Dir
	if !s.addSeeds(env) {
		return exitUsage, false
	}
	if s.crawl == "" {
		s.crawl = defaultCrawlName(s.fc.Config.Seeds)
	}
	if s.crawl == "" {
		env.errorf("name the shared crawl with --crawl NAME (or give a seed URL: its host is the default name)")
		return exitUsage, false
	}
	if crawler.Exists(dir) {
		if !s.fs.fresh {
			env.errorf("%s already holds a worker of crawl %q; continue it with: trawl resume --frontier %s --dir %s (or start this worker over with --fresh)",
				dir, s.wi.Crawl, crawler.RedactedURL(s.sf.url), dir)
			return exitUsage, false
		}
		if err := crawler.Discard(dir); err != nil {
			env.errorf("%v", err)
			return exitFailure, false
		}
		s.haveWorker = false
	}
	if s.haveWorker && s.wi.Crawl != s.crawl {
		s.haveWorker = false // a start killed before it ran: a new worker
	}
	return exitOK, true
}

// lockDir checks the crawl's name, creates the directory and takes its
// worker lock (nil with the exit code when it cannot).
func (s *sharedRun) lockDir(env *cliEnv) (io.Closer, int) {
	if err := crawler.ValidCrawlName(s.crawl); err != nil {
		env.errorf("--crawl: %v", err)
		return nil, exitUsage
	}
	if err := os.MkdirAll(s.fc.Dir, 0o755); err != nil {
		env.errorf("create %s: %v", s.fc.Dir, err)
		return nil, exitFailure
	}
	lock, err := crawler.LockWorker(s.fc.Dir)
	if err != nil {
		env.errorf("%v", err)
		return nil, exitUsage
	}
	return lock, exitOK
}

// join creates the crawl in Redis or checks this worker against it, takes
// the crawl's settings, and records the worker in its directory.
func (s *sharedRun) join(ctx context.Context, env *cliEnv) int {
	sh, err := crawler.DialShared(ctx, s.sf.url, s.log)
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	err = sh.Join(ctx, s.crawl, &s.fc.Config, s.resume, crawler.SharedSettings{PerHost: s.set["per-host"], Delay: s.set["delay"], MaxPages: s.set["max-pages"]})
	sh.Close()
	if code := s.joinFailed(env, err); code != exitOK {
		return code
	}
	if err := s.fc.Config.Validate(); err != nil {
		env.errorf("%s", configProblem(err, s.set, s.fs.configPath))
		return exitUsage
	}
	if !s.haveWorker {
		s.wi = crawler.NewWorker(s.sf.url, s.crawl)
		if err := crawler.WriteWorker(s.fc.Dir, s.wi); err != nil {
			env.errorf("%v", err)
			return exitFailure
		}
	}
	return exitOK
}

// work runs the worker until the crawl ends or it stops, rejoining after
// each lost connection or missed heartbeat; the exit code says how it
// ended (SPEC: exit codes).
func (s *sharedRun) work(ctx context.Context, env *cliEnv, reg *prometheus.Registry) int {
	dir := s.fc.Dir
	w := &watcher{prog: s.prog, log: s.log, heartbeat: s.fc.Heartbeat, dir: dir, delay: s.fc.Config.Delay}
	s.log.Info("worker joining shared crawl", "crawl", s.crawl, "frontier", crawler.RedactedURL(s.sf.url), "worker", s.wi.WorkerID)
	for run := 1; ; run++ {
		cr, err := s.newCrawler(ctx, w, reg, run)
		if err != nil {
			env.errorf("%v", err)
			return exitUsage
		}
		var st crawler.Stats
		if crawler.Exists(dir) {
			st, err = cr.Resume(ctx)
		} else {
			st, err = cr.Run(ctx)
		}
		if s.prog != nil {
			s.prog.clear()
		}
		if err != nil && crawler.Rejoinable(err) && ctx.Err() == nil {
			s.log.Warn("worker lost its place in the shared crawl; rejoining", "err", err)
			if werr := crawler.WaitShared(ctx, s.sf.url, s.sf.wait, s.log); werr != nil {
				env.errorf("%s failed: %v (then: %v)", s.fs.cmd, err, werr)
				printSummary(env.stdout, st, s.resumeCommand())
				return exitFailure
			}
			continue
		}
		return s.ended(ctx, env, st, err)
	}
}

// newCrawler makes the crawler of the worker's run-th run, over the
// shared frontier.
func (s *sharedRun) newCrawler(ctx context.Context, w *watcher, reg *prometheus.Registry, run int) (*crawler.Crawler, error) {
	opts := []crawler.Option{crawler.WithLogger(s.log), crawler.WithProgress(w.update),
		crawler.WithSharedFrontier(crawler.SharedWorker{URL: s.sf.url, Worker: s.wi, LeaseTTL: s.sf.leaseTTL, Rejoined: run > 1})}
	if reg != nil {
		// A rejoin registers the crawl's metrics again: label each run.
		opts = append(opts, crawler.WithMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"run": strconv.Itoa(run)}, reg)))
	}
	return crawler.New(s.fc.Dir, s.fc.Config, opts...)
}

// resumeCommand is the command that rejoins this worker.
func (s *sharedRun) resumeCommand() string {
	return "trawl resume --frontier " + crawler.RedactedURL(s.sf.url) + " --dir " + s.fc.Dir
}

// ended reports how the worker's last run ended and returns the exit code.
func (s *sharedRun) ended(ctx context.Context, env *cliEnv, st crawler.Stats, err error) int {
	if err != nil {
		switch {
		case errors.Is(err, crawler.ErrConfig):
			env.errorf("%v", err)
			return exitUsage
		default:
			env.errorf("%s failed: %v", s.fs.cmd, err)
		}
		printSummary(env.stdout, st, s.resumeCommand())
		fmt.Fprintf(env.stdout, "resume with: %s\n", s.resumeCommand())
		return exitFailure
	}
	printSummary(env.stdout, st, s.resumeCommand())
	if st.State != crawler.StateFinished {
		fmt.Fprintf(env.stdout, "resume with: %s\n", s.resumeCommand())
		return interruptCode(ctx)
	}
	return exitOK
}

// joinFailed reports why joining the shared crawl failed and returns the
// exit code (exitOK when err is nil).
func (s *sharedRun) joinFailed(env *cliEnv, err error) int {
	var scope *crawler.ScopeMismatchError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, crawler.ErrNoSharedCrawl):
		env.errorf("no crawl %q in %s to join; start it with seed URLs", s.crawl, crawler.RedactedURL(s.sf.url))
		return exitUsage
	case errors.As(err, &scope):
		env.errorf("%v; join it with the same seeds and scope flags, or with no seeds: trawl crawl --frontier %s --crawl %s --dir DIR",
			scope, crawler.RedactedURL(s.sf.url), s.crawl)
		return exitUsage
	}
	env.errorf("%v", err)
	return exitFailure
}

// sharedStatus implements `trawl status --frontier URL [--crawl NAME]`:
// the whole crawl's counters and its live workers, read from Redis.
func sharedStatus(env *cliEnv, rawURL, name string, asJSON bool) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sh, err := crawler.DialShared(ctx, rawURL, nil)
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	defer sh.Close()
	if name == "" {
		names, err := sh.Crawls(ctx)
		if err != nil {
			env.errorf("%v", err)
			return exitFailure
		}
		switch len(names) {
		case 0:
			env.errorf("no crawl in %s (start one with: trawl crawl --frontier %s --dir DIR URL)", crawler.RedactedURL(rawURL), crawler.RedactedURL(rawURL))
			return exitUsage
		case 1:
			name = names[0]
		default:
			env.errorf("%s holds %d crawls (%s): name one with --crawl NAME", crawler.RedactedURL(rawURL), len(names), strings.Join(names, ", "))
			return exitUsage
		}
	}
	st, ok, err := sh.Status(ctx, name)
	if err != nil {
		env.errorf("%v", err)
		return exitFailure
	}
	if !ok {
		env.errorf("no crawl %q in %s", name, crawler.RedactedURL(rawURL))
		return exitUsage
	}
	state := "running"
	switch {
	case st.Drained:
		state = "finished"
	case len(st.Workers) == 0:
		state = "interrupted"
	}
	if asJSON {
		b, _ := json.Marshal(struct {
			crawler.SharedStatus
			State    string `json:"state"`
			PerHost  int    `json:"per_host"`
			DelayMS  int64  `json:"delay_ms"`
			MaxPages int64  `json:"max_pages"`
		}{st, state, st.Globals.PerHost, st.Globals.Delay.Milliseconds(), st.Globals.MaxPages})
		fmt.Fprintf(env.stdout, "%s\n", b)
		return exitOK
	}
	s := st.Stats
	fmt.Fprintf(env.stdout, "crawl %s in %s: %s\n", name, crawler.RedactedURL(rawURL), state)
	fmt.Fprintf(env.stdout, "  %d done, %d failed, %d skipped, %d queued, %d leased, %d hosts, %s stored\n",
		s.Done, s.Failed, s.Skipped, s.Queued, s.Leased, s.Hosts, humanBytes(s.Bytes))
	fmt.Fprintf(env.stdout, "  per host: %d in flight, %v between request starts; max pages: %d\n", st.Globals.PerHost, st.Globals.Delay, st.Globals.MaxPages)
	fmt.Fprintf(env.stdout, "  %d live workers\n", len(st.Workers))
	for _, w := range st.Workers {
		fmt.Fprintf(env.stdout, "    %s: %d leases, heartbeat deadline %s\n", w.Incarnation, w.Leases, w.Deadline.UTC().Format(time.RFC3339))
	}
	writeOwedReparses(env.stdout, st.Reparses)
	return exitOK
}

// writeOwedReparses lists the workers that owe re-extractions (pages they
// stored, found on a shorter path): only they can read those pages, so
// one that is not running does its own when it is resumed.
func writeOwedReparses(w io.Writer, owed map[string]int64) {
	if len(owed) == 0 {
		return
	}
	fmt.Fprintf(w, "  re-extractions owed (pages found on a shorter path: the worker that stored each must read it; resume it if it is not running):\n")
	for _, wid := range slices.Sorted(maps.Keys(owed)) {
		fmt.Fprintf(w, "    worker_id %s (in its --dir's %s): %d\n", wid, crawler.WorkerFile, owed[wid])
	}
}
