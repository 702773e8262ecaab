package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler"
)

// runCrawl implements `trawl crawl` (resume=false) and `trawl resume`.
func runCrawl(ctx context.Context, env *cliEnv, args []string, resume bool) int {
	name := "crawl"
	if resume {
		name = "resume"
	}
	fc := defaultFileConfig()
	if path := preScanConfig(args); path != "" {
		if err := loadYAML(path, &fc); err != nil {
			env.errorf("%v", err)
			return exitUsage
		}
	}
	fs := crawlFlags(name, &fc, resume)
	seeds, err := fs.parse(args, env.stdout)
	if err != nil {
		if errors.Is(err, errHelpShown) {
			return exitOK
		}
		env.errorf("%v", err)
		return exitUsage
	}
	configPath, fresh := fs.configPath, fs.fresh
	c := &fc.Config
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	log, err := newLogger(env.stderr, fc.LogLevel, fc.LogFormat)
	if err != nil {
		env.errorf("%v", err)
		return exitUsage
	}
	switch fc.Progress {
	case "auto", "on", "off":
	default:
		env.errorf("--progress %q: want auto, on or off", fc.Progress)
		return exitUsage
	}

	if resume {
		if len(seeds) > 0 {
			env.errorf("resume takes no seed URLs; the crawl in %s keeps its own", fc.Dir)
			return exitUsage
		}
		stored, err := crawler.LoadConfig(fc.Dir)
		if err != nil {
			if errors.Is(err, crawler.ErrNoCrawl) {
				env.errorf("%s", noCrawl(fc.Dir))
			} else {
				env.errorf("resume: %v", err)
			}
			return exitUsage
		}
		merged := stored
		applyOperational(&merged, fc.Config, set, configPath != "")
		if changed := crawler.ScopeChanges(stored, scopeView(stored, fc.Config, set)); len(changed) > 0 {
			env.errorf("resume cannot change the crawl's scope (%s); start a new crawl with: trawl crawl --fresh --dir %s", strings.Join(changed, ", "), fc.Dir)
			return exitUsage
		}
		fc.Config = merged
	} else {
		if fc.SeedsFile != "" {
			more, err := readSeeds(fc.SeedsFile, env.stdin)
			if err != nil {
				env.errorf("%v", err)
				return exitUsage
			}
			seeds = append(seeds, more...)
		}
		c.Seeds = append(c.Seeds, seeds...)
	}
	if err := fc.Config.Validate(); err != nil {
		env.errorf("%s", configProblem(err, set, configPath))
		return exitUsage
	}
	if !resume && crawler.Exists(fc.Dir) {
		if !fresh {
			return refuseExisting(env, fc.Dir)
		}
		if st, err := crawler.ReadStatus(fc.Dir); err == nil && st.State == crawler.StateRunning {
			env.errorf("%s is being crawled right now by process %d; stop it before --fresh", fc.Dir, st.PID)
			return exitUsage
		}
		if err := crawler.Discard(fc.Dir); err != nil {
			env.errorf("%v", err)
			return exitFailure
		}
	}

	opts := []crawler.Option{crawler.WithLogger(log)}
	var metricsSrv *http.Server
	if fc.Metrics != "" {
		reg := prometheus.NewRegistry()
		opts = append(opts, crawler.WithMetrics(reg))
		metricsSrv, err = serveMetrics(fc.Metrics, reg, log)
		if err != nil {
			env.errorf("metrics: %v", err)
			return exitUsage
		}
		defer metricsSrv.Close()
	}
	prog := newProgress(env.stdout, fc.Progress)
	if prog != nil {
		opts = append(opts, crawler.WithProgress(prog.update))
	}
	cr, err := crawler.New(fc.Dir, fc.Config, opts...)
	if err != nil {
		env.errorf("%v", err)
		return exitUsage
	}
	start := time.Now()
	var st crawler.Stats
	if resume {
		st, err = cr.Resume(ctx)
	} else {
		st, err = cr.Run(ctx)
	}
	if prog != nil {
		prog.clear()
	}
	if err != nil {
		switch {
		case errors.Is(err, crawler.ErrLocked):
			env.errorf("%v (is another trawl running on %s?)", err, fc.Dir)
		case errors.Is(err, crawler.ErrConfig):
			env.errorf("%v", err)
			return exitUsage
		default:
			env.errorf("%s failed: %v", name, err)
		}
		printSummary(env, st, time.Since(start))
		if crawler.Exists(fc.Dir) {
			fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", fc.Dir)
		}
		return exitFailure
	}
	printSummary(env, st, time.Since(start))
	if st.State != crawler.StateFinished {
		fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", fc.Dir)
		return interruptCode(ctx)
	}
	return exitOK
}

