package crawler_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// The product catalogue the library tests and examples crawl: three listing
// pages (/catalogue?page=N) chained by a.next links, each linking three
// product pages (/product/K) with an <h1 class=title> and a <span
// class=price>, plus an /about page and an out-of-scope link.
const (
	catListings = 3
	catPerPage  = 3
	catProducts = catListings * catPerPage
	catPages    = catListings + catProducts + 1 // + /about
)

// catNames are the products' titles, in id order (id = index + 1).
var catNames = [catProducts]string{"Anchor", "Beacon", "Compass", "Dinghy", "Ensign", "Fender", "Gaff", "Hawser", "Inlet"}

func catPrice(id int) string { return fmt.Sprintf("£%d.%02d", 3+id, (id*37)%100) }

// outOfScope is linked from every listing page. It is a loopback address that
// the catalogue's dialer refuses, so even a scope bug makes no real request.
const outOfScope = "http://127.0.0.2:9/elsewhere"

// catalogue serves the product catalogue and counts requests per path.
type catalogue struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests map[string]int // path?query → requests
	refused  []string       // addresses the guarded dialer refused
	// extra, if set, is inserted in product page id's body (tests use it to
	// add elements only a callback acts on).
	extra map[int]string
}

// newCatalogue starts the catalogue on 127.0.0.1. extra maps a product id to
// HTML added to that product's page.
func newCatalogue(extra map[int]string) *catalogue {
	c := &catalogue{requests: map[string]int{}, extra: extra}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	return c
}

func (c *catalogue) Close() { c.srv.Close() }

// startCatalogue is newCatalogue for a test: its cleanup stops the server.
func startCatalogue(t *testing.T, extra map[int]string) *catalogue {
	c := newCatalogue(extra)
	t.Cleanup(c.Close)
	return c
}

// Seed is the crawl's start URL: the first listing page.
func (c *catalogue) Seed() string { return c.srv.URL + "/catalogue?page=1" }

func (c *catalogue) serve(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	c.mu.Lock()
	c.requests[key]++
	c.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var id int
	switch {
	case r.URL.Path == "/catalogue":
		var n int
		if _, err := fmt.Sscan(r.URL.Query().Get("page"), &n); err != nil || n < 1 || n > catListings {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<!doctype html><title>Catalogue page %d</title><ul>\n", n)
		for k := (n-1)*catPerPage + 1; k <= n*catPerPage; k++ {
			fmt.Fprintf(w, "<li><a class=product href=\"/product/%d\">%s</a></li>\n", k, catNames[k-1])
		}
		fmt.Fprint(w, "</ul>\n")
		if n < catListings {
			fmt.Fprintf(w, "<a class=next href=\"/catalogue?page=%d\">next</a>\n", n+1)
		}
		fmt.Fprintf(w, "<a href=\"/about\">about</a> <a href=%q>partner shop</a>\n", outOfScope)
	case r.URL.Path == "/about":
		fmt.Fprint(w, "<!doctype html><title>About</title><p>A shop.</p>")
	case strings.HasPrefix(r.URL.Path, "/product/"):
		if _, err := fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/product/"), &id); err != nil || id < 1 || id > catProducts {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<!doctype html><title>%s</title>\n<div class=product><h1 class=title>%s</h1> <span class=price>%s</span></div>\n%s\n<a href=\"/catalogue?page=1\">back</a>\n",
			catNames[id-1], catNames[id-1], catPrice(id), c.extra[id])
	case strings.HasPrefix(r.URL.Path, "/hidden/"):
		fmt.Fprintf(w, "<!doctype html><title>hidden</title><p>%s</p>", r.URL.Path)
	default: // robots.txt included: 404 allows everything
		http.NotFound(w, r)
	}
}

// Requests returns how often path (with its query) was requested.
func (c *catalogue) Requests(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[path]
}

// MaxPageRequests returns the most requests any one page (robots.txt
// aside) received.
func (c *catalogue) MaxPageRequests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	most := 0
	for path, n := range c.requests {
		if path != "/robots.txt" {
			most = max(most, n)
		}
	}
	return most
}

// Refused returns the addresses the guarded dialer refused.
func (c *catalogue) Refused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.refused)
}

