package crawler

import (
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/storage"
)

// Shortest depth. --max-depth N is the shortest link distance from any
// seed: the frontier keeps each URL's smallest known depth (frontier.Item),
// and a fetched page found later on a shorter path comes back as a Reparse
// lease. Its links are extracted again here, in the parse stage, from the
// page as stored (no refetch), at the new depth; the children go through
// the same nofollow rules, scope, filters and OnEnqueue hooks as a
// fetched page's, and may lower their own known children in turn. User
// callbacks (OnHTML, OnResponse...) do not run again, so links a callback
// added with Visit are not re-added at the shorter depth.

// frontierDepth returns the frontier's shortest-depth options for a crawl
// with depth limit maxDepth: kept only when there is a limit (with none,
// depth changes nothing that is fetched, and keeping it costs 5 bytes a
// URL of memory).
func frontierDepth(opts frontier.Options, maxDepth int) frontier.Options {
	opts.ShortestDepth, opts.MaxDepth = maxDepth >= 0, maxDepth
	return opts
}

// storedMaxDepth is the depth limit of the crawl in dir, from crawl.json
// (resume opens the frontier with it before reading the stored config,
// which lives in the frontier; open checks the two agree).
func storedMaxDepth(dir string) (int, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return 0, fmt.Errorf("read the stored depth limit from %s: %w", filepath.Join(dir, configFile), err)
	}
	return cfg.MaxDepth, nil
}

// startReparse hands a Reparse lease straight to the parse stage: it holds
// a pipeline token like a fetched page, but no fetch slot.
func (e *engine) startReparse(l frontier.Lease) {
	e.parseCh <- &fetched{lease: l}
}

// reparse extracts a stored page's links again at the lease's (lowered)
// depth. A page that cannot be read back gives no children: its links
// keep the depths they had, which is logged.
func (e *engine) reparse(l frontier.Lease) *processed {
	p := &processed{comp: frontier.Completion{Lease: l, Outcome: frontier.Done}, reparse: true}
	if len(l.Locator) == 0 {
		e.c.log.Warn("page found on a shorter path has no stored locator (fetched by an older trawl); its links keep their depths", "url", l.URL, "depth", l.Depth)
		return p
	}
	rec, err := e.store.readAt(l.Locator)
	if err != nil {
		e.c.log.Warn("page found on a shorter path could not be read back; its links keep their depths", "url", l.URL, "depth", l.Depth, "err", err)
		return p
	}
	p.comp.Children = e.storedLinks(l, rec)
	e.c.log.Debug("reparse", "url", l.URL, "depth", l.Depth, "children", len(p.comp.Children))
	return p
}

// storedLinks is what process would have queued from rec at l's depth: the
// redirect target, and a 2xx HTML page's links.
func (e *engine) storedLinks(l frontier.Lease, rec *storage.Record) []frontier.Item {
	var children []frontier.Item
	if rec.Status >= 300 && rec.Status < 400 && rec.FinalURL != rec.URL && l.Redirects < maxRedirects {
		children = e.addChildItem(children, frontier.Item{URL: rec.FinalURL, Depth: l.Depth, Parent: l.URL, Redirects: l.Redirects + 1})
	}
	if rec.Status < 200 || rec.Status >= 300 || !isHTML(rec.ContentType, rec.Body) {
		return children
	}
	body, err := utf8Body(rec.Body, rec.ContentType)
	if err != nil {
		return children
	}
	header := rec.Header
	if header == nil {
		header = http.Header{}
	}
	more, _ := e.pageLinks(l, header, body)
	return append(children, more...)
}

// readAt reads a committed record back from the page store.
func (l *pageStore) readAt(loc []byte) (*storage.Record, error) {
	st := l.p.Load()
	if st == nil {
		return nil, fmt.Errorf("read stored page: the page store is closed")
	}
	return st.ReadAt(loc)
}
