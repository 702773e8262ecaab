package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The real-site benchmark (`make bench-realsite`): real documentation HTML
// served by nginx on 127.0.0.1, crawled by trawl, `wget -r` and the ceiling
// crawler in one invocation, each judged from nginx's access log.

// crawlerWget is GNU wget's recursive retrieval: robots on, one connection.
const crawlerWget = "wget"

// realSiteNames are the sites -realsite knows, in run order.
var realSiteNames = []string{"pgdocs", "bigpages"}

// pgdocsDefault is where Debian's postgresql-doc-15 puts its HTML.
const pgdocsDefault = "/usr/share/doc/postgresql-doc-15/html"

// pgdocsDisallow is a real part of the PostgreSQL manual (the ECPG chapter's
// pages, 34 files; the chapter's own index page ecpg.html stays allowed).
const pgdocsDisallow = "/ecpg-"

// realSite is one served directory and what its robots.txt disallows.
type realSite struct {
	Name     string
	Root     string
	Disallow []string
	Bytes    int64 // HTML bytes on disk
}

// realResult is one crawler's run on one site.
type realResult struct {
	Site  string
	Round int
	crawlerRun[siteFigures]
}

// runRealSites prepares each named site, serves it with nginx and runs the
// three crawlers on it o.Repeat times, in rounds.
func runRealSites(ctx context.Context, o options, bins binaries, work string, stdout, stderr io.Writer) error {
	nginxBin, err := exec.LookPath(o.Nginx)
	if err != nil {
		return fmt.Errorf("nginx %q not found (make bench-realsite installs it; or apt-get install nginx-light): %w", o.Nginx, err)
	}
	wgetBin, err := exec.LookPath("wget")
	if err != nil {
		return fmt.Errorf("wget not found (apt-get install wget): %w", err)
	}
	var all []realResult
	for _, name := range o.RealSites {
		site, err := prepareSite(name, o, work)
		if err != nil {
			return err
		}
		rs, err := runRealSite(ctx, o, site, nginxBin, wgetBin, bins, work, stdout, stderr)
		all = append(all, rs...)
		if err != nil {
			return err
		}
	}
	if o.JSON != "" {
		if err := writeRealJSON(o.JSON, all); err != nil {
			return err
		}
	}
	var failed []string
	for _, r := range all {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s/%s round %d", r.Site, r.Crawler, r.Round))
		}
	}
	return failedRuns(failed)
}

// prepareSite lays out a site's served directory under work.
func prepareSite(name string, o options, work string) (realSite, error) {
	root := filepath.Join(work, "site-"+name)
	switch name {
	case "pgdocs":
		n, err := copyHTMLTree(o.PGDocs, root)
		if err != nil {
			return realSite{}, fmt.Errorf("pgdocs: %w (make bench-realsite installs postgresql-doc-15)", err)
		}
		robots := "User-agent: *\nDisallow: " + pgdocsDisallow + "\n"
		if err := os.WriteFile(filepath.Join(root, "robots.txt"), []byte(robots), 0o644); err != nil {
			return realSite{}, fmt.Errorf("pgdocs robots.txt: %w", err)
		}
		return realSite{Name: name, Root: root, Disallow: []string{pgdocsDisallow}, Bytes: n}, nil
	case "bigpages":
		s := bigSite{Pages: 2000, Sections: 8, Seed: 20261203}
		n, err := s.generate(root)
		if err != nil {
			return realSite{}, err
		}
		return realSite{Name: name, Root: root, Disallow: []string{bigSiteDisallow}, Bytes: n}, nil
	}
	return realSite{}, fmt.Errorf("real site %q: want one of %s", name, strings.Join(realSiteNames, ", "))
}

// copyHTMLTree copies the regular files of src (one level, as Debian lays
// out the manual) into dst and returns the bytes copied.
func copyHTMLTree(src, dst string) (int64, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return 0, err
	}
	var n int64
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return 0, err
		}
		n += int64(len(b))
	}
	return n, nil
}

