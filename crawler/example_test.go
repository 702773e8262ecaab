package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

// The examples crawl a small product catalogue served on 127.0.0.1 (see
// newCatalogue in library_test.go): three listing pages, nine products and
// an about page. exampleSetup starts it and makes the state directory.

// exampleSetup starts the catalogue and makes a state directory for an
// example; done stops the one and removes the other.
func exampleSetup() (shop *catalogue, dir string, done func()) {
	shop = newCatalogue(nil)
	dir, err := os.MkdirTemp("", "trawl-example-")
	if err != nil {
		shop.Close()
		log.Fatal(err)
	}
	return shop, dir, func() { shop.Close(); os.RemoveAll(dir) }
}

// A minimal crawl: seeds and a state directory in, pages stored on disk.
func Example() {
	shop, dir, done := exampleSetup()
	defer done()

	cfg := crawler.Default()
	cfg.Seeds = []string{shop.Seed()}
	cfg.Scope = crawler.ScopeHost
	cfg.AllowPrivate = true // the shop runs on 127.0.0.1
	cfg.Delay = 0           // and is ours: no politeness delay needed

	c, err := crawler.New(dir, cfg)
	if err != nil {
		log.Fatal(err)
	}
	st, err := c.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d pages stored, %d failed\n", st.State, st.Done, st.Failed)

	// Another process can read the same snapshot while a crawl runs.
	st, err = crawler.ReadStatus(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status.json says:", st.State, st.Done)
	// Output:
	// finished: 13 pages stored, 0 failed
	// status.json says: finished 13
}

// A colly scraper, unchanged but for construction and Run: titles and
// prices from every product page. Callbacks run on several parse workers at
// once, so what they share is locked.
func ExampleCrawler_OnHTML() {
	shop, dir, done := exampleSetup()
	defer done()

	c, err := crawler.New(dir, shop.Config())
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	c.OnHTML("div.product", func(e *colly.HTMLElement) {
		line := fmt.Sprintf("%-8s %s", e.ChildText("h1.title"), e.ChildText("span.price"))
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
	})
	// As in colly; trawl also follows in-scope links on its own, and fetches
	// a URL once however often it is visited.
	c.OnHTML("a.next[href]", func(e *colly.HTMLElement) {
		e.Request.Visit(e.Attr("href"))
	})
	if _, err := c.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// Anchor   £4.37
	// Beacon   £5.74
	// Compass  £6.11
	// Dinghy   £7.48
	// Ensign   £8.85
	// Fender   £9.22
	// Gaff     £10.59
	// Hawser   £11.96
	// Inlet    £12.33
}

// Items emitted with Emit go to the OnItem callbacks and, as JSON lines, to
// the item sink.
func ExampleWithItemSink() {
	shop, dir, done := exampleSetup()
	defer done()

	var items bytes.Buffer // os.Stdout or a file in a real program
	c, err := crawler.New(dir, shop.Config(), crawler.WithItemSink(&items))
	if err != nil {
		log.Fatal(err)
	}
	c.OnHTML("div.product", func(e *colly.HTMLElement) {
		err := c.Emit(e.Request.URL.String(), map[string]string{
			"title": e.ChildText("h1.title"),
			"price": e.ChildText("span.price"),
		})
		if err != nil {
			log.Print(err)
		}
	})
	if _, err := c.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Lines arrive in crawl order; sort them (and drop the port) to print.
	lines := strings.Split(strings.TrimSpace(items.String()), "\n")
	slices.Sort(lines)
	for _, l := range lines[:3] {
		fmt.Println(strings.Replace(l, shop.srv.URL, "http://shop", 1))
	}
	fmt.Println(len(lines), "items")
	// Output:
	// {"url":"http://shop/product/1","data":{"price":"£4.37","title":"Anchor"}}
	// {"url":"http://shop/product/2","data":{"price":"£5.74","title":"Beacon"}}
	// {"url":"http://shop/product/3","data":{"price":"£6.11","title":"Compass"}}
	// 9 items
}

// A crawl interrupted (here: its context cancelled after four pages; in
// real life also a crash or kill -9) continues with Resume on a new Crawler
// over the same directory. Pages committed before the stop are not fetched
// again.
func ExampleCrawler_Resume() {
	shop, dir, done := exampleSetup()
	defer done()
	cfg := shop.Config()
	cfg.PerHost = 1

	var mu sync.Mutex
	scraped := map[string]string{}
	scraper := func(c *crawler.Crawler) {
		c.OnHTML("div.product", func(e *colly.HTMLElement) {
			mu.Lock()
			scraped[e.ChildText("h1.title")] = e.ChildText("span.price")
			mu.Unlock()
		})
	}

	// First run: stop after four responses.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, err := crawler.New(dir, cfg)
	if err != nil {
		log.Fatal(err)
	}
	scraper(first)
	var responses atomic.Int64
	first.OnResponse(func(*colly.Response) {
		if responses.Add(1) == 4 {
			cancel()
		}
	})
	st, err := first.Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first run: %s, some pages left: %t\n", st.State, st.Queued > 0)

	// Second run: a new Crawler on the same directory.
	second, err := crawler.New(dir, cfg)
	if err != nil {
		log.Fatal(err)
	}
	scraper(second)
	st, err = second.Resume(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("after resume: %s, %d pages stored, %d products scraped\n", st.State, st.Done, len(scraped))
	fmt.Println("most requests for one page:", shop.MaxPageRequests())
	// Output:
	// first run: interrupted, some pages left: true
	// after resume: finished, 13 pages stored, 9 products scraped
	// most requests for one page: 1
}
