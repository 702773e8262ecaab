package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// The README's program: a colly scraper whose items go to stdout as JSON
// lines, run with Crawl — so running it again continues an interrupted
// crawl instead of failing on the directory it left. Here it runs against
// the catalogue on 127.0.0.1 (hence AllowPrivate and no delay) and its
// output has the catalogue's address shortened.
func ExampleCrawler_Crawl() {
	shop, dir, done := exampleSetup()
	defer done()
	stdout := replacing(os.Stdout, shop.srv.URL, "http://shop")

	program := func(opts ...crawler.Option) {
		// --- as in README.md ---
		cfg := crawler.Default()
		cfg.Seeds = []string{shop.Seed()}
		cfg.AllowPrivate, cfg.Delay = true, 0                                          // only for the shop on 127.0.0.1
		c, err := crawler.New(dir, cfg, append(opts, crawler.WithItemSink(stdout))...) // one JSON line per item
		if err != nil {
			log.Fatal(err)
		}
		c.OnHTML("div.product", func(e *colly.HTMLElement) {
			c.Emit(e.Request.URL.String(), map[string]string{
				"title": e.ChildText("h1.title"),
				"price": e.ChildText("span.price"),
			})
		})
		stats, err := c.Crawl(context.Background()) // starts, or continues after Ctrl-C or a crash
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d pages, %d fetched by this run\n", stats.State, stats.Done, stats.Run.Done)
		// --- end ---
	}
	program()                        // a new crawl
	program()                        // the same program again: nothing left to do
	program(crawler.WithStartOver()) // or: discard it and crawl again

	// Unordered output:
	// {"url":"http://shop/product/1","data":{"price":"£4.37","title":"Anchor"}}
	// {"url":"http://shop/product/2","data":{"price":"£5.74","title":"Beacon"}}
	// {"url":"http://shop/product/3","data":{"price":"£6.11","title":"Compass"}}
	// {"url":"http://shop/product/4","data":{"price":"£7.48","title":"Dinghy"}}
	// {"url":"http://shop/product/5","data":{"price":"£8.85","title":"Ensign"}}
	// {"url":"http://shop/product/6","data":{"price":"£9.22","title":"Fender"}}
	// {"url":"http://shop/product/7","data":{"price":"£10.59","title":"Gaff"}}
	// {"url":"http://shop/product/8","data":{"price":"£11.96","title":"Hawser"}}
	// {"url":"http://shop/product/9","data":{"price":"£12.33","title":"Inlet"}}
	// finished: 13 pages, 13 fetched by this run
	// finished: 13 pages, 0 fetched by this run
	// {"url":"http://shop/product/1","data":{"price":"£4.37","title":"Anchor"}}
	// {"url":"http://shop/product/2","data":{"price":"£5.74","title":"Beacon"}}
	// {"url":"http://shop/product/3","data":{"price":"£6.11","title":"Compass"}}
	// {"url":"http://shop/product/4","data":{"price":"£7.48","title":"Dinghy"}}
	// {"url":"http://shop/product/5","data":{"price":"£8.85","title":"Ensign"}}
	// {"url":"http://shop/product/6","data":{"price":"£9.22","title":"Fender"}}
	// {"url":"http://shop/product/7","data":{"price":"£10.59","title":"Gaff"}}
	// {"url":"http://shop/product/8","data":{"price":"£11.96","title":"Hawser"}}
	// {"url":"http://shop/product/9","data":{"price":"£12.33","title":"Inlet"}}
	// finished: 13 pages, 13 fetched by this run
}

// replacing writes to w with old replaced by new in each write (an item
// sink writes one whole line per call).
func replacing(w io.Writer, old, new string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if _, err := w.Write(bytes.ReplaceAll(p, []byte(old), []byte(new))); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
