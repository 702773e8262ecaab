package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier/redisfrontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// The shared-frontier benchmark (issue 13, `make bench-redis`): on one
// profile's web, trawl with its bbolt frontier (one process), then 1, 2, 4…
// trawl worker processes sharing one Redis frontier, each with the same
// --concurrency, all in one run so their ratios compare like with like.
// The redis-server is the driver's own (127.0.0.1, a free port, AOF
// appendfsync always, as the README documents), started once and stopped
// at the end; each run is a new crawl in a flushed database.

// sharedRun is one row: the bbolt frontier (Workers 0) or N Redis workers.
type sharedRun struct {
	result
	Workers int
	Redis   redisUse
	Robots  int // robots.txt requests, all hosts (the test web answers some 503 once: those are asked twice)
}

// sharedJSON is the JSON form of a sharedRun (Workers 0: the bbolt
// frontier).
type sharedJSON struct {
	jsonResult
	Workers       int     `json:"workers"`
	Robots        int     `json:"robots_requests"`
	RedisCPUSec   float64 `json:"redis_cpu_s"`
	RedisCommands int64   `json:"redis_commands"`
	RedisMemory   int64   `json:"redis_used_memory_bytes"`
}

// redisUse is what redis-server did during one run, from INFO.
type redisUse struct {
	CPU      time.Duration // used_cpu_user + used_cpu_sys
	User     time.Duration // used_cpu_user alone (Lua, commands, the event loop)
	Sys      time.Duration // used_cpu_sys alone (sockets, AOF writes and fsyncs)
	Commands int64         // total_commands_processed (scripts' inner calls included)
	Calls    map[string]cmdStat
	Memory   int64 // used_memory at the end
	// Scripts is the SLOWLOG's top-level commands of the run by name (a
	// script's name from redisfrontier.ScriptNames, else the command's),
	// with -redis-scripts only.
	Scripts map[string]cmdStat
}

// cmdStat is one INFO commandstats line.
type cmdStat struct {
	Calls int64
	Usec  int64
}

// label names a row.
func (r sharedRun) label() string {
	if r.Workers == 0 {
		return "bbolt, 1 process"
	}
	return fmt.Sprintf("redis, %d worker%s", r.Workers, map[bool]string{true: "s"}[r.Workers > 1])
}