// dial connects only to the catalogue's own address: whatever a crawl is
// asked to fetch, nothing leaves the test.
func (c *catalogue) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != c.srv.Listener.Addr().String() {
		c.mu.Lock()
		c.refused = append(c.refused, addr)
		c.mu.Unlock()
		return nil, fmt.Errorf("test dialer: %s is not the catalogue", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Config is a crawl of the catalogue at test speed.
func (c *catalogue) Config() crawler.Config {
	cfg := crawler.Default()
	cfg.Seeds = []string{c.Seed()}
	cfg.Scope = crawler.ScopeHost
	cfg.AllowPrivate = true // the catalogue is on 127.0.0.1
	cfg.ProxyFromEnv = false
	cfg.Delay = 0
	cfg.RetryBackoff = 10 * time.Millisecond
	cfg.Timeout = 10 * time.Second
	return cfg
}

// product is one scraped item; URL is the page's path, so colly's and
// trawl's spellings of the same URL compare equal.
type product struct {
	Path  string `json:"path"`
	Title string `json:"title"`
	Price string `json:"price"`
}

// wantProducts is every product in the catalogue, sorted.
func wantProducts() []product {
	out := make([]product, 0, catProducts)
	for id := 1; id <= catProducts; id++ {
		out = append(out, product{Path: fmt.Sprintf("/product/%d", id), Title: catNames[id-1], Price: catPrice(id)})
	}
	return sortProducts(out)
}

func sortProducts(ps []product) []product {
	slices.SortFunc(ps, func(a, b product) int { return strings.Compare(a.Path, b.Path) })
	return ps
}

// htmlRegistrar is what colly's Collector and trawl's Crawler have in
// common for a scraper: the same OnHTML, with colly's own callback type.
type htmlRegistrar interface {
	OnHTML(selector string, fn colly.HTMLCallback)
}

var (
	_ htmlRegistrar = (*colly.Collector)(nil)
	_ htmlRegistrar = (*crawler.Crawler)(nil)
)

// registerProductScraper is the colly program's callbacks, verbatim: it does
// not know whether c is a colly Collector or a trawl Crawler.
func registerProductScraper(c htmlRegistrar, found func(product)) {
	c.OnHTML("div.product", func(e *colly.HTMLElement) {
		found(product{
			Path:  e.Request.URL.Path,
			Title: e.ChildText("h1.title"),
			Price: e.ChildText("span.price"),
		})
	})
	c.OnHTML("a.product[href], a.next[href]", func(e *colly.HTMLElement) {
		e.Request.Visit(e.Attr("href"))
	})
}

// scrapeWithColly is the plain colly program.
func scrapeWithColly(seed string) ([]product, error) {
	var mu sync.Mutex
	var got []product
	c := colly.NewCollector()
	registerProductScraper(c, func(p product) { mu.Lock(); got = append(got, p); mu.Unlock() })
	if err := c.Visit(seed); err != nil {
		return nil, err
	}
	c.Wait()
	return sortProducts(got), nil
}

// scrapeWithTrawl is the same program ported to trawl: only the
// construction and the Visit/Wait lines differ.
func scrapeWithTrawl(ctx context.Context, dir string, cfg crawler.Config, opts ...crawler.Option) ([]product, crawler.Stats, error) {
	var mu sync.Mutex
	var got []product
	c, err := crawler.New(dir, cfg, opts...)
	if err != nil {
		return nil, crawler.Stats{}, err
	}
	registerProductScraper(c, func(p product) { mu.Lock(); got = append(got, p); mu.Unlock() })
	st, err := c.Run(ctx)
	return sortProducts(got), st, err
}

func TestCollyProgramPortsToTrawl(t *testing.T) {
	cat := startCatalogue(t, nil)

	fromColly, err := scrapeWithColly(cat.Seed())
	if err != nil {
		t.Fatalf("colly: %v", err)
	}
	fromTrawl, st, err := scrapeWithTrawl(t.Context(), t.TempDir(), cat.Config(), crawler.WithDialer(cat.dial))
	if err != nil {
		t.Fatalf("trawl: %v", err)
	}
	want := wantProducts()
	if !slices.Equal(fromColly, want) {
		t.Errorf("colly scraped %v\nwant %v", fromColly, want)
	}
	if !slices.Equal(fromTrawl, fromColly) {
		t.Errorf("trawl scraped %v\ncolly scraped %v", fromTrawl, fromColly)
	}
	if st.State != crawler.StateFinished || st.Done != catPages || st.Failed != 0 {
		t.Errorf("stats: state %q done %d failed %d, want finished %d 0", st.State, st.Done, st.Failed, catPages)
	}
	if r := cat.Refused(); len(r) != 0 {
		t.Errorf("trawl dialled outside the catalogue: %v", r)
	}
}

// TestCallbacksRunInParseStage checks, from inside every kind of callback,
// that the goroutine is a parse worker and not a fetcher.
func TestCallbacksRunInParseStage(t *testing.T) {
	cat := startCatalogue(t, nil)
	var mu sync.Mutex
	calls := map[string]int{}
	var wrong []string
	check := func(kind string) {
		buf := make([]byte, 64<<10)
		stack := string(buf[:runtime.Stack(buf, false)])
		mu.Lock()
		defer mu.Unlock()
		calls[kind]++
		if !strings.Contains(stack, "crawler.(*engine).parseLoop") || strings.Contains(stack, "crawler.(*engine).fetchOne") {
			wrong = append(wrong, kind+":\n"+stack)
		}
	}
	cfg := cat.Config()
	cfg.Retries = 0
	cfg.Seeds = append(cfg.Seeds, cat.srv.URL+"/missing") // a 404 for OnError
	c := newCrawler(t, t.TempDir(), cfg, crawler.WithDialer(cat.dial))
	c.OnHTML("title", func(*colly.HTMLElement) { check("OnHTML") })
	c.OnResponse(func(*colly.Response) { check("OnResponse") })
	c.OnError(func(*colly.Response, error) { check("OnError") })
	c.OnEnqueue(func(string, int, string) bool { check("OnEnqueue"); return true })
	c.OnItem(func(crawler.Item) { check("OnItem") })
	c.OnHTML("div.product", func(e *colly.HTMLElement) { c.Emit(e.Request.URL.String(), e.Text) })
	if _, err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"OnHTML", "OnResponse", "OnError", "OnEnqueue", "OnItem"} {
		if calls[kind] == 0 {
			t.Errorf("%s never called", kind)
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d callbacks ran outside the parse stage; first:\n%s", len(wrong), wrong[0])
	}
}

// TestOneParseWorkerSerialisesCallbacks: with ParseWorkers 1 every callback
// runs on the same goroutine, so a ported colly program whose callbacks
// share unlocked state (as a synchronous Collector allows) stays correct.
func TestOneParseWorkerSerialisesCallbacks(t *testing.T) {
	cat := startCatalogue(t, nil)
	cfg := cat.Config()
	cfg.ParseWorkers = 1
	c := newCrawler(t, t.TempDir(), cfg, crawler.WithDialer(cat.dial))
	var mu sync.Mutex
	goroutines := map[string]int{}
	record := func() {
		buf := make([]byte, 64)
		id, _, _ := strings.Cut(string(buf[:runtime.Stack(buf, false)]), " [")
		mu.Lock()
		goroutines[id]++
		mu.Unlock()
	}
	c.OnHTML("a[href]", func(*colly.HTMLElement) { record() })
	c.OnResponse(func(*colly.Response) { record() })
	c.OnEnqueue(func(string, int, string) bool { record(); return true })
	if _, err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(goroutines) != 1 {
		t.Errorf("callbacks ran on %d goroutines, want 1: %v", len(goroutines), goroutines)
	}
}

// TestPanickingCallbackIsRecovered: a callback that panics is counted and the
// crawl still fetches, commits and scrapes everything else.
func TestPanickingCallbackIsRecovered(t *testing.T) {
	tests := []struct {
		name       string
		install    func(c *crawler.Crawler)
		wantPanics int64
	}{
		{"OnHTML on one page", func(c *crawler.Crawler) {
			c.OnHTML("div.product", func(e *colly.HTMLElement) {
				if e.Request.URL.Path == "/product/4" {
					panic("boom")
				}
			})
		}, 1},
		{"OnResponse on every page", func(c *crawler.Crawler) {
			c.OnResponse(func(*colly.Response) { panic(errors.New("boom")) })
		}, catPages},
		{"OnEnqueue on one URL", func(c *crawler.Crawler) {
			c.OnEnqueue(func(u string, _ int, _ string) bool {
				if strings.HasSuffix(u, "/about") {
					panic("boom")
				}
				return true
			})
		}, -1}, // /about is discovered on every listing page: at least once
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := startCatalogue(t, nil)
			var mu sync.Mutex
			var got []product
			c := newCrawler(t, t.TempDir(), cat.Config(), crawler.WithDialer(cat.dial))
			tt.install(c) // first, so a panic would pre-empt the scraper on the same page
			registerProductScraper(c, func(p product) { mu.Lock(); got = append(got, p); mu.Unlock() })
			st, err := c.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if st.State != crawler.StateFinished {
				t.Errorf("state = %q, want finished", st.State)
			}
			if tt.wantPanics >= 0 && st.Panics != tt.wantPanics || tt.wantPanics < 0 && st.Panics == 0 {
				t.Errorf("Stats.Panics = %d, want %d (-1: some)", st.Panics, tt.wantPanics)
			}
			wantDone := int64(catPages)
			if tt.wantPanics < 0 {
				wantDone-- // a panicking filter refuses /about
				if n := cat.Requests("/about"); n != 0 {
					t.Errorf("/about fetched %d times after its filter panicked", n)
				}
			}
			if st.Done != wantDone {
				t.Errorf("done = %d, want %d", st.Done, wantDone)
			}
			if !slices.Equal(sortProducts(got), wantProducts()) {
				t.Errorf("scraped %v\nwant %v", got, wantProducts())
			}
		})
	}
}