// runRealSite serves one site and runs every crawler on it o.Repeat times.
func runRealSite(ctx context.Context, o options, site realSite, nginxBin, wgetBin string, bins binaries, work string, stdout, stderr io.Writer) ([]realResult, error) {
	g, err := reachable(site.Root, site.Disallow)
	if err != nil {
		return nil, err
	}
	srv, err := startNginx(ctx, nginxBin, site.Root, filepath.Join(work, "nginx-"+site.Name))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "\n## %s: %d reachable pages, %.1f MB on disk, robots.txt disallows %s; nginx on %s\n",
		site.Name, len(g.Pages), float64(site.Bytes)/1e6, strings.Join(site.Disallow, " "), srv.Addr)
	seed := "http://" + srv.Addr + "/"
	var rs []realResult
	for round := 1; round <= o.Repeat; round++ {
		var round_ []realResult
		for _, c := range []string{crawlerTrawl, crawlerWget, crawlerCeiling} {
			dir := filepath.Join(work, fmt.Sprintf("%s-%s-%d", site.Name, c, round))
			var bin string
			var args []string
			switch c {
			case crawlerTrawl:
				bin, args = bins.Trawl, []string{"crawl", "--dir", dir, "--fresh", "--allow-private",
					"--per-host", strconv.Itoa(o.RealPerHost), "--delay", "0", "--progress", "off", "--log-level", "warn"}
				args = append(append(args, o.TrawlArgs...), seed)
			case crawlerWget:
				bin, args = wgetBin, []string{"-r", "-l", "inf", "-q", "-e", "robots=on", "--no-proxy", "-P", dir, seed}
			case crawlerCeiling:
				bin, args = bins.Ceiling, []string{"-scope", "127.0.0.1", "-workers", strconv.Itoa(o.RealPerHost), seed}
			}
			off, err := srv.logSize()
			if err != nil {
				return rs, err
			}
			rctx, cancel := context.WithTimeout(ctx, o.Timeout)
			use, runErr := runChild(rctx, bin, args, stderr)
			cancel()
			entries, err := settledLog(srv, off)
			if err != nil {
				return rs, err
			}
			if c == crawlerWget && exitCode(runErr) == 8 {
				runErr = nil // "server issued an error response": the site's own broken links
			}
			r := realResult{Site: site.Name, Round: round, crawlerRun: crawlerRun[siteFigures]{Crawler: c, Use: use, Fig: judge(g, entries), Err: runErr}}
			if runErr != nil {
				fmt.Fprintf(stderr, "bench: %s/%s: %v\n", site.Name, c, runErr)
			}
			round_ = append(round_, r)
			os.RemoveAll(dir)
		}
		fmt.Fprintf(stdout, "\nround %d:\n\n", round)
		writeRealTable(stdout, len(g.Pages), round_)
		fmt.Fprintln(stdout)
		for _, v := range realVerdicts(round_) {
			fmt.Fprintln(stdout, "- "+v)
		}
		rs = append(rs, round_...)
	}
	if o.Repeat > 1 {
		fmt.Fprintf(stdout, "\n%s over %d rounds (min–max):\n\n", site.Name, o.Repeat)
		for _, l := range realSpread(rs) {
			fmt.Fprintln(stdout, "- "+l)
		}
	}
	return rs, nil
}

// exitCode is err's process exit status, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// settledLog reads the run's access-log lines once the log has stopped
// growing (nginx writes a line when it finalises a request, which can be a
// moment after the client has the last byte).
func settledLog(srv *nginx, off int64) ([]logEntry, error) {
	last := int64(-1)
	for range 50 {
		n, err := srv.logSize()
		if err != nil {
			return nil, err
		}
		if n == last {
			break
		}
		last = n
		time.Sleep(50 * time.Millisecond)
	}
	return srv.readLog(off)
}

func writeRealTable(w io.Writer, reachable int, rs []realResult) {
	writeTableHead(w, "crawler", "pages", "missing", "duplicates", "disallowed", "other requests", "wall s", "pages/s", "CPU s", "CPU ms/page", "peak RSS MiB", "longest idle ms", "exit")
	for _, r := range rs {
		f := r.Fig
		fmt.Fprintf(w, "| %s | %d / %d | %d | %d | %d | %d | %.2f | %.0f | %.2f | %.3f | %.1f | %d | %s |\n",
			r.Crawler, f.Pages, reachable, f.Missing, f.Duplicates, f.Disallowed, f.Other, r.Use.Wall.Seconds(),
			r.PagesPerSec(), r.Use.CPU.Seconds(), r.CPUPerPage(), float64(r.Use.MaxRSS)/(1<<20), f.LongestIdle.Milliseconds(), exitCell(r.Err))
	}
}

// realRatios are one round's comparisons.
type realRatios struct {
	VsWget, VsCeiling, CPUVsCeiling, RSSMB float64
}

