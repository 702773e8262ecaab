package crawler

import (
	"fmt"

	"github.com/trawl-crawler/trawl/storage"
)

// robotsBlocks encodes the robots.txt responses the lease of f fetched as
// records marked Robots, so that WARC exports archive them (the page
// exports skip them). They are committed with the lease's completion —
// the transaction that also persists the robots state they produced — so
// after a crash either both are there, or robots.txt is fetched (and
// archived) again.
func (e *engine) robotsBlocks(f *fetched) []storage.Block {
	var out []storage.Block
	for _, resp := range f.robots.responses {
		at := f.now
		if !resp.Timing.Start.IsZero() {
			at = resp.Timing.Start.Add(resp.Timing.Total)
		}
		rec := &storage.Record{URL: resp.URL, FinalURL: resp.URL, Method: "GET", Status: resp.Status,
			FetchedAt: at.UTC(), Depth: -1, Robots: true, Pass: e.pass}
		fillRecord(rec, resp)
		if resp.Location != "" {
			rec.FinalURL = resp.Location
		}
		b, err := storage.Encode(rec)
		if err != nil {
			e.fail(fmt.Errorf("encode robots.txt record %s: %w", rec.URL, err))
			return nil
		}
		out = append(out, b)
	}
	return out
}