// TestOnEnqueueRefuses: a refused URL is never fetched, whether found as a
// link or visited from a callback, and the filter sees depth and parent.
func TestOnEnqueueRefuses(t *testing.T) {
	cat := startCatalogue(t, map[int]string{1: `<div class=related data-href="/hidden/refused"></div>`})
	type seen struct {
		depth  int
		parent string
	}
	var mu sync.Mutex
	asked := map[string]seen{}
	c := newCrawler(t, t.TempDir(), cat.Config(), crawler.WithDialer(cat.dial))
	c.OnHTML("div.related", func(e *colly.HTMLElement) { e.Request.Visit(e.Attr("data-href")) })
	c.OnEnqueue(func(u string, depth int, parent string) bool {
		p, err := url.Parse(u)
		if err != nil {
			t.Errorf("OnEnqueue got unparsable %q", u)
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := asked[p.RequestURI()]; !ok {
			asked[p.RequestURI()] = seen{depth, parent}
		}
		return p.Path != "/product/3" && !strings.HasPrefix(p.Path, "/hidden/")
	})
	st, err := c.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/product/3", "/hidden/refused"} {
		if _, ok := asked[path]; !ok {
			t.Errorf("OnEnqueue never asked about %s", path)
		}
		if n := cat.Requests(path); n != 0 {
			t.Errorf("%s refused but fetched %d times", path, n)
		}
	}
	if st.Done != catPages-1 {
		t.Errorf("done = %d, want %d", st.Done, catPages-1)
	}
	// Depth and parent as the filter saw them: product 3 is on listing 1
	// (the seed, depth 0); the hidden URL was visited from product 1.
	if got, want := asked["/product/3"], (seen{1, cat.Seed()}); got != want {
		t.Errorf("/product/3 asked as %+v, want %+v", got, want)
	}
	if got, want := asked["/hidden/refused"], (seen{2, cat.srv.URL + "/product/1"}); got != want {
		t.Errorf("/hidden/refused asked as %+v, want %+v", got, want)
	}
	if _, ok := asked[outOfScope]; ok {
		t.Errorf("OnEnqueue asked about out-of-scope %s: scope must filter first", outOfScope)
	}
}

