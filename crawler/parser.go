package crawler

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/transform"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
	"github.com/trawl-crawler/trawl/storage"
)

// maxRedirects bounds a redirect chain: the 11th redirect in a row is
// stored but not followed.
const maxRedirects = 10

// processed is one lease ready for the committer: its completion and, for a
// final outcome, the encoded page record.
type processed struct {
	comp  frontier.Completion
	block *storage.Block
	class string // failure class for the error counters ("" if none)
	// linksDropped: the page's links past --max-links-per-page.
	linksDropped int
	// change is the recrawl change class of a Done page (recrawl.go).
	change string
	// robots are the robots.txt responses this lease fetched, encoded as
	// records (robotsarchive.go); committed before block, with comp.
	robots []storage.Block
	// reparse: a stored page's links extracted again (reparse.go); no
	// record, no counters.
	reparse bool
}

// parseLoop is one parse worker: CPU work only (decide, parse, callbacks,
// compress, hash). Its input is closed by the dispatcher.
func (e *engine) parseLoop() error {
	for f := range e.parseCh {
		p := e.process(f)
		e.sitemapStage(f, p)
		if p.block != nil {
			e.mem.hold(int64(p.block.Len()))
		}
		e.mem.release(f.bodyBytes) // parsed and encoded: the body is garbage
		e.commitCh <- p
		<-e.tokens
	}
	return nil
}

// process turns a fetch result into a completion and a record.
func (e *engine) process(f *fetched) *processed {
	l := f.lease
	if l.Reparse {
		return e.reparse(l)
	}
	p := &processed{comp: frontier.Completion{Lease: l}}
	p.robots = e.robotsBlocks(f)
	if f.robots.update != nil {
		p.comp.Host = f.robots.update
		p.comp.RobotsHost = links.HostKey(l.URL) // robots.txt stays per origin
	}
	if e.robotsOutcome(p, f) {
		return p
	}
	status := 0
	var hdr http.Header
	if f.resp != nil {
		status, hdr = f.resp.Status, f.resp.Header
	}
	d := e.pol.decide(f.now, l.Attempt, status, hdr, f.err, e.rnd.Float64)
	e.applyDecision(p, d)
	p.comp.Status = status
	switch d.outcome {
	case frontier.Deferred:
		e.deferred(l, d)
	case frontier.Retry:
		e.c.log.Debug("retry", "url", l.URL, "attempt", l.Attempt, "reason", d.reason, "at", d.retryAt.Format(time.RFC3339Nano))
	case frontier.Failed:
		e.failed(p, f, d, status)
	case frontier.Done:
		e.done(p, f)
	}
	return p
}

// robotsOutcome settles a lease that robots.txt decided — it only fetched
// robots.txt (released: the page waits for the host's next slot), robots.txt
// disallows the page, or robots.txt is unavailable — and reports whether
// it did; otherwise the page was fetched and policy decides.
func (e *engine) robotsOutcome(p *processed, f *fetched) bool {
	l := f.lease
	switch {
	case f.released:
		p.comp.Outcome = frontier.Release
	case f.blocked:
		p.comp.Outcome, p.comp.Reason = frontier.Skipped, "blocked by robots.txt"
		p.class = "robots"
		e.addRecord(p, decisionRecord(l, p.comp.Reason, f.now))
	case f.robots.unavailable && f.err == nil:
		d := robotsDecision(f.robots)
		e.applyDecision(p, d)
		switch d.outcome {
		case frontier.Failed:
			p.class = f.robots.class
			e.refused(l, d.reason, f.robots.class)
			e.seedFailed(l, d.reason, p.class)
			e.addRecord(p, decisionRecord(l, p.comp.Reason, f.now))
			e.callError(l, nil, fmt.Errorf("%s", p.comp.Reason))
		case frontier.Deferred:
			e.deferred(l, d)
		}
	default:
		return false
	}
	return true
}

// failed records a final failure: a response (an error status after the
// retries) is stored as one; a failure before any response is a decision
// record.
func (e *engine) failed(p *processed, f *fetched, d decision, status int) {
	l := f.lease
	p.class = failureClass(f.err, status)
	if f.resp == nil {
		e.refused(l, d.reason, p.class)
	}
	e.seedFailed(l, d.reason, p.class)
	rec := decisionRecord(l, d.reason, f.now)
	if f.resp != nil {
		rec = responseRecord(l, f.resp, f.now)
	}
	e.addRecord(p, rec)
	e.callError(l, f.resp, fmt.Errorf("%s", d.reason))
}

