//go:build torture

package main

import "testing"

// TestTortureSharedKill9 is the long form of TestSharedKill9Workers: 3
// workers, TORTURE_KILLS (default 20) SIGKILLs of random workers, each
// restarted with resume; coverage, exactly-once storage across the
// workers' stores, politeness at the server and bounded duplicates.
func TestTortureSharedKill9(t *testing.T) {
	kills := 20
	if n := envKills(); n > 0 {
		kills = n
	}
	sharedKillLoop(t, kills)
}

// TestTortureSharedDepthKill9 is the long form of
// TestSharedMaxDepthIsShortest: TORTURE_KILLS (default 4) SIGKILLs of
// random workers in each of the five depth-limited shared crawls.
func TestTortureSharedDepthKill9(t *testing.T) {
	kills := 4
	if n := envKills(); n > 0 {
		kills = n
	}
	sharedDepthLoop(t, func(int) int { return kills })
}