// TestRequestVisitEnqueues: e.Request.Visit from a callback queues the URL in
// the frontier, subject to scope, max depth and dedup.
func TestRequestVisitEnqueues(t *testing.T) {
	// Every product page visits the same hidden page (dedup), product 1 also
	// an out-of-scope URL and an absolute in-scope one.
	extra := map[int]string{}
	for id := 1; id <= catProducts; id++ {
		extra[id] = `<div class=related data-href="/hidden/shared"></div>`
	}
	extra[1] += `<div class=related data-href="` + outOfScope + `"></div>` +
		`<div class=related data-href="../hidden/relative?x=1"></div>`
	tests := []struct {
		name      string
		maxDepth  int
		wantFetch map[string]int
		wantDone  int64
	}{
		// Depths: listing 1 is 0; products 1-3, listing 2 and /about 1;
		// products 4-6 and listing 3 2; products 7-9 3. Product 1 is at
		// depth 1, so what it visits is at depth 2.
		{"unlimited depth", -1, map[string]int{"/hidden/shared": 1, "/hidden/relative?x=1": 1}, catPages + 2},
		{"depth 2", 2, map[string]int{"/hidden/shared": 1, "/hidden/relative?x=1": 1}, 10 + 2},
		{"depth 1 stops visits", 1, map[string]int{"/hidden/shared": 0, "/hidden/relative?x=1": 0}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := startCatalogue(t, extra)
			cfg := cat.Config()
			cfg.MaxDepth = tt.maxDepth
			c := newCrawler(t, t.TempDir(), cfg, crawler.WithDialer(cat.dial))
			var mu sync.Mutex
			var visitErrs []error
			c.OnHTML("div.related", func(e *colly.HTMLElement) {
				if err := e.Request.Visit(e.Attr("data-href")); err != nil {
					mu.Lock()
					visitErrs = append(visitErrs, err)
					mu.Unlock()
				}
			})
			st, err := c.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(visitErrs) > 0 {
				t.Errorf("Visit returned errors: %v", visitErrs)
			}
			for path, want := range tt.wantFetch {
				if got := cat.Requests(path); got != want {
					t.Errorf("%s fetched %d times, want %d", path, got, want)
				}
			}
			if st.Done != tt.wantDone {
				t.Errorf("done = %d, want %d", st.Done, tt.wantDone)
			}
			if r := cat.Refused(); len(r) != 0 {
				t.Errorf("visited out of scope: dialled %v", r)
			}
		})
	}
}

