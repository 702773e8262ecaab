package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/storage"
)

// Change classes of a recrawl pass, counted per pass (Stats.Changes).
const (
	ChangeNew       = "new"       // fetched for the first time in this pass (a new link, or no earlier record)
	ChangeChanged   = "changed"   // a new version was stored
	ChangeUnchanged = "unchanged" // 304, or the same status and body digest: stored as a reference
	ChangeGone      = "gone"      // now 404 or 410, and was not before
)

// Recrawl starts a new pass over the crawl in the Crawler's directory, a
// finished or an interrupted one, and runs it like Resume: every URL the
// crawl knows in a final state is queued again (frontier.StartPass), and
// fetched with If-None-Match / If-Modified-Since from the validators its
// last fetch stored. A 304, or a body whose SHA-256 equals the previous
// version's (servers that ignore conditional requests), is stored as a
// reference to the previous version (storage.ProfileServerNotModified),
// without its body; a changed page is stored as a new version; links found
// are crawled as usual; 404/410 counts as gone. Every record carries the
// pass number. A kill -9 at any point is continued by Resume (which also
// finishes an interrupted start of the pass), with a crawl's guarantees.
func (c *Crawler) Recrawl(ctx context.Context) (Stats, error) {
	if c.openFrontier != nil {
		// A shared frontier (Redis) keeps no record of finished URLs, only
		// their fingerprints: there is nothing to queue again.
		return Stats{}, configErr("recrawl %s: recrawl passes are not supported with a frontier given by WithFrontier (a shared frontier)", c.dir)
	}
	d := stateDir(c.dir)
	if !d.exists() {
		return Stats{}, fmt.Errorf("recrawl %s: %w", c.dir, ErrNoCrawl)
	}
	pass, starting, err := frontier.PassState(d.frontierPath())
	if err != nil {
		return Stats{}, fmt.Errorf("recrawl %s: %w", c.dir, err)
	}
	if !starting {
		pass++
	}
	n, err := frontier.StartPass(d.frontierPath(), pass)
	if err != nil {
		return Stats{}, fmt.Errorf("recrawl %s: %w", c.dir, err)
	}
	c.log.Info("recrawl pass started", "dir", c.dir, "pass", pass, "requeued", n)
	return c.run(ctx, true)
}

// finishPassStart completes a StartPass a kill interrupted, before the
// frontier is opened for a resume: the pass's URLs are all queued before
// any is fetched.
func finishPassStart(d stateDir) error {
	pass, starting, err := frontier.PassState(d.frontierPath())
	if err != nil || !starting {
		return err
	}
	if _, err := frontier.StartPass(d.frontierPath(), pass); err != nil {
		return fmt.Errorf("finish starting pass %d: %w", pass, err)
	}
	return nil
}

// loadPass reads the crawl's current pass (0: the first crawl).
func loadPass(fr Frontier) (int, error) {
	v, err := fr.Meta(frontier.MetaPass)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	p, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("stored pass %q: %w", v, err)
	}
	return p, nil
}

// conditional adds the validators of the URL's last fetch to a recrawl
// pass's request. h may be shared: it is copied before a change.
func (e *engine) conditional(l frontier.Lease, h http.Header) http.Header {
	if e.pass == 0 || l.Tag == "" {
		return h
	}
	t := parseTag(l.Tag)
	if t["etag"] == "" && t["lm"] == "" {
		return h
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	if t["etag"] != "" {
		h.Set("If-None-Match", t["etag"])
	}
	if t["lm"] != "" {
		h.Set("If-Modified-Since", t["lm"])
	}
	return h
}

// recrawlRecord runs on every record before it is encoded (addRecord): it
// stamps the pass, keeps the response's validators in the URL's Tag for
// the next pass, and in a recrawl pass compares with the previous version
// (whose locator the Tag holds): unchanged responses become references to
// the stored body.
func (e *engine) recrawlRecord(p *processed, rec *storage.Record) {
	rec.Pass = e.pass
	if p.comp.Outcome != frontier.Done || rec.Status == 0 {
		return
	}
	prevTag := parseTag(p.comp.Lease.Tag)
	next := urlTag{}
	for k, v := range prevTag {
		next[k] = v
	}
	for key, hdr := range map[string]string{"etag": "ETag", "lm": "Last-Modified"} {
		if v := rec.Header.Get(hdr); v != "" {
			next[key] = v
		} else if rec.Status != http.StatusNotModified {
			delete(next, key) // a new version without validators: do not send the old ones
		}
	}
	delete(next, "loc") // the committer adds this version's locator
	p.comp.Tag = next.String()
	if e.pass == 0 {
		return
	}
	locHex := prevTag["loc"]
	if locHex == "" {
		p.change = ChangeNew
		return
	}
	loc, err := hex.DecodeString(locHex)
	var prev *storage.Record
	if err == nil {
		prev, err = e.store.readAt(loc)
	}
	var ref storage.Ref
	if err == nil {
		ref, err = storage.RefOfLocator(loc)
	}
	if err != nil {
		e.c.log.Warn("recrawl: previous version unreadable; storing this one in full", "url", rec.URL, "err", err)
		p.change = ChangeChanged
		return
	}
	if prev.Revisit != nil {
		ref = prev.Revisit.Ref // refer to the block that holds the body
	}
	gone := func(s int) bool { return s == http.StatusNotFound || s == http.StatusGone }
	switch {
	case rec.Status == http.StatusNotModified:
		// The page as it was, confirmed: its status, type and headers,
		// with the validators and dates the 304 refreshed (RFC 9111 §4.3.4).
		hdr := prev.Header.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		for _, k := range []string{"ETag", "Last-Modified", "Date", "Expires", "Cache-Control"} {
			if v := rec.Header.Values(k); len(v) > 0 {
				hdr[k] = v
			}
		}
		rec.Status, rec.ContentType, rec.Header, rec.SHA256 = prev.Status, prev.ContentType, hdr, prev.SHA256
		rec.Revisit = &storage.Revisit{Profile: storage.ProfileServerNotModified, Ref: ref}
		p.change = ChangeUnchanged
	case gone(rec.Status) && !gone(prev.Status):
		p.change = ChangeGone
	default:
		sum := sha256.Sum256(rec.Body)
		rec.SHA256 = hex.EncodeToString(sum[:])
		if rec.Status == prev.Status && rec.SHA256 == prev.SHA256 && !rec.Truncated {
			// The server ignored the conditional request (or sent no
			// validators): the digest says nothing changed.
			rec.Revisit = &storage.Revisit{Profile: storage.ProfileServerNotModified, Ref: ref}
			p.change = ChangeUnchanged
		} else {
			p.change = ChangeChanged
		}
	}
}

// tagWithLocator adds a stored page's locator to the Tag its completion
// sets, so the next pass finds the version to compare with.
func tagWithLocator(p *processed, loc []byte) string {
	base := p.comp.Tag
	if base == "" {
		base = p.comp.Lease.Tag
	}
	t := parseTag(base)
	if t == nil {
		t = urlTag{}
	}
	t["loc"] = hex.EncodeToString(loc)
	return t.String()
}
