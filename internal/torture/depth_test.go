//go:build torture

package torture

import (
	"path/filepath"
	"testing"
	"time"

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
	rng := NewRand(t, randStream)
	perDepth := envInt("TORTURE_KILLS", pick(12, 3))
	for n := 1; n <= 6; n++ {
		web.Reset()
		dir := filepath.Join(t.TempDir(), "state")
		kills := KillAndResumeDepth(t, func(args ...string) *Proc { return run(t, args...) }, web, dir, n, perDepth, 6, rng, 2*time.Minute)
		t.Logf("max-depth %d: %d kills, %d requests for %d pages", n, kills, web.Requests(), len(web.Reference(n)))
		if err := JudgeDepth(dir, web, n); err != nil {
			t.Errorf("%d kills: %v", kills, err)
		}
	}
}
