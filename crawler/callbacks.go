package crawler

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/links"
)

// sinkKey is the colly.Context key under which a page's visit sink travels
// from our Request to the bridge collector's OnRequest hook.
const sinkKey = "\x00trawl.visits"

// visitSink collects the URLs a page's callbacks asked to visit; they are
// committed atomically with the page.
type visitSink struct {
	mu     sync.Mutex
	visits []visit
}

type visit struct {
	url   string
	depth int
}

// initBridge builds the private colly Collector that backs Request.Visit:
// colly's own scrape path runs (URL parsing, depth) and ends in our
// OnRequest hook, which records the URL and aborts, so colly never fetches
// anything. Fetching, dedup and politeness stay trawl's.
func (e *engine) initBridge() error {
	if len(e.c.htmlCallbacks)+len(e.c.respCallbacks)+len(e.c.errCallbacks)+len(e.c.scrapedCbs) == 0 {
		return nil
	}
	b := colly.NewCollector(colly.IgnoreRobotsTxt(), colly.AllowURLRevisit())
	b.OnRequest(func(r *colly.Request) {
		if s, ok := r.Ctx.GetAny(sinkKey).(*visitSink); ok {
			s.mu.Lock()
			s.visits = append(s.visits, visit{url: r.URL.String(), depth: r.Depth})
			s.mu.Unlock()
		}
		r.Abort()
	})
	tmpl, err := b.UnmarshalRequest([]byte(`{"URL":"http://trawl.invalid/","Method":"GET"}`))
	if err != nil {
		return fmt.Errorf("colly bridge: %w", err)
	}
	e.bridge, e.bridgeReq = b, tmpl
	return nil
}

// collyResponse builds colly's Request/Response for a page; the Request
// carries the bridge collector, so e.Request.Visit works as in colly.
func (e *engine) collyResponse(l frontier.Lease, resp *fetch.Response, sink *visitSink) *colly.Response {
	req := new(colly.Request)
	*req = *e.bridgeReq
	u, err := url.Parse(l.URL)
	if err != nil {
		u = &url.URL{}
	}
	req.URL, req.Depth, req.Method = u, l.Depth, "GET"
	req.Ctx = colly.NewContext()
	req.Ctx.Put(sinkKey, sink)
	h := http.Header{}
	if resp != nil {
		h = resp.RequestHeader.Clone()
	}
	req.Headers = &h
	cr := &colly.Response{Request: req, Ctx: req.Ctx}
	if resp != nil {
		rh := resp.Header
		cr.StatusCode, cr.Body, cr.Headers = resp.Status, resp.Body, &rh
	} else {
		cr.Headers = &http.Header{}
	}
	return cr
}

// runCallbacks runs OnResponse and OnHTML callbacks for one page (parse
// stage) and returns the canonical URLs they visited.
func (e *engine) runCallbacks(l frontier.Lease, resp *fetch.Response, doc *goquery.Document, base string) []visit {
	if e.bridge == nil {
		return nil
	}
	sink := &visitSink{}
	cr := e.collyResponse(l, resp, sink)
	if resp.Status >= 200 && resp.Status < 300 {
		for _, fn := range e.c.respCallbacks {
			e.guard(l.URL, func() { fn(cr) })
		}
		for _, cb := range e.c.htmlCallbacks {
			i := 0
			doc.Find(cb.selector).Each(func(_ int, s *goquery.Selection) {
				for _, n := range s.Nodes {
					el := colly.NewHTMLElementFromSelectionNode(cr, s, n, i)
					i++
					e.guard(l.URL, func() { cb.fn(el) })
				}
			})
		}
	}
	if resp.Status >= 200 && resp.Status < 300 {
		for _, fn := range e.c.scrapedCbs {
			e.guard(l.URL, func() { fn(cr) })
		}
	}
	out := make([]visit, 0, len(sink.visits))
	for _, v := range sink.visits {
		cu, err := links.Canonical(v.url, base)
		if err != nil {
			continue
		}
		out = append(out, visit{url: cu, depth: v.depth})
	}
	return out
}

func (e *engine) callResponse(l frontier.Lease, resp *fetch.Response) {
	if e.bridge == nil || len(e.c.respCallbacks) == 0 {
		return
	}
	cr := e.collyResponse(l, resp, &visitSink{})
	for _, fn := range e.c.respCallbacks {
		e.guard(l.URL, func() { fn(cr) })
	}
}

func (e *engine) callError(l frontier.Lease, resp *fetch.Response, err error) {
	if e.bridge == nil || len(e.c.errCallbacks) == 0 {
		return
	}
	cr := e.collyResponse(l, resp, &visitSink{})
	for _, fn := range e.c.errCallbacks {
		e.guard(l.URL, func() { fn(cr, err) })
	}
}

// guard runs a user callback; a panic is logged with the URL, counted, and
// the crawl goes on.
func (e *engine) guard(u string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			e.c.panics.Add(1)
			e.c.log.Error("callback panicked", "url", u, "panic", fmt.Sprint(r))
		}
	}()
	fn()
}
