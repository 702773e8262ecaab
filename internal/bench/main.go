package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the driver's flags.
type options struct {
	Profiles    []string
	Scale       float64
	Concurrency int
	Timeout     time.Duration
	PprofSecs   int
	Keep        bool
	JSON        string
	Go          string
	TrawlArgs   []string // extra flags for every trawl run (e.g. --politeness-key domain)
	// The real-site benchmark (realsite.go): sites to run instead of the
	// test-web profiles, rounds, trawl's --per-host and the ceiling's
	// workers, the nginx binary and the PostgreSQL manual's directory.
	RealSites   []string
	Repeat      int
	RealPerHost int
	Nginx       string
	PGDocs      string
	TrawlBin    string
	// The shared-frontier benchmark (shared.go): worker counts to run
	// beside the bbolt frontier, and the redis-server binary.
	RedisWorkers []int
	RedisServer  string
	// RedisFsync is the appendfsync the driver's redis-server runs with
	// ("always", trawl's documented setting; "no" only to measure what the
	// AOF's fsyncs cost). RedisScripts turns on the per-script breakdown
	// (SLOWLOG of every command: it costs Redis a little itself).
	RedisFsync   string
	RedisScripts bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	prof := fs.String("profile", strings.Join(defaultProfiles, ","),
		"comma-separated profiles: fast-clean, wide-clean, fast, polite-wide, large (large is opt-in)")
	fs.Float64Var(&o.Scale, "scale", 1, "multiply every profile's host count by this (pages per host stay); 1 = 10k pages per default profile")
	fs.IntVar(&o.Concurrency, "concurrency", 256, "trawl --concurrency, colly's global Parallelism and the ceiling's workers")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "kill a crawler run after this long (large: 6 hours unless set)")
	fs.IntVar(&o.PprofSecs, "pprof", 3, "seconds of trawl CPU profile to take during fast-clean (0 = none)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (binaries, crawl state, profile)")
	fs.StringVar(&o.JSON, "json", "", "also write every result as JSON to this file")
	fs.StringVar(&o.Go, "go", "go", "the go command")
	fs.StringVar(&o.TrawlBin, "trawl", "", "run this trawl binary instead of building ./cmd/trawl (to compare two versions in one sitting)")
	trawlArgs := fs.String("trawl-args", "", "extra flags for trawl, space-separated (e.g. \"--politeness-key domain\")")
	real := fs.String("realsite", "", "run the real-site benchmark on these sites instead of the test web: "+strings.Join(realSiteNames, ", ")+" (nginx on 127.0.0.1)")
	fs.IntVar(&o.Repeat, "repeat", 1, "real-site and shared-frontier rounds (each runs every crawler or worker count once)")
	redisWorkers := fs.String("redis-workers", "", "run the shared-frontier benchmark instead: trawl with its bbolt frontier, then this many worker processes (comma-separated counts, e.g. 1,2,4) sharing one Redis frontier, on each profile")
	fs.StringVar(&o.RedisServer, "redis-server", "redis-server", "shared-frontier: the redis-server binary (started on 127.0.0.1 with AOF appendfsync always)")
	fs.StringVar(&o.RedisFsync, "redis-appendfsync", "always", "shared-frontier: the redis-server's appendfsync (always, everysec, no: the others only to measure what fsyncs cost)")
	fs.BoolVar(&o.RedisScripts, "redis-scripts", false, "shared-frontier: log every command in Redis's SLOWLOG and print calls and time per script and per page (costs Redis a few µs per script)")
	fs.IntVar(&o.RealPerHost, "realsite-per-host", 8, "real-site: trawl --per-host and the ceiling's workers")
	fs.StringVar(&o.Nginx, "nginx", "nginx", "real-site: the nginx binary")
	fs.StringVar(&o.PGDocs, "pgdocs", pgdocsDefault, "real-site: the PostgreSQL 15 HTML manual (Debian's postgresql-doc-15)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.Profiles = strings.Split(*prof, ",")
	o.TrawlArgs = strings.Fields(*trawlArgs)
	if *real != "" {
		o.RealSites = strings.Split(*real, ",")
		o.Profiles = nil
	}
	if *redisWorkers != "" {
		for _, f := range strings.Split(*redisWorkers, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return o, fmt.Errorf("redis-workers %q: want comma-separated counts of at least 1", *redisWorkers)
			}
			o.RedisWorkers = append(o.RedisWorkers, n)
		}
	}
	switch o.RedisFsync {
	case "always", "everysec", "no":
	default:
		return o, fmt.Errorf("redis-appendfsync %q: want always, everysec or no", o.RedisFsync)
	}
	if o.Repeat < 1 || o.RealPerHost < 1 {
		return o, fmt.Errorf("repeat %d, realsite-per-host %d: want at least 1", o.Repeat, o.RealPerHost)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["timeout"] && strings.Contains(*prof, "large") {
		o.Timeout = 6 * time.Hour
	}
	if o.Concurrency < 1 {
		return o, fmt.Errorf("concurrency %d: want at least 1", o.Concurrency)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var ps []profile
	for _, name := range o.Profiles {
		p, err := makeProfile(strings.TrimSpace(name), o.Scale)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	work, err := os.MkdirTemp("", "trawl-bench-")
	if err != nil {
		return fmt.Errorf("make work directory: %w", err)
	}
	if o.Keep {
		fmt.Fprintln(stderr, "bench: work directory", work)
	} else {
		defer os.RemoveAll(work)
	}
	fmt.Fprintf(stdout, "# trawl crawl benchmark\n\nmachine: %d CPUs (%s), %s, %s/%s; scale %g; concurrency %d\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, o.Scale, o.Concurrency)
	bins, err := buildAll(ctx, o.Go, work, stderr)
	if err != nil {
		return err
	}
	if o.TrawlBin != "" {
		bins.Trawl = o.TrawlBin
	}
	if len(o.RealSites) > 0 {
		return runRealSites(ctx, o, bins, work, stdout, stderr)
	}
	if len(o.RedisWorkers) > 0 {
		return runSharedProfiles(ctx, o, ps, bins, work, stdout, stderr)
	}
	var all []result
	var failed []string
	for _, p := range ps {
		rs, err := runProfile(ctx, o, p, bins, work, stdout, stderr)
		all = append(all, rs...)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Err != nil {
				failed = append(failed, p.Name+"/"+r.Crawler)
			}
		}
	}
	if o.JSON != "" {
		if err := writeJSON(o.JSON, all); err != nil {
			return err
		}
	}
	return failedRuns(failed)
}

// runProfile starts the profile's web and runs each crawler against it,
// resetting the judge before each run.
func runProfile(ctx context.Context, o options, p profile, bins binaries, work string, stdout, stderr io.Writer) ([]result, error) {
	web, expected, err := startWeb(p, p.Name, "", stdout)
	if err != nil {
		return nil, err
	}
	defer web.Close()
	var rs []result
	var top string
	for _, c := range p.Crawlers {
		web.Reset()
		dir := filepath.Join(work, p.Name+"-"+c)
		bin, args, metrics, err := commandFor(c, o, p, bins, web, dir)
		if err != nil {
			return rs, err
		}
		rctx, cancel := context.WithTimeout(ctx, o.Timeout)
		profDone := make(chan error, 1)
		profPath := filepath.Join(work, p.Name+"-trawl.cpu.pprof")
		if metrics != "" {
			go func() { profDone <- captureCPU(rctx, metrics, time.Second, o.PprofSecs, profPath) }()
		}
		use, runErr := runChild(rctx, bin, args, stderr)
		cancel()
		r := result{Profile: p.Name, crawlerRun: crawlerRun[figures]{Crawler: c, Use: use, Fig: summarise(web.Report(), expected), Err: runErr}}
		rs = append(rs, r)
		if runErr != nil {
			fmt.Fprintf(stderr, "bench: %s/%s: %v\n", p.Name, c, runErr)
		}
		if metrics != "" {
			if err := <-profDone; err != nil {
				fmt.Fprintf(stderr, "bench: cpu profile: %v\n", err)
			} else if top, err = pprofTop(ctx, o.Go, bins.Trawl, profPath, 25); err != nil {
				fmt.Fprintf(stderr, "bench: %v\n", err)
			}
		}
	}
	writeTable(stdout, rs)
	fmt.Fprintln(stdout)
	for _, v := range verdicts(p, rs) {
		fmt.Fprintln(stdout, "- "+v)
	}
	if top != "" {
		fmt.Fprintf(stdout, "\ntrawl CPU profile (%ds, taken 1s into the run):\n\n```\n%s```\n", o.PprofSecs, top)
	}
	return rs, nil
}

// startWeb starts p's web and prints the profile's heading (title, then
// the web's shape; note ends the "expected" line).
func startWeb(p profile, title, note string, stdout io.Writer) (*testweb.Web, map[string]int, error) {
	start := time.Now()
	web, err := testweb.Start(p.Web)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: start test web: %w", p.Name, err)
	}
	expected := web.Expected()
	fmt.Fprintf(stdout, "\n## %s: %d hosts × %d pages, latency %v ± %v, per-host %d, max-depth %d\n\n"+
		"expected: %d URLs, %d 2xx HTML pages (site generated in %.1fs)%s\n\n",
		title, p.Web.Hosts, p.Web.PagesPerHost, p.Web.Latency, p.Web.Jitter, p.PerHost, p.MaxDepth,
		len(expected), web.ExpectedPages(), time.Since(start).Seconds(), note)
	return web, expected, nil
}

// commandFor returns the binary and arguments that run crawler c on web,
// and the metrics address to profile trawl through ("" for none).
func commandFor(c string, o options, p profile, bins binaries, web *testweb.Web, dir string) (string, []string, string, error) {
	seeds := web.Seeds()
	switch c {
	case crawlerTrawl:
		args := []string{"crawl", "--dir", dir, "--fresh", "--proxy", web.ProxyURL(), "--allow-private",
			"--delay", "0", "--per-host", strconv.Itoa(p.PerHost), "--concurrency", strconv.Itoa(o.Concurrency),
			"--max-depth", strconv.Itoa(p.MaxDepth), "--progress", "off", "--log-level", "warn"}
		var metrics string
		if o.PprofSecs > 0 && p.Name == "fast-clean" {
			addr, err := freeLoopbackAddr()
			if err != nil {
				return "", nil, "", err
			}
			metrics = addr
			args = append(args, "--metrics", addr)
		}
		args = append(args, o.TrawlArgs...)
		return bins.Trawl, append(args, seeds...), metrics, nil
	case crawlerColly:
		args := []string{"-proxy", web.ProxyURL(), "-filter", `^https?://[^/]+\.` + p.Web.Name + `\.test(:80)?(/|$)`}
		if p.MaxDepth >= 0 {
			args = append(args, "-max-depth", strconv.Itoa(p.MaxDepth+1))
		}
		if p.CollyPerHost {
			args = append(args, "-parallelism", strconv.Itoa(p.PerHost), "-per-host", strings.Join(web.Hosts(), ","))
		} else {
			args = append(args, "-parallelism", strconv.Itoa(o.Concurrency))
		}
		return bins.Colly, append(args, seeds...), "", nil
	case crawlerCeiling:
		args := []string{"-proxy", web.ProxyURL(), "-workers", strconv.Itoa(o.Concurrency)}
		return bins.Ceiling, append(args, seeds...), "", nil
	}
	return "", nil, "", fmt.Errorf("crawler %q unknown", c)
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// jsonResult is the JSON form of a result.
type jsonResult struct {
	Profile     string  `json:"profile"`
	Crawler     string  `json:"crawler"`
	WallSec     float64 `json:"wall_s"`
	CPUSec      float64 `json:"cpu_s"`
	MaxRSSBytes int64   `json:"max_rss_bytes"`
	MaxAnon     int64   `json:"max_rss_anon_bytes"` // sampled, see usage
	MaxFile     int64   `json:"max_rss_file_bytes"`
	PagesPerSec float64 `json:"pages_per_s"`
	figures
	Err string `json:"error,omitempty"`
}

func toJSON(r result) jsonResult {
	j := jsonResult{Profile: r.Profile, Crawler: r.Crawler, WallSec: r.Use.Wall.Seconds(),
		CPUSec: r.Use.CPU.Seconds(), MaxRSSBytes: r.Use.MaxRSS, MaxAnon: r.Use.MaxAnon, MaxFile: r.Use.MaxFile, PagesPerSec: r.PagesPerSec(), figures: r.Fig}
	if r.Err != nil {
		j.Err = r.Err.Error()
	}
	return j
}

func writeJSON(path string, rs []result) error {
	out := make([]jsonResult, len(rs))
	for i, r := range rs {
		out[i] = toJSON(r)
	}
	return writeJSONFile(path, out)
}

// exitCell is a results table's exit column.
func exitCell(err error) string {
	if err != nil {
		return "FAILED"
	}
	return "ok"
}

// failedRuns is the error of a benchmark mode whose runs named in failed
// did not exit 0 (nil if none).
func failedRuns(failed []string) error {
	if len(failed) > 0 {
		return fmt.Errorf("runs that did not exit 0: %s", strings.Join(failed, ", "))
	}
	return nil
}

func writeJSONFile(path string, out any) error {
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