// runShared runs the profile's web with the bbolt frontier and then with
// each worker count in o.RedisWorkers, o.Repeat rounds, and prints the
// table and the ratios.
func runShared(ctx context.Context, o options, p profile, bins binaries, work string, stdout, stderr io.Writer) ([]sharedRun, error) {
	bin, err := exec.LookPath(o.RedisServer)
	if err != nil {
		return nil, fmt.Errorf("redis-server not found (apt-get install redis-server): %w", err)
	}
	rdir := filepath.Join(work, "redis")
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		return nil, fmt.Errorf("make redis directory: %w", err)
	}
	srv, err := redistest.Launch(bin, rdir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer cl.Close()
	if err := configureRedis(ctx, cl, o); err != nil {
		return nil, err
	}

	web, expected, err := startWeb(p, fmt.Sprintf("%s, shared frontier, concurrency %d per process", p.Name, o.Concurrency),
		fmt.Sprintf("; redis-server %s, pid %d, AOF appendfsync %s", redisVersion(ctx, cl), srv.Pid(), o.RedisFsync), stdout)
	if err != nil {
		return nil, err
	}
	defer web.Close()

	var rs []sharedRun
	for round := 1; round <= o.Repeat; round++ {
		for _, n := range append([]int{0}, o.RedisWorkers...) {
			web.Reset()
			if err := cl.FlushAll(ctx).Err(); err != nil {
				return rs, fmt.Errorf("flush redis before a run: %w", err)
			}
			if err := cl.ConfigResetStat(ctx).Err(); err != nil {
				return rs, fmt.Errorf("reset redis stats: %w", err)
			}
			if err := cl.SlowLogReset(ctx).Err(); err != nil {
				return rs, fmt.Errorf("reset redis slowlog: %w", err)
			}
			before, err := readRedisUse(ctx, cl)
			if err != nil {
				return rs, err
			}
			rctx, cancel := context.WithTimeout(ctx, o.Timeout)
			base := filepath.Join(work, fmt.Sprintf("%s-r%d-w%d", p.Name, round, n))
			use, runErr := runWorkers(rctx, bins.Trawl, sharedArgs(o, p, web, srv.URL(), fmt.Sprintf("bench-%d-%d", round, n), base, n), stderr)
			cancel()
			after, err := readRedisUse(ctx, cl)
			if err != nil {
				return rs, err
			}
			rep := web.Report()
			r := sharedRun{result: result{Profile: p.Name, crawlerRun: crawlerRun[figures]{Crawler: "trawl", Use: use, Fig: summarise(rep, expected), Err: runErr}}, Workers: n}
			for _, c := range rep.RobotsRequests {
				r.Robots += c
			}
			if n > 0 {
				r.Redis = redisUse{CPU: after.CPU - before.CPU, User: after.User - before.User, Sys: after.Sys - before.Sys,
					Commands: after.Commands - before.Commands, Calls: after.Calls, Memory: after.Memory}
				if o.RedisScripts {
					if r.Redis.Scripts, err = readScripts(ctx, cl); err != nil {
						return rs, err
					}
				}
			}
			rs = append(rs, r)
			if runErr != nil {
				fmt.Fprintf(stderr, "bench: %s/%s: %v\n", p.Name, r.label(), runErr)
			}
		}
	}
	writeSharedTable(stdout, rs)
	fmt.Fprintln(stdout)
	for _, v := range sharedVerdicts(p, rs) {
		fmt.Fprintln(stdout, "- "+v)
	}
	writeScriptCosts(stdout, rs)
	return rs, nil
}

// sharedArgs is the command line of each process of one run: one bbolt
// crawl (workers 0) or n workers of crawl name in the Redis at url.
func sharedArgs(o options, p profile, web *testweb.Web, url, name, base string, n int) [][]string {
	common := func(dir string) []string {
		a := []string{"crawl", "--dir", dir, "--fresh", "--proxy", web.ProxyURL(), "--allow-private",
			"--delay", "0", "--per-host", strconv.Itoa(p.PerHost), "--concurrency", strconv.Itoa(o.Concurrency),
			"--max-depth", strconv.Itoa(p.MaxDepth), "--progress", "off", "--log-level", "warn"}
		return append(a, o.TrawlArgs...)
	}
	if n == 0 {
		return [][]string{append(common(base), web.Seeds()...)}
	}
	var out [][]string
	for i := range n {
		a := append(common(filepath.Join(base, fmt.Sprintf("w%d", i+1))), "--frontier", url, "--crawl", name)
		out = append(out, append(a, web.Seeds()...))
	}
	return out
}

// runWorkers starts every command at once and waits for all: the wall time
// is from the first start to the last exit, CPU the sum of the processes'
// and peak RSS the largest one's.
func runWorkers(ctx context.Context, bin string, cmds [][]string, stderr io.Writer) (usage, error) {
	start := time.Now()
	uses := make([]usage, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uses[i], errs[i] = runChild(ctx, bin, args, stderr)
		}()
	}
	wg.Wait()
	u := usage{Wall: time.Since(start)}
	var failed []string
	for i, w := range uses {
		u.CPU += w.CPU
		u.MaxRSS = max(u.MaxRSS, w.MaxRSS)
		u.MaxAnon = max(u.MaxAnon, w.MaxAnon)
		u.MaxFile = max(u.MaxFile, w.MaxFile)
		if errs[i] != nil {
			failed = append(failed, fmt.Sprintf("process %d: %v", i+1, errs[i]))
		}
	}
	if len(failed) > 0 {
		return u, fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return u, nil
}

