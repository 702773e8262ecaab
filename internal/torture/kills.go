package torture

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// LeasesPerKill is the most refetches one SIGKILL of a trawl process
// crawling with --concurrency concurrency can cause: a URL is fetched
// again only if its lease was not committed at the kill, and trawl admits
// concurrency + 4×GOMAXPROCS leases into its pipeline (on the wire, or
// fetched and waiting for parse and commit). The kill tests here and in
// cmd/trawl bound their duplicate fetches by it (docs/RELIABILITY.md).
func LeasesPerKill(concurrency int) int {
	return concurrency + 4*runtime.GOMAXPROCS(0)
}

// NewRand returns the random source for a kill schedule: seeded from
// TORTURE_SEED or the clock, the seed logged so that a failing schedule
// can be replayed; stream tells the tests that share a seed apart.
func NewRand(t testing.TB, stream uint64) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("TORTURE_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("TORTURE_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, stream))
}