func ratiosOf(rs []realResult) (realRatios, bool) {
	by := map[string]realResult{}
	for _, r := range rs {
		by[r.Crawler] = r
	}
	t, ok := by[crawlerTrawl]
	if !ok {
		return realRatios{}, false
	}
	return realRatios{
		VsWget:       safeDiv(t.PagesPerSec(), by[crawlerWget].PagesPerSec()),
		VsCeiling:    safeDiv(t.PagesPerSec(), by[crawlerCeiling].PagesPerSec()),
		CPUVsCeiling: safeDiv(t.CPUPerPage(), by[crawlerCeiling].CPUPerPage()),
		RSSMB:        float64(t.Use.MaxRSS) / 1e6,
	}, true
}

// realVerdicts states one round's targets (issue 15) as met or missed.
func realVerdicts(rs []realResult) []string {
	r, ok := ratiosOf(rs)
	if !ok {
		return nil
	}
	var t realResult
	for _, x := range rs {
		if x.Crawler == crawlerTrawl {
			t = x
		}
	}
	f := t.Fig
	return []string{
		fmt.Sprintf("trawl/wget pages/s = %.2f; target ≥ 5: %s", r.VsWget, metOrMissed(r.VsWget >= 5, fmt.Sprintf("%+.0f%%", 100*(r.VsWget/5-1)))),
		fmt.Sprintf("trawl/ceiling pages/s = %.2f; trawl CPU per page = %.2f × the ceiling's", r.VsCeiling, r.CPUVsCeiling),
		"trawl every reachable page once, nothing disallowed: " + metOrMissed(f.Missing == 0 && f.Duplicates == 0 && f.Disallowed == 0,
			fmt.Sprintf("%d missing, %d duplicates, %d disallowed", f.Missing, f.Duplicates, f.Disallowed)),
		"trawl peak RSS ≤ 200 MB: " + metOrMissed(t.Use.MaxRSS <= 200e6, fmt.Sprintf("%.1f MB; largest samples anon %.1f MiB, mapped files %.1f MiB",
			float64(t.Use.MaxRSS)/1e6, float64(t.Use.MaxAnon)/(1<<20), float64(t.Use.MaxFile)/(1<<20))),
	}
}

// realSpread gives each ratio's range over the rounds.
func realSpread(rs []realResult) []string {
	rounds := map[int][]realResult{}
	for _, r := range rs {
		rounds[r.Round] = append(rounds[r.Round], r)
	}
	var vw, vc, cc, rss []float64
	for _, round := range rounds {
		if r, ok := ratiosOf(round); ok {
			vw, vc, cc, rss = append(vw, r.VsWget), append(vc, r.VsCeiling), append(cc, r.CPUVsCeiling), append(rss, r.RSSMB)
		}
	}
	span := func(xs []float64) string {
		lo, hi := xs[0], xs[0]
		for _, x := range xs {
			lo, hi = min(lo, x), max(hi, x)
		}
		return fmt.Sprintf("%.2f–%.2f", lo, hi)
	}
	if len(vw) == 0 {
		return nil
	}
	return []string{
		"trawl/wget pages/s: " + span(vw),
		"trawl/ceiling pages/s: " + span(vc),
		"trawl CPU per page ÷ ceiling's: " + span(cc),
		"trawl peak RSS MB: " + span(rss),
	}
}

type realJSON struct {
	Site        string  `json:"site"`
	Round       int     `json:"round"`
	Crawler     string  `json:"crawler"`
	WallSec     float64 `json:"wall_s"`
	CPUSec      float64 `json:"cpu_s"`
	MaxRSSBytes int64   `json:"max_rss_bytes"`
	PagesPerSec float64 `json:"pages_per_s"`
	siteFigures
	Err string `json:"error,omitempty"`
}

func writeRealJSON(path string, rs []realResult) error {
	out := make([]realJSON, len(rs))
	for i, r := range rs {
		out[i] = realJSON{Site: r.Site, Round: r.Round, Crawler: r.Crawler, WallSec: r.Use.Wall.Seconds(),
			CPUSec: r.Use.CPU.Seconds(), MaxRSSBytes: r.Use.MaxRSS, PagesPerSec: r.PagesPerSec(), siteFigures: r.Fig}
		if r.Err != nil {
			out[i].Err = r.Err.Error()
		}
	}
	return writeJSONFile(path, out)
}
