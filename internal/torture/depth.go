package torture

import (
	"fmt"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/depthweb"
)

// JudgeDepth judges a --max-depth n crawl in dir, run to its end on web
// since web's last Reset: the crawl must say it finished and must have
// fetched exactly the pages within n link hops of a seed (the web's
// breadth-first reference), however often it was killed on the way.
// cmd/trawl's short test and this package's long one share it, so both
// hold trawl to one definition of a correct depth-limited crawl.
func JudgeDepth(dir string, web *depthweb.Web, n int) error {
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
