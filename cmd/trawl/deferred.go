package main

import (
	"fmt"
	"io"

	"github.com/trawl-crawler/trawl/crawler"
)

// maxDeferredHostsShown bounds the per-host lines the summary and status
// print; --json has them all.
const maxDeferredHostsShown = 10

// writeDeferred tells what the crawl deferred, per host with the reason,
// and that trawl resume retries it. Nothing when nothing was deferred.
func writeDeferred(w io.Writer, st crawler.Stats, resume string) {
	if st.Deferred == 0 {
		return
	}
	fmt.Fprintf(w, "deferred:     %d URLs on %d hosts (not fetched, not failed; %s retries them)\n",
		st.Deferred, len(st.DeferredHosts), resume)
	for i, h := range st.DeferredHosts {
		if i == maxDeferredHostsShown {
			fmt.Fprintf(w, "  ... and %d more hosts (trawl status --json lists them all)\n", len(st.DeferredHosts)-i)
			break
		}
		fmt.Fprintf(w, "  %-30s %6d  %s\n", h.Host, h.URLs, h.Reason)
	}
}

// writeLinksDropped tells how many links pages had past
// --max-links-per-page (each page's record holds its own count).
func writeLinksDropped(w io.Writer, st crawler.Stats) {
	if st.LinksDropped == 0 {
		return
	}
	fmt.Fprintf(w, "links dropped: %d on %d pages past --max-links-per-page (not queued; export jsonl has links_dropped per page)\n",
		st.LinksDropped, st.PagesLinksDropped)
}
