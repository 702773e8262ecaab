// Package crawler is trawl's crawl engine and its public Go API: it takes a
// Config and a state directory, fetches pages politely, stores them, and runs
// the user's colly-style callbacks on every HTML page.
//
// # Using it
//
// A colly scraper moves to trawl by changing its construction and its
// Visit/Wait lines; its callbacks stay as they are, because they receive
// colly's own types (*colly.HTMLElement, *colly.Response):
//
//	cfg := crawler.Default()
//	cfg.Seeds = []string{"https://shop.example/catalogue"}
//	c, err := crawler.New(dir, cfg, crawler.WithItemSink(os.Stdout))
//	if err != nil { ... }
//	c.OnHTML("div.product", func(e *colly.HTMLElement) {
//		c.Emit(e.Request.URL.String(), map[string]string{
//			"title": e.ChildText("h1.title"),
//			"price": e.ChildText("span.price"),
//		})
//	})
//	c.OnHTML("a.next[href]", func(e *colly.HTMLElement) {
//		e.Request.Visit(e.Attr("href")) // queues into the persistent frontier
//	})
//	stats, err := c.Run(ctx) // Resume(ctx) continues an interrupted crawl
//
// What the scraper gains: the frontier lives on disk (a crash or a cancelled
// ctx loses nothing; Resume picks up where the crawl stopped), politeness is
// per host (Config.PerHost, Config.Delay, robots.txt, Crawl-delay,
// Retry-After), and every response is kept in a page store that
// storage/export reads. Differences from colly that matter when porting:
//
//   - trawl follows every in-scope link on its own (set Config.FollowLinks
//     to false to queue only what callbacks Visit): Config.Scope,
//     Config.MaxDepth, Config.Include/Exclude and OnEnqueue decide what is
//     queued, for links and Request.Visit alike;
//   - callbacks run concurrently on Config.ParseWorkers goroutines (a
//     synchronous colly Collector runs them one at a time): lock shared
//     state, or set ParseWorkers to 1;
//   - a URL is fetched once per crawl, across runs: Visit of a seen URL is
//     a no-op;
//   - e.Request.Ctx is new for each page (a child may be fetched in another
//     run), and Request.Visit and Request.AbsoluteURL resolve against the
//     page URL, not a <base href> (links trawl follows itself honour it).
//
// examples/xkcd_store is a colly program ported this way.
//
// # Pipeline
//
// One crawl is four stages joined by bounded channels (run.go wires them and
// writes the shutdown order once):
//
//   - dispatch (fetcher.go) leases URLs from the frontier when their host's
//     schedule allows and runs one HTTP attempt each through crawler/fetch,
//     after the host's robots.txt (crawler/robots) has been consulted; at
//     the last body byte it frees the fetch slot and the host's request
//     slot (Frontier.ReleaseSlot) before any CPU work;
//   - parse (parser.go) decides the outcome (done, retry, failed) with
//     policy.go, parses HTML, extracts links (crawler/links), runs the user's
//     callbacks and OnEnqueue filters, and encodes the page record;
//   - commit (committer.go) appends the record to the page store (storage)
//     and hands the completion, with its discovered children, to the
//     frontier's group commit;
//   - a status loop publishes status.json (ReadStatus) about once a second.
//
// # Invariants
//
//   - Callbacks (OnHTML, OnResponse, OnScraped, OnError, OnEnqueue, OnItem) run in the
//     parse stage, never on a fetcher, possibly on several parse workers at
//     once: they must be safe for concurrent use. A panicking callback is
//     recovered, logged with the URL, counted in Stats.Panics, and the crawl
//     goes on; a panicking OnEnqueue filter refuses the URL.
//   - A page, its record and the URLs found on it (links and Request.Visit)
//     are committed together: after a crash a page is either fetched again
//     in full or was never lost.
//   - Fetching never goes through colly's Collector: Request.Visit reaches
//     the frontier through a private collector whose OnRequest hook records
//     the URL and aborts. Dedup, scope and politeness are trawl's.
//   - A Crawler runs once (Run or Resume). Resume keeps the stored crawl's
//     scope settings; only operational settings may change.
//   - Emit writes each item as one JSON line to the WithItemSink writer,
//     serialised by the Crawler; items are delivered at least once per
//     committed page (a page re-fetched after a crash emits again).
package crawler