// readRedisUse reads the server's CPU, command count, per-command stats
// and memory.
func readRedisUse(ctx context.Context, cl *redis.Client) (redisUse, error) {
	s, err := cl.Info(ctx, "cpu", "stats", "memory", "commandstats").Result()
	if err != nil {
		return redisUse{}, fmt.Errorf("redis INFO: %w", err)
	}
	u := redisUse{Calls: map[string]cmdStat{}}
	var user, sys float64
	for _, line := range strings.Split(s, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case k == "used_cpu_user":
			user, _ = strconv.ParseFloat(v, 64)
		case k == "used_cpu_sys":
			sys, _ = strconv.ParseFloat(v, 64)
		case k == "total_commands_processed":
			u.Commands, _ = strconv.ParseInt(v, 10, 64)
		case k == "used_memory":
			u.Memory, _ = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "cmdstat_"):
			var c cmdStat
			for _, f := range strings.Split(v, ",") {
				fk, fv, _ := strings.Cut(f, "=")
				switch fk {
				case "calls":
					c.Calls, _ = strconv.ParseInt(fv, 10, 64)
				case "usec":
					c.Usec, _ = strconv.ParseInt(fv, 10, 64)
				}
			}
			u.Calls[strings.TrimPrefix(k, "cmdstat_")] = c
		}
	}
	u.CPU = time.Duration((user + sys) * float64(time.Second))
	u.User = time.Duration(user * float64(time.Second))
	u.Sys = time.Duration(sys * float64(time.Second))
	return u, nil
}

// configureRedis sets the driver's redis-server up for o: its appendfsync
// (a measurement of what fsyncs cost; trawl documents always) and, with
// -redis-scripts, a SLOWLOG that keeps every command of a run.
func configureRedis(ctx context.Context, cl *redis.Client, o options) error {
	if err := cl.ConfigSet(ctx, "appendfsync", o.RedisFsync).Err(); err != nil {
		return fmt.Errorf("redis CONFIG SET appendfsync %s: %w", o.RedisFsync, err)
	}
	if !o.RedisScripts {
		return nil
	}
	for k, v := range map[string]string{"slowlog-log-slower-than": "0", "slowlog-max-len": "2000000"} {
		if err := cl.ConfigSet(ctx, k, v).Err(); err != nil {
			return fmt.Errorf("redis CONFIG SET %s %s: %w", k, v, err)
		}
	}
	return nil
}

// readScripts sums the SLOWLOG's entries (every command since the run's
// reset; Redis 7 logs a script's inner calls as entries of their own too)
// by script name (EVALSHA's SHA-1 through redisfrontier.ScriptNames;
// "eval" when a script ran by its body) or command name. A script's
// entry's time includes its inner calls.
func readScripts(ctx context.Context, cl *redis.Client) (map[string]cmdStat, error) {
	log, err := cl.SlowLogGet(ctx, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis SLOWLOG GET: %w", err)
	}
	names := redisfrontier.ScriptNames()
	out := map[string]cmdStat{}
	for _, e := range log {
		if len(e.Args) == 0 {
			continue
		}
		name := strings.ToLower(e.Args[0])
		if name == "evalsha" && len(e.Args) > 1 {
			if n, ok := names[e.Args[1]]; ok {
				name = n
			}
		}
		if name == "slowlog" || name == "config" || name == "info" || name == "flushall" {
			continue
		}
		c := out[name]
		c.Calls++
		c.Usec += e.Duration.Microseconds()
		out[name] = c
	}
	return out, nil
}