// done stores a response and queues what it leads to: its redirect
// target, and for HTML its links (and requisites) after the callbacks ran.
func (e *engine) done(p *processed, f *fetched) {
	l, resp := f.lease, f.resp
	rec := responseRecord(l, resp, f.now)
	p.comp.Bytes = int64(len(resp.Body))
	var children []frontier.Item
	if resp.Status >= 300 && resp.Status < 400 && resp.Location != "" {
		if target, err := links.Canonical(resp.Location, l.URL); err == nil {
			rec.FinalURL = target
			if l.Redirects >= maxRedirects {
				// The response is stored as it came; the reason lives in
				// the frontier and the counters (a response carries none).
				p.comp.Reason, p.class = fmt.Sprintf("redirect not followed: %d redirects in a row", l.Redirects+1), "redirect-limit"
				e.c.log.Info("redirect not followed", "url", l.URL, "location", target, "reason", p.comp.Reason)
			} else {
				// A redirect hop is the same distance from the seed as its source.
				children = e.addRedirect(children, frontier.Item{URL: target, Depth: l.Depth, Parent: l.URL, Redirects: l.Redirects + 1}, l)
			}
		}
	}
	if isHTML(rec.ContentType, resp.Body) {
		children = append(children, e.parseHTML(l, resp, rec)...)
		p.linksDropped = rec.LinksDropped
	} else if resp.Status >= 200 && resp.Status < 300 {
		children = e.cssRequisites(children, l, resp, rec.ContentType)
		e.callResponse(l, resp)
	}
	if resp.Status >= 400 {
		e.callError(l, resp, fmt.Errorf("%s", http.StatusText(resp.Status)))
	}
	p.comp.Children = children
	e.addRecord(p, rec)
}

// responseRecord is the page-store record of lease l's response.
func responseRecord(l frontier.Lease, resp *fetch.Response, at time.Time) *storage.Record {
	rec := &storage.Record{URL: l.URL, FinalURL: l.URL, Method: "GET", Status: resp.Status, FetchedAt: at, Depth: l.Depth, Parent: l.Parent}
	fillRecord(rec, resp)
	return rec
}

func fillRecord(rec *storage.Record, resp *fetch.Response) {
	rec.Proto = resp.Proto
	rec.Header = resp.Header
	rec.RequestHeader = resp.RequestHeader
	rec.Body = resp.Body
	rec.Truncated = resp.Truncated
	rec.ContentType = resp.Header.Get("Content-Type")
	rec.IP = resp.ServerIP
}

// addRecord encodes rec (compression and hashing happen here, in the parse
// stage). An encoding failure is a fatal error: nothing is dropped silently.
func (e *engine) addRecord(p *processed, rec *storage.Record) {
	e.recrawlRecord(p, rec) // pass, validators, and in a recrawl the comparison with the previous version
	e.store.dedup(rec)      // a body stored before is stored as a reference (hashing happens here too)
	b, err := storage.Encode(rec)
	if err != nil {
		e.fail(fmt.Errorf("encode record %s: %w", rec.URL, err))
		return
	}
	p.block = &b
}

// parseHTML extracts links (respecting nofollow) and runs user callbacks.
// Links come from the token stream (links.ExtractTokens); a goquery
// document is built only for callbacks that need one: a DOM is many times
// the page's size and building it was the parse stage's largest CPU cost
// (docs/ARCHITECTURE.md, "The pipeline").
func (e *engine) parseHTML(l frontier.Lease, resp *fetch.Response, rec *storage.Record) []frontier.Item {
	contentType := rec.ContentType
	body, err := utf8Body(resp.Body, contentType)
	if err != nil {
		e.c.log.Debug("parse", "url", l.URL, "err", err)
		return nil
	}
	var children []frontier.Item
	if resp.Status >= 200 && resp.Status < 300 {
		var page links.Page
		children, page = e.pageLinks(l, resp.Header, body)
		if page.Dropped > 0 {
			// Never in silence: the log, the page's record and the
			// crawl's counters say what the cap left out.
			rec.LinksDropped = page.Dropped
			e.c.log.Warn("links dropped: the page has more than --max-links-per-page", "url", l.URL,
				"kept", len(page.Links), "dropped", page.Dropped, "max_links_per_page", e.cfg.MaxLinksPerPage)
		}
		if e.bridge != nil {
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
			if err != nil {
				e.c.log.Debug("parse", "url", l.URL, "err", err)
				return children
			}
			for _, v := range e.runCallbacks(l, resp, doc, page.Base) {
				children = e.addChild(children, v.url, v.depth, l.URL)
			}
		}
	}
	return children
}

