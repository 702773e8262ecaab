package main

import (
	"math/rand/v2"
	"testing"

	"github.com/trawl-crawler/trawl/internal/depthweb"
	"github.com/trawl-crawler/trawl/internal/torture"
)

// TestKill9MaxDepthIsShortest crawls the depth web (internal/depthweb: a
// fast host's long chains reach pages before a slow host's short links)
// with the real CLI at --max-depth 1…6, SIGKILLs each crawl after a random
// number of page requests (twice), resumes it to the end, and compares the
// set of pages fetched with the web's breadth-first reference, exactly.
// The longer loop is TestTortureDepthKill9 (internal/torture).
func TestKill9MaxDepthIsShortest(t *testing.T) {
	web, rng := startDepthWeb(t, 2, 11)
	start := func(args ...string) *torture.Proc { return child(t, args...).Proc }
	torture.KillAndResumeDepths(t, start, web, 2, 12, rng, untilDeadline(t))
}

// startDepthWeb skips in -short mode (the tests spawn processes), starts
// the depth web with links drawn from webSeed, and returns it with a
// random source for the kills (torture.NewRand: stream tells tests apart).
func startDepthWeb(t *testing.T, webSeed, stream uint64) (*depthweb.Web, *rand.Rand) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	web := depthweb.ForTest(t, depthweb.Config{Seed: webSeed})
	return web, torture.NewRand(t, stream)
}
