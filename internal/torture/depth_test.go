//go:build torture

package torture

import (
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
	web := depthweb.ForTest(t, depthweb.Config{Seed: 3})
	rng := NewRand(t, randStream)
	perDepth := envInt("TORTURE_KILLS", pick(12, 3))
	KillAndResumeDepths(t, func(args ...string) *Proc { return run(t, args...) }, web, perDepth, 6, rng, 2*time.Minute)
}