// pageLinks returns the children a 2xx HTML page's links give (nofollow,
// scope, filters and OnEnqueue applied) at the lease's depth + 1, with its
// requisites under --page-requisites, and the extracted page. body is the
// page as UTF-8. The crawl and the re-extraction from stored pages both
// come here, so they find the same links.
func (e *engine) pageLinks(l frontier.Lease, header http.Header, body []byte) ([]frontier.Item, links.Page) {
	var children []frontier.Item
	requisites := e.cfg.PageRequisites && e.inScopeDocument(l.URL)
	page := links.ExtractTokens(body, l.URL, e.cfg.MaxLinksPerPage, requisites)
	if requisites {
		children = e.addRequisites(children, page.Requisites, l.Depth, l.URL)
	}
	nofollow := !e.cfg.FollowNofollow &&
		(page.NofollowFor(e.rob.agent) || links.XRobotsNofollow(header.Values("X-Robots-Tag"), e.rob.agent))
	if !nofollow && e.cfg.FollowLinks {
		for _, ln := range page.Links {
			if ln.Nofollow && !e.cfg.FollowNofollow {
				continue
			}
			children = e.addChild(children, ln.URL, l.Depth+1, l.URL)
		}
	}
	return children, page
}

// htmlReader decodes a page to UTF-8 for the parser. Most pages are UTF-8
// already and are not transcoded (a measurable CPU cost, docs/BENCHMARKS.md);
// an undeclared
// page that is valid UTF-8 is read as UTF-8 (what browsers' sniffing does),
// not as the HTML5 fallback windows-1252.
func htmlReader(body []byte, contentType string) io.Reader {
	enc, name, _ := links.DetermineEncoding(body, contentType)
	if name == "utf-8" || (name == "windows-1252" && utf8.Valid(body)) {
		return bytes.NewReader(body)
	}
	return transform.NewReader(bytes.NewReader(body), enc.NewDecoder())
}

// utf8Body is the page as UTF-8: body itself unless it must be transcoded.
func utf8Body(body []byte, contentType string) ([]byte, error) {
	r := htmlReader(body, contentType)
	if br, ok := r.(*bytes.Reader); ok && int(br.Size()) == len(body) {
		return body, nil
	}
	return io.ReadAll(r)
}

// addChild applies scope, filters and the user's enqueue hooks.
func (e *engine) addChild(children []frontier.Item, u string, depth int, parent string) []frontier.Item {
	return e.addChildItem(children, frontier.Item{URL: u, Depth: depth, Parent: parent})
}

func (e *engine) addChildItem(children []frontier.Item, it frontier.Item) []frontier.Item {
	if ok, _ := e.scope.allows(it.URL, it.Depth); !ok {
		return children
	}
	for _, f := range e.c.enqueueFilters {
		if !e.safeFilter(f, it.URL, it.Depth, it.Parent) {
			return children
		}
	}
	it.Host = e.keys.key(it.URL)
	return append(children, it)
}

func (e *engine) safeFilter(f EnqueueFilter, u string, depth int, parent string) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			e.c.panics.Add(1)
			e.c.log.Error("enqueue hook panicked", "url", u, "panic", fmt.Sprint(r))
			ok = false
		}
	}()
	return f(u, depth, parent)
}

// isHTML decides from the Content-Type, sniffing when it is missing.
func isHTML(contentType string, body []byte) bool {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// failureClass names a final failure for the error counters.
func failureClass(err error, status int) string {
	if fe, ok := err.(*fetch.Error); ok {
		return string(fe.Class)
	}
	if err != nil {
		return "error"
	}
	return "http-" + strconv.Itoa(status)
}

// applyDecision copies a policy decision into the completion.
func (e *engine) applyDecision(p *processed, d decision) {
	p.comp.Outcome, p.comp.RetryAt, p.comp.Reason = d.outcome, d.retryAt, d.reason
	if d.notBefore.IsZero() && !d.deferHost {
		return
	}
	if p.comp.Host == nil {
		p.comp.Host = &frontier.HostUpdate{}
	}
	if !d.notBefore.IsZero() {
		p.comp.Host.NotBefore = d.notBefore
	}
	if d.deferHost {
		p.comp.Host.Defer = d.reason
	}
}

// decisionRecord is the record of a URL that got no response: what was
// decided about it, why and when (storage.Record's decision kind).
func decisionRecord(l frontier.Lease, reason string, at time.Time) *storage.Record {
	return &storage.Record{URL: l.URL, Decision: true, Reason: reason, DecidedAt: at, Depth: l.Depth, Parent: l.Parent}
}