// applyOperational copies the settings a resume may change, where the user
// gave them (flag or config file), onto the stored config.
func applyOperational(dst *crawler.Config, src crawler.Config, set map[string]bool, fromFile bool) {
	pick := func(flagName string) bool { return set[flagName] || fromFile }
	if pick("max-pages") {
		dst.MaxPages = src.MaxPages
	}
	if pick("concurrency") {
		dst.Concurrency = src.Concurrency
	}
	if pick("per-host") {
		dst.PerHost = src.PerHost
	}
	if pick("delay") {
		dst.Delay = src.Delay
	}
	if pick("timeout") {
		dst.Timeout = src.Timeout
	}
	if pick("max-body") {
		dst.MaxBody = src.MaxBody
	}
	if pick("retries") {
		dst.Retries = src.Retries
	}
	if pick("proxy") {
		dst.Proxy = src.Proxy
	}
	if pick("allow-private") {
		dst.AllowPrivate = src.AllowPrivate
	}
	if fromFile {
		dst.ConnectTimeout, dst.StallTimeout = src.ConnectTimeout, src.StallTimeout
		dst.RetryBackoff, dst.MaxBackoff = src.RetryBackoff, src.MaxBackoff
		dst.ProxyFromEnv, dst.ParseWorkers = src.ProxyFromEnv, src.ParseWorkers
	}
}

// scopeView is the stored config with the scope settings the user gave on
// this resume, for ScopeChanges to compare.
func scopeView(stored, given crawler.Config, set map[string]bool) crawler.Config {
	v := stored
	if set["max-depth"] {
		v.MaxDepth = given.MaxDepth
	}
	if set["scope"] {
		v.Scope = given.Scope
	}
	if set["include"] {
		v.Include = given.Include
	}
	if set["exclude"] {
		v.Exclude = given.Exclude
	}
	if set["user-agent"] {
		v.UserAgent = given.UserAgent
	}
	if set["ignore-robots"] {
		v.IgnoreRobots = given.IgnoreRobots
	}
	if set["follow-nofollow"] {
		v.FollowNofollow = given.FollowNofollow
	}
	if set["seeds-file"] {
		v.Seeds = append([]string{"(seeds-file)"}, stored.Seeds...)
	}
	return v
}

func refuseExisting(env *cliEnv, dir string) int {
	st, err := crawler.ReadStatus(dir)
	switch {
	case err != nil:
		env.errorf("%s already holds crawl state (%v); continue it with: trawl resume --dir %s, or discard it with --fresh", dir, err, dir)
	case st.State == crawler.StateRunning:
		env.errorf("%s is being crawled right now by process %d", dir, st.PID)
	case st.State == crawler.StateFinished:
		env.errorf("%s holds a finished crawl (%d done); start over with --fresh, or export it with: trawl export --dir %s --format jsonl --out pages.jsonl", dir, st.Done, dir)
	default:
		env.errorf("%s holds an unfinished crawl (%d done, %d queued); continue it with: trawl resume --dir %s (or discard it with --fresh)", dir, st.Done, st.Queued, dir)
	}
	return exitUsage
}

func printSummary(env *cliEnv, st crawler.Stats, dur time.Duration) {
	rate := 0.0
	if dur > 0 {
		rate = float64(st.Done+st.Failed) / dur.Seconds()
	}
	state := st.State
	if state == "" {
		state = "stopped"
	}
	fmt.Fprintf(env.stdout, "trawl: %s: %d done, %d failed, %d skipped, %d queued, %d hosts, %s stored in %s (%.1f pages/s)\n",
		state, st.Done, st.Failed, st.Skipped, st.Queued, st.Hosts, humanBytes(st.BytesStored), dur.Round(time.Millisecond), rate)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
