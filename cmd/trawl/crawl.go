package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler"
)

// crawlRun is one crawl, resume or recrawl invocation as the command line
// and the --config file describe it.
type crawlRun struct {
	name       string // crawl, resume or recrawl
	resume     bool
	fc         fileConfig
	fs         *crawlFlagSet
	set        map[string]bool // flags given, by name
	fileKeys   map[string]bool // keys the --config file sets
	configPath string
	seeds      []string // positional seeds
	prog       *progress
	log        *slog.Logger
}

// runCrawl implements `trawl crawl` (resume=false), `trawl resume` and
// `trawl recrawl`: read the invocation, settle the configuration against
// what the directory holds, then run the crawl and turn its end into an
// exit code.
func runCrawl(ctx context.Context, env *cliEnv, args []string, resume bool) int {
	r, code := parseCrawlRun(env, args, resume)
	if r == nil {
		return code
	}
	if r.fs.shared.url != "" {
		if env.recrawl {
			env.errorf("%s", sharedRecrawl)
			return exitUsage
		}
		return runShared(ctx, env, r)
	}
	if refuseWorkerDir(env, r.fc.Dir) {
		return exitUsage
	}
	if code, ok := r.settleConfig(env); !ok {
		return code
	}
	return r.run(ctx, env)
}

// parseCrawlRun reads the --config file, then the flags over it, and
// builds the logger and progress line. A nil run comes with the exit code.
func parseCrawlRun(env *cliEnv, args []string, resume bool) (*crawlRun, int) {
	r := &crawlRun{name: "crawl", resume: resume, fc: defaultFileConfig(), set: map[string]bool{}}
	if resume {
		r.name = "resume"
	}
	if env.recrawl {
		r.name = "recrawl"
	}
	if path := preScanConfig(args); path != "" {
		if err := loadYAML(path, &r.fc); err != nil {
			env.errorf("%v", err)
			return nil, exitUsage
		}
		var err error
		if r.fileKeys, err = yamlKeys(path); err != nil {
			env.errorf("%v", err)
			return nil, exitUsage
		}
	}
	r.fs = crawlFlags(r.name, &r.fc, resume)
	seeds, err := r.fs.parse(args, env.stdout)
	if err != nil {
		if errors.Is(err, errHelpShown) {
			return nil, exitOK
		}
		env.errorf("%v", err)
		return nil, exitUsage
	}
	r.seeds, r.configPath = seeds, r.fs.configPath
	r.fs.Visit(func(f *flag.Flag) { r.set[f.Name] = true })

	r.prog = newProgress(env.stdout, r.fc.Progress)
	if r.log, err = newLogger(r.prog.clearing(env.stderr), r.fc.LogLevel, r.fc.LogFormat); err != nil {
		env.errorf("%v", err)
		return nil, exitUsage
	}
	switch r.fc.Progress {
	case "auto", "on", "off":
	default:
		env.errorf("--progress %q: want auto, on or off", r.fc.Progress)
		return nil, exitUsage
	}
	if r.fc.Heartbeat < 0 {
		env.errorf("--heartbeat must not be negative (0 turns it off)")
		return nil, exitUsage
	}
	return r, exitOK
}

// settleConfig makes the configuration the run will use — a resume's is
// the stored one with the operational settings given now, a new crawl's
// takes its seeds — validates it, and checks the directory (a new crawl
// refuses one that holds a crawl, unless --fresh discards it).
func (r *crawlRun) settleConfig(env *cliEnv) (int, bool) {
	fc := &r.fc
	if r.resume {
		if len(r.seeds) > 0 {
			env.errorf("resume takes no seed URLs; the crawl in %s keeps its own", fc.Dir)
			return exitUsage, false
		}
		stored, err := crawler.LoadConfig(fc.Dir)
		if err != nil {
			if errors.Is(err, crawler.ErrNoCrawl) {
				env.errorf("%s", noCrawl(fc.Dir))
			} else {
				env.errorf("resume: %v", err)
			}
			return exitUsage, false
		}
		merged, changed := resumeConfig(stored, fc.Config, r.set, r.fileKeys)
		if len(changed) > 0 {
			flags := make([]string, len(changed))
			for i, k := range changed {
				flags[i] = "--" + strings.ReplaceAll(k, "_", "-")
			}
			env.errorf("resume cannot change the crawl's scope (%s); start a new crawl with: trawl crawl --fresh --dir %s URL", strings.Join(flags, ", "), fc.Dir)
			return exitUsage, false
		}
		fc.Config = merged
	} else if !r.addSeeds(env) {
		return exitUsage, false
	}
	if err := fc.Config.Validate(); err != nil {
		env.errorf("%s", configProblem(err, r.set, r.configPath))
		return exitUsage, false
	}
	if r.resume || !crawler.Exists(fc.Dir) {
		return exitOK, true
	}
	if !r.fs.fresh {
		return refuseExisting(env, fc.Dir), false
	}
	if st, err := crawler.ReadStatus(fc.Dir); err == nil && st.State == crawler.StateRunning {
		env.errorf("%s is being crawled right now by process %d; stop it before --fresh", fc.Dir, st.PID)
		return exitUsage, false
	}
	if err := crawler.Discard(fc.Dir); err != nil {
		env.errorf("%v", err)
		return exitFailure, false
	}
	return exitOK, true
}

