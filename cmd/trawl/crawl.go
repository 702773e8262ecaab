package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler"
)

// runCrawl implements `trawl crawl` (resume=false) and `trawl resume`.
func runCrawl(ctx context.Context, env *cliEnv, args []string, resume bool) int {
	name := "crawl"
	if resume {
		name = "resume"
	}
	if env.recrawl {
		name = "recrawl"
	}
	fc := defaultFileConfig()
	var fileKeys map[string]bool // the keys the --config file sets
	if path := preScanConfig(args); path != "" {
		if err := loadYAML(path, &fc); err != nil {
			env.errorf("%v", err)
			return exitUsage
		}
		var err error
		if fileKeys, err = yamlKeys(path); err != nil {
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

	prog := newProgress(env.stdout, fc.Progress)
	log, err := newLogger(prog.clearing(env.stderr), fc.LogLevel, fc.LogFormat)
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
	if fc.Heartbeat < 0 {
		env.errorf("--heartbeat must not be negative (0 turns it off)")
		return exitUsage
	}

	if fs.shared.url != "" {
		return runShared(ctx, env, fs, &fc, seeds, set, fileKeys, prog, log, resume)
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
		merged, changed := resumeConfig(stored, fc.Config, set, fileKeys)
		if len(changed) > 0 {
			flags := make([]string, len(changed))
			for i, k := range changed {
				flags[i] = "--" + strings.ReplaceAll(k, "_", "-")
			}
			env.errorf("resume cannot change the crawl's scope (%s); start a new crawl with: trawl crawl --fresh --dir %s URL", strings.Join(flags, ", "), fc.Dir)
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
			env.errorf("--metrics %s: %v", fc.Metrics, err)
			return exitUsage
		}
		defer metricsSrv.Close()
	}
	w := &watcher{prog: prog, log: log, heartbeat: fc.Heartbeat, dir: fc.Dir, delay: fc.Config.Delay}
	opts = append(opts, crawler.WithProgress(w.update))
	cr, err := crawler.New(fc.Dir, fc.Config, opts...)
	if err != nil {
		env.errorf("%v", err)
		return exitUsage
	}
	var st crawler.Stats
	if env.recrawl {
		st, err = cr.Recrawl(ctx)
	} else if resume {
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
		case errors.Is(err, crawler.ErrAllSeedsFailed):
			env.errorf("%s: %v", name, err)
			printSummary(env.stdout, st, fc.Dir)
			return exitFailure
		default:
			env.errorf("%s failed: %v", name, err)
		}
		printSummary(env.stdout, st, fc.Dir)
		if crawler.Exists(fc.Dir) {
			fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", fc.Dir)
		}
		return exitFailure
	}
	printSummary(env.stdout, st, fc.Dir)
	if st.State != crawler.StateFinished {
		fmt.Fprintf(env.stdout, "resume with: trawl resume --dir %s\n", fc.Dir)
		return interruptCode(ctx)
	}
	return exitOK
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
