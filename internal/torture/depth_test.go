//go:build torture

package torture

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
)

// TestTortureDepthKill9 is TestKill9MaxDepthIsShortest (cmd/trawl) with many
// kills: at --max-depth 1…6 on the depth web, trawl is SIGKILLed after a
// random number of page requests (TORTURE_KILLS per depth, default 12; 3
// under TORTURE_SHORT), resumed each time, and the set of pages fetched
// must equal the web's breadth-first reference exactly. Kills land while
// lowerings, re-extractions and their cascades are in flight.
func TestTortureDepthKill9(t *testing.T) {
	web, err := depthweb.Start(depthweb.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	rng := newRand(t)
	perDepth := envInt("TORTURE_KILLS", pick(12, 3))
	for n := 1; n <= 6; n++ {
		web.Reset()
		dir := filepath.Join(t.TempDir(), "state")
		flags := []string{"--dir", dir, "--allow-private", "--delay", "0", "--concurrency", "4",
			"--scope", "any", "--max-depth", strconv.Itoa(n), "--retries", "0", "--log-level", "warn", "--progress", "off"}
		kills := 0
		for attempt := 0; ; attempt++ {
			args := append([]string{"resume"}, flags...)
			if attempt == 0 || !crawler.Exists(dir) {
				args = append(append([]string{"crawl"}, flags...), web.Seeds()...)
			}
			p := run(t, args...)
			var kill <-chan struct{}
			if kills < perDepth {
				kill = web.AfterRequests(web.Requests() + 1 + rng.IntN(6))
			}
			select {
			case <-p.Done():
			case <-kill:
				p.Kill()
				kills++
				continue
			case <-time.After(2 * time.Minute):
				p.Kill()
				t.Fatalf("max-depth %d run %d hung:\n%s", n, attempt, p.Output())
			}
			if code, _ := p.Wait(time.Minute); code != 0 {
				t.Fatalf("max-depth %d run %d exited %d:\n%s", n, attempt, code, p.Output())
			}
			break
		}
		t.Logf("max-depth %d: %d kills, %d requests for %d pages", n, kills, web.Requests(), len(web.Reference(n)))
		if err := JudgeDepth(dir, web, n); err != nil {
			t.Errorf("%d kills: %v", kills, err)
		}
	}
}