func redisVersion(ctx context.Context, cl *redis.Client) string {
	s, err := cl.Info(ctx, "server").Result()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

func writeSharedTable(w io.Writer, rs []sharedRun) {
	writeTableHead(w, "frontier", "pages", "pages/s", "wall s", "workers' CPU s", "workers' CPU ms/page", "redis CPU s", "redis CPU µs/page", "redis commands/page", "peak RSS MiB (largest process)", "coverage %", "duplicates", "robots viol.", "robots.txt requests", "max per-host in-flight", "exit")
	for _, r := range rs {
		f := r.Fig
		rcpu, rper, rcmd := "—", "—", "—"
		if r.Workers > 0 && f.Pages > 0 {
			rcpu = fmt.Sprintf("%.2f", r.Redis.CPU.Seconds())
			rper = fmt.Sprintf("%.0f", float64(r.Redis.CPU.Microseconds())/float64(f.Pages))
			rcmd = fmt.Sprintf("%.1f", float64(r.Redis.Commands)/float64(f.Pages))
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.2f | %.3f | %s | %s | %s | %.1f | %.2f | %d | %d | %d | %d | %s |\n",
			r.label(), f.Pages, r.PagesPerSec(), r.Use.Wall.Seconds(), r.Use.CPU.Seconds(), r.CPUPerPage(),
			rcpu, rper, rcmd, float64(r.Use.MaxRSS)/(1<<20), f.Coverage, f.Duplicates, f.RobotsViol, r.Robots, f.MaxInFlight, exitCell(r.Err))
	}
}

// sharedVerdicts gives the targets per round: on the latency-bound
// profile (wide-clean) 2 workers ≥ 1.8× and 4 workers ≥ 3.4× one worker;
// on fast-clean one Redis worker ≥ 0.75× the bbolt frontier; and for every
// run coverage, duplicates, robots and per-host in-flight.
func sharedVerdicts(p profile, rs []sharedRun) []string {
	var out []string
	byRound := [][]sharedRun{}
	for _, r := range rs {
		if r.Workers == 0 {
			byRound = append(byRound, nil)
		}
		byRound[len(byRound)-1] = append(byRound[len(byRound)-1], r)
	}
	for i, round := range byRound {
		by := map[int]sharedRun{}
		for _, r := range round {
			by[r.Workers] = r
		}
		pps := func(n int) float64 { return by[n].PagesPerSec() }
		tag := fmt.Sprintf("round %d: ", i+1)
		if one, ok := by[1]; ok && one.PagesPerSec() > 0 {
			if b, ok := by[0]; ok && b.PagesPerSec() > 0 {
				line := fmt.Sprintf("redis 1 worker / bbolt pages/s = %.2f", pps(1)/pps(0))
				if p.Name == "fast-clean" {
					line += "; target ≥ 0.75: " + metOrMissed(pps(1)/pps(0) >= 0.75, fmt.Sprintf("%+.0f%%", 100*(pps(1)/pps(0)/0.75-1)))
				}
				out = append(out, tag+line)
			}
			for _, t := range []struct {
				n      int
				target float64
			}{{2, 1.8}, {4, 3.4}} {
				if _, ok := by[t.n]; !ok {
					continue
				}
				got := pps(t.n) / pps(1)
				line := fmt.Sprintf("redis %d workers / 1 worker pages/s = %.2f", t.n, got)
				if p.Name == "wide-clean" {
					line += fmt.Sprintf("; target ≥ %.1f: %s", t.target, metOrMissed(got >= t.target, fmt.Sprintf("%+.0f%%", 100*(got/t.target-1))))
				}
				out = append(out, tag+line)
			}
		}
	}
	var bad []string
	robots := -1 // the bbolt run's robots.txt requests: once per host, twice where the web answers 503 first
	for _, r := range rs {
		if r.Workers == 0 {
			robots = r.Robots
		}
		f := r.Fig
		if f.Missing > 0 || f.Duplicates > 0 || f.RobotsViol > 0 || f.MaxInFlight > p.PerHost || r.Robots > robots || r.Err != nil {
			bad = append(bad, fmt.Sprintf("%s: %d missing, %d duplicates, %d robots violations, %d robots.txt requests, in-flight up to %d, exit %v",
				r.label(), f.Missing, f.Duplicates, f.RobotsViol, r.Robots, f.MaxInFlight, r.Err))
		}
	}
	out = append(out, fmt.Sprintf("every run: coverage 100%%, 0 duplicates, 0 robots violations, no more robots.txt requests than the bbolt run, per-host in-flight ≤ %d, exit 0: %s",
		p.PerHost, metOrMissed(len(bad) == 0, fmt.Sprint(len(rs), " runs")+strings.TrimSuffix(": "+strings.Join(bad, "; "), ": "))))
	return out
}

// writeScriptCosts prints, for each Redis run, the scripts' time inside
// Redis per page (INFO commandstats evalsha and eval: execution, the
// commands they call included; the event loop, replies and AOF fsyncs that
// the CPU column includes are not) and the commands that took longest
// (nearly all called by the scripts, so also inside the scripts' time).
func writeScriptCosts(w io.Writer, rs []sharedRun) {
	fmt.Fprintf(w, "\nRedis execution time per page (INFO commandstats, wall time inside Redis; AOF writes and fsyncs excluded):\n\n")
	for _, r := range rs {
		if r.Workers == 0 || r.Fig.Pages == 0 {
			continue
		}
		pages := float64(r.Fig.Pages)
		type row struct {
			name string
			c    cmdStat
		}
		var cmds []row
		var script cmdStat
		for name, c := range r.Redis.Calls {
			if name == "evalsha" || name == "eval" {
				script.Calls += c.Calls
				script.Usec += c.Usec
				continue
			}
			cmds = append(cmds, row{name, c})
		}
		slices.SortFunc(cmds, func(a, b row) int { return int(b.c.Usec - a.c.Usec) })
		var parts []string
		for _, c := range cmds[:min(8, len(cmds))] {
			parts = append(parts, fmt.Sprintf("%s %.1f× %.1f µs", c.name, float64(c.c.Calls)/pages, float64(c.c.Usec)/pages))
		}
		fmt.Fprintf(w, "- %s: CPU user %.1f µs + sys %.1f µs; scripts %.2f calls, %.1f µs; the longest commands (called by the scripts): %s\n",
			r.label(), float64(r.Redis.User.Microseconds())/pages, float64(r.Redis.Sys.Microseconds())/pages,
			float64(script.Calls)/pages, float64(script.Usec)/pages, strings.Join(parts, ", "))
		if len(r.Redis.Scripts) == 0 {
			continue
		}
		// Redis 7 logs a script's inner calls too: those are in the
		// commandstats line above; this one is the scripts alone.
		names := map[string]bool{"eval": true}
		for _, n := range redisfrontier.ScriptNames() {
			names[n] = true
		}
		var ss []row
		for name, c := range r.Redis.Scripts {
			if names[name] {
				ss = append(ss, row{name, c})
			}
		}
		slices.SortFunc(ss, func(a, b row) int { return int(b.c.Usec - a.c.Usec) })
		parts = parts[:0]
		for _, s := range ss {
			parts = append(parts, fmt.Sprintf("%s %.3f× %.1f µs/call = %.1f µs", s.name, float64(s.c.Calls)/pages,
				float64(s.c.Usec)/float64(max(1, s.c.Calls)), float64(s.c.Usec)/pages))
		}
		fmt.Fprintf(w, "  - per script and page (SLOWLOG): %s\n", strings.Join(parts, "; "))
	}
}

// runSharedProfiles runs the shared-frontier benchmark on each profile and
// fails if any run did not exit 0.
func runSharedProfiles(ctx context.Context, o options, ps []profile, bins binaries, work string, stdout, stderr io.Writer) error {
	var failed []string
	var all []sharedJSON
	for _, p := range ps {
		rs, err := runShared(ctx, o, p, bins, work, stdout, stderr)
		for _, r := range rs {
			r.Crawler = r.label()
			all = append(all, sharedJSON{jsonResult: toJSON(r.result), Workers: r.Workers, Robots: r.Robots,
				RedisCPUSec: r.Redis.CPU.Seconds(), RedisCommands: r.Redis.Commands, RedisMemory: r.Redis.Memory})
			if r.Err != nil {
				failed = append(failed, p.Name+"/"+r.label())
			}
		}
		if err != nil {
			return err
		}
	}
	if o.JSON != "" {
		if err := writeJSONFile(o.JSON, all); err != nil {
			return err
		}
	}
	return failedRuns(failed)
}
