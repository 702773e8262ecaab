package torture

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
)

// judgeDepth judges a --max-depth n crawl in dir, run to its end on web
// since web's last Reset: the crawl must say it finished and must have
// fetched exactly the pages within n link hops of a seed (the web's
// breadth-first reference), however often it was killed on the way.
func judgeDepth(dir string, web *depthweb.Web, n int) error {
	st, err := crawler.ReadStatus(dir)
	if err != nil {
		return fmt.Errorf("max-depth %d: %w", n, err)
	}
	if st.State != crawler.StateFinished {
		return fmt.Errorf("max-depth %d: final state %q", n, st.State)
	}
	want := web.Reference(n)
	if diff := depthweb.Diff(want, web.Fetched()); diff != "" {
		return fmt.Errorf("max-depth %d: fetched set differs from breadth-first (%d pages):%s", n, len(want), diff)
	}
	return nil
}

// KillAndResumeDepths crawls web at --max-depth 1…6, each crawl in a
// fresh directory and killed and resumed by killAndResumeDepth, and judges
// each with judgeDepth. cmd/trawl's short test and this package's long one
// (TestKill9MaxDepthIsShortest, TestTortureDepthKill9) run it with their
// own start, kill count and gap, so both hold trawl to one definition of
// a correct depth-limited crawl.
func KillAndResumeDepths(t testing.TB, start func(args ...string) *Proc, web *depthweb.Web, kills, maxGap int, rng *rand.Rand, hang time.Duration) {
	t.Helper()
	for n := 1; n <= 6; n++ {
		web.Reset()
		dir := filepath.Join(t.TempDir(), "state")
		made := killAndResumeDepth(t, start, web, dir, n, kills, maxGap, rng, hang)
		t.Logf("max-depth %d: %d kills, %d requests for %d pages", n, made, web.Requests(), len(web.Reference(n)))
		if err := judgeDepth(dir, web, n); err != nil {
			t.Errorf("%d kills: %v", made, err)
		}
	}
}

// killAndResumeDepth runs a --max-depth n crawl of web into dir to its end
// and returns the SIGKILLs it made: start runs trawl with the arguments
// given (the built binary here, the re-executed test binary in
// cmd/trawl); up to kills runs are SIGKILLed, each after 1–maxGap more
// page requests reach web, and resumed (crawled again if the kill came
// before the crawl existed). A run that exits non-zero, or is still
// running after hang, fails t.
func killAndResumeDepth(t testing.TB, start func(args ...string) *Proc, web *depthweb.Web, dir string, n, kills, maxGap int, rng *rand.Rand, hang time.Duration) int {
	t.Helper()
	flags := []string{"--dir", dir, "--allow-private", "--delay", "0", "--concurrency", "4",
		"--scope", "any", "--max-depth", strconv.Itoa(n), "--retries", "0", "--log-level", "warn", "--progress", "off"}
	made := 0
	for run := 0; ; run++ {
		args := append([]string{"resume"}, flags...)
		if run == 0 || !crawler.Exists(dir) { // a kill during start leaves nothing to resume
			args = append(append([]string{"crawl"}, flags...), web.Seeds()...)
		}
		var kill <-chan struct{}
		if made < kills {
			kill = web.AfterRequests(web.Requests() + 1 + rng.IntN(maxGap))
		}
		p := start(args...)
		killed, err := p.KillWhen(kill, hang)
		if err != nil {
			t.Fatalf("max-depth %d run %d: %v", n, run, err)
		}
		if !killed {
			if code, _ := p.Wait(0); code != 0 {
				t.Fatalf("max-depth %d run %d exited %d:\n%s", n, run, code, p.Output())
			}
			return made
		}
		made++
	}
}
