//go:build torture

package torture

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

// trawlBin is the binary under test, built once per test binary by TestMain.
var trawlBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "trawl-torture-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if trawlBin, err = Build(ctx, root, tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// short reports whether the CI-sized run was asked for (TORTURE_SHORT=1).
func short() bool { return os.Getenv("TORTURE_SHORT") != "" }

// pick returns long, or shortV under TORTURE_SHORT.
func pick(long, shortV int) int {
	if short() {
		return shortV
	}
	return long
}

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// randStream is this package's stream for NewRand, so that a logged
// TORTURE_SEED replays the same schedule.
const randStream = 0x7472617760

// crawlConcurrency is small so that "refetches ≤ kills × concurrency" means
// something.
const crawlConcurrency = 4

// opFlags are the operational flags every crawl and resume gets.
func opFlags(web *testweb.Web, dir string) []string {
	return []string{"--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--concurrency", strconv.Itoa(crawlConcurrency), "--per-host", "2",
		"--log-level", "warn", "--progress", "off"}
}

func crawlCmd(web *testweb.Web, dir string) []string {
	return append(append([]string{"crawl"}, opFlags(web, dir)...), web.Seeds()...)
}

func resumeCmd(web *testweb.Web, dir string) []string {
	return append([]string{"resume"}, opFlags(web, dir)...)
}

// run starts trawl with args and fails the test if it cannot start.
func run(t *testing.T, args ...string) *Proc {
	t.Helper()
	p, err := Run(trawlBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// exportCounts exports the crawl in dir as JSONL, decisions included
// (trawl export, bounded by timeout), and returns how many lines name each
// URL and the number of lines.
func exportCounts(t *testing.T, timeout time.Duration, dir string) (map[string]int, int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.jsonl")
	if code, stdout := runToEnd(t, timeout, "export", "--dir", dir, "--format", "jsonl", "--include-decisions", "--out", out); code != 0 {
		t.Fatalf("export exited %d:\n%s", code, stdout)
	}
	counts, lines, err := CountJSONL(out)
	if err != nil {
		t.Fatal(err)
	}
	return counts, lines
}

// runToEnd runs trawl with args to completion (bounded by timeout) and
// returns its exit code and output.
func runToEnd(t *testing.T, timeout time.Duration, args ...string) (int, string) {
	t.Helper()
	p := run(t, args...)
	code, err := p.Wait(timeout)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	return code, p.Output()
}