// TestEmitWritesJSONLines: Emit delivers each item to OnItem and writes it as
// one JSON line to the sink.
func TestEmitWritesJSONLines(t *testing.T) {
	cat := startCatalogue(t, nil)
	var sink bytes.Buffer // written only under the Crawler's lock; read after Run
	c := newCrawler(t, t.TempDir(), cat.Config(), crawler.WithDialer(cat.dial), crawler.WithItemSink(&sink))
	var mu sync.Mutex
	var delivered []crawler.Item
	c.OnItem(func(it crawler.Item) { mu.Lock(); delivered = append(delivered, it); mu.Unlock() })
	var emitErrs []error
	c.OnHTML("div.product", func(e *colly.HTMLElement) {
		err := c.Emit(e.Request.URL.String(), product{
			Path:  e.Request.URL.Path,
			Title: e.ChildText("h1.title"),
			Price: e.ChildText("span.price"),
		})
		if err != nil {
			mu.Lock()
			emitErrs = append(emitErrs, err)
			mu.Unlock()
		}
	})
	if _, err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(emitErrs) > 0 {
		t.Fatalf("Emit: %v", emitErrs)
	}
	var lines []product
	sc := bufio.NewScanner(&sink)
	for sc.Scan() {
		var line struct {
			URL  string  `json:"url"`
			Data product `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if line.URL != cat.srv.URL+line.Data.Path {
			t.Errorf("line url %q, data path %q", line.URL, line.Data.Path)
		}
		lines = append(lines, line.Data)
	}
	if !slices.Equal(sortProducts(lines), wantProducts()) {
		t.Errorf("sink holds %v\nwant %v", lines, wantProducts())
	}
	if len(delivered) != catProducts {
		t.Errorf("OnItem got %d items, want %d", len(delivered), catProducts)
	}
}

func TestEmitErrors(t *testing.T) {
	tests := []struct {
		name string
		sink *failingWriter
		data any
	}{
		{"unmarshalable data", &failingWriter{}, make(chan int)},
		{"sink write fails", &failingWriter{err: errors.New("disk full")}, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := crawler.Default()
			cfg.Seeds = []string{"http://127.0.0.1:9/"}
			c := newCrawler(t, t.TempDir(), cfg, crawler.WithItemSink(tt.sink))
			err := c.Emit("http://127.0.0.1:9/p", tt.data)
			if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:9/p") {
				t.Errorf("Emit = %v, want an error naming the page", err)
			}
			if tt.sink.err == nil && tt.sink.n != 0 {
				t.Errorf("a failed item wrote %d bytes", tt.sink.n)
			}
		})
	}
}

type failingWriter struct {
	err error
	n   int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.n += len(p)
	return len(p), nil
}