// addSeeds adds the seeds of a new crawl's command line and --seeds-file
// to its configuration (false after reporting a --seeds-file it could not
// read).
func (r *crawlRun) addSeeds(env *cliEnv) bool {
	seeds := r.seeds
	if r.fc.SeedsFile != "" {
		more, err := readSeeds(r.fc.SeedsFile, env.stdin)
		if err != nil {
			env.errorf("%v", err)
			return false
		}
		seeds = append(seeds, more...)
	}
	r.fc.Config.Seeds = append(r.fc.Config.Seeds, seeds...)
	return true
}

// run starts metrics, runs the crawl and prints its summary; the exit code
// says how it ended (SPEC: exit codes).
func (r *crawlRun) run(ctx context.Context, env *cliEnv) int {
	fc := &r.fc
	opts := []crawler.Option{crawler.WithLogger(r.log)}
	if fc.Metrics != "" {
		reg := prometheus.NewRegistry()
		opts = append(opts, crawler.WithMetrics(reg))
		metricsSrv, err := serveMetrics(fc.Metrics, reg, r.log)
		if err != nil {
			env.errorf("--metrics %s: %v", fc.Metrics, err)
			return exitUsage
		}
		defer metricsSrv.Close()
	}
	w := &watcher{prog: r.prog, log: r.log, heartbeat: fc.Heartbeat, dir: fc.Dir, delay: fc.Config.Delay}
	opts = append(opts, crawler.WithProgress(w.update))
	cr, err := crawler.New(fc.Dir, fc.Config, opts...)
	if err != nil {
		env.errorf("%v", err)
		return exitUsage
	}
	var st crawler.Stats
	switch {
	case env.recrawl:
		st, err = cr.Recrawl(ctx)
	case r.resume:
		st, err = cr.Resume(ctx)
	default:
		st, err = cr.Run(ctx)
	}
	if r.prog != nil {
		r.prog.clear()
	}
	if err != nil {
		return r.failed(env, st, err)
	}
	printSummary(env.stdout, st, resumeCommand(fc.Dir))
	if st.State != crawler.StateFinished {
		fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", fc.Dir)
		return interruptCode(ctx)
	}
	return exitOK
}

// failed reports a crawl that ended with err and returns its exit code.
func (r *crawlRun) failed(env *cliEnv, st crawler.Stats, err error) int {
	dir := r.fc.Dir
	switch {
	case errors.Is(err, crawler.ErrLocked):
		env.errorf("%v (is another trawl running on %s?)", err, dir)
	case errors.Is(err, crawler.ErrConfig):
		env.errorf("%v", err)
		return exitUsage
	case errors.Is(err, crawler.ErrAllSeedsFailed):
		env.errorf("%s: %v", r.name, err)
		printSummary(env.stdout, st, resumeCommand(dir))
		return exitFailure
	default:
		env.errorf("%s failed: %v", r.name, err)
	}
	printSummary(env.stdout, st, resumeCommand(dir))
	if crawler.Exists(dir) {
		fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", dir)
	}
	return exitFailure
}

// resumeConfig is the configuration a resume runs with: the stored one,
// with each operational setting the user gave — a flag (set, by flag name)
// or a key of the --config file (fileKeys) — taken from given; a setting
// given neither way keeps the value stored with the crawl, not the default.
// changed lists the scope settings the user tried to change (crawler's
// table decides which those are).
func resumeConfig(stored, given crawler.Config, set, fileKeys map[string]bool) (crawler.Config, []string) {
	isGiven := func(key string) bool {
		if key == "seeds" {
			return set["seeds-file"] || fileKeys["seeds_file"] || fileKeys["seeds"]
		}
		if key == "headers" { // the flag is singular and repeatable, as in wget and curl
			return set["header"] || fileKeys["headers"]
		}
		return set[strings.ReplaceAll(key, "_", "-")] || fileKeys[key]
	}
	if isGiven("seeds") && len(given.Seeds) == 0 {
		given.Seeds = []string{"(seeds-file)"} // any seeds given to a resume change the crawl
	}
	return crawler.ResumeConfig(stored, given, isGiven)
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
