package crawler

import "github.com/trawl-crawler/trawl/frontier/frontiertest"

// The frontier contract tests (frontier/frontiertest) declare their own
// copy of Frontier, since package frontier may not import crawler. These
// two assignments compile only while the method sets are the same.
var (
	_ Frontier              = frontiertest.Frontier(nil)
	_ frontiertest.Frontier = Frontier(nil)
)
