// Package crawler is trawl as a Go library: a polite, resumable crawler
// whose pages are kept on disk and whose data extraction is written as
// colly callbacks.
//
// # Using it, in order
//
//  1. Config: start from Default and set Seeds (and, if you like, Scope,
//     MaxDepth, MaxPages, Include/Exclude, Delay, PerHost, UserAgent).
//  2. New(dir, cfg, options...): dir is the crawl's state directory (the
//     frontier, the stored pages, status.json). WithItemSink(os.Stdout)
//     sends what you Emit somewhere; WithLogger and WithProgress show what
//     the crawl does.
//  3. Register callbacks: OnHTML(selector, fn) with colly's own
//     *colly.HTMLElement, OnResponse, OnError, OnScraped, OnEnqueue, OnItem.
//     Call c.Emit(url, data) from them to hand out what you extract.
//  4. Crawl(ctx): runs the crawl and returns its Stats. Run the program
//     again and Crawl continues where the crawl stopped (Ctrl-C, a
//     cancelled ctx, a crash, kill -9); a finished crawl returns at once;
//     WithStartOver discards the directory's crawl and starts again.
//     (Run and Resume are the two halves of Crawl, for callers who want
//     to choose.)
//  5. Afterwards (or meanwhile, from another process): ReadStatus(dir) for
//     the figures, and package storage/export (or `trawl export`) to write
//     the stored pages as a mirror tree, JSONL or WARC.
//
// A complete program (ExampleCrawler_Crawl runs it against a local shop):
//
//	cfg := crawler.Default()
//	cfg.Seeds = []string{"https://shop.example/catalogue"}
//	c, err := crawler.New("./shop-data", cfg, crawler.WithItemSink(os.Stdout)) // one JSON line per item
//	if err != nil {
//		log.Fatal(err)
//	}
//	c.OnHTML("div.product", func(e *colly.HTMLElement) {
//		c.Emit(e.Request.URL.String(), map[string]string{
//			"title": e.ChildText("h1.title"),
//			"price": e.ChildText("span.price"),
//		})
//	})
//	stats, err := c.Crawl(context.Background()) // starts, or continues after Ctrl-C or a crash
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Printf("%s: %d pages", stats.State, stats.Done)
//
// Cancel ctx for a graceful stop: fetches in flight finish and are
// committed, and the next Crawl continues.
//
// # Coming from colly
//
// A colly scraper moves to trawl by changing its construction and its
// Visit/Wait lines; its callbacks stay as they are. It gains a frontier on
// disk (a crash loses nothing), per-host politeness (Config.PerHost,
// Config.Delay, robots.txt, Crawl-delay, Retry-After) and a page store.
// Differences that matter when porting:
//
//   - trawl follows every in-scope link on its own (set Config.FollowLinks
//     to false to queue only what callbacks Visit): Config.Scope,
//     Config.MaxDepth, Config.Include/Exclude and OnEnqueue decide what is
//     queued, for links and Request.Visit alike;
//   - Config.MaxDepth counts link hops along the shortest path from any
//     seed, whatever order pages are found in (a page found on a shorter
//     path after it was fetched has its links extracted again from the
//     stored copy; callbacks do not run again for it);
//   - callbacks run concurrently on Config.ParseWorkers goroutines (a
//     synchronous colly Collector runs them one at a time): lock shared
//     state, or set ParseWorkers to 1. A panicking callback is recovered,
//     logged with the URL and counted in Stats.Panics; the crawl goes on;
//   - a URL is fetched once per crawl, across runs: Visit of a seen URL is
//     a no-op;
//   - items are delivered at least once per stored page: a page fetched
//     again after a crash emits again;
//   - e.Request.Ctx is new for each page (a child may be fetched in another
//     run), and Request.Visit and Request.AbsoluteURL resolve against the
//     page URL, not a <base href> (links trawl follows itself honour it).
//
// examples/xkcd_store is a colly program ported this way.
//
// How the engine works inside (its stages, who owns which state, what is
// durable when) is in docs/ARCHITECTURE.md.
package crawler
