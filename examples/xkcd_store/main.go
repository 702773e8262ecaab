// Command xkcd_store is colly's _examples/xkcd_store scraper ported to
// trawl: it writes the name, price, URL and image of every product in the
// xkcd store to a CSV file. The callbacks are colly's, unchanged; what
// changed is how the crawler is built and run (see README.md for the diff).
//
// Unlike the colly original, the crawl is polite per host (robots.txt, a
// delay between requests), survives an interruption (run it again with the
// same -dir and it resumes), and keeps every page it fetched in -dir.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		log.Fatal(err)
	}
}

// run is the program, minus process concerns, so tests call it in-process.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("xkcd_store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", "https://store.xkcd.com/collections/everything", "first listing page")
	dir := fs.String("dir", "xkcd_store.crawl", "crawl state directory (run again to resume)")
	fName := fs.String("out", "xkcd_store_items.csv", "CSV file to write")
	delay := fs.Duration("delay", time.Second, "delay between requests to the store")
	allowPrivate := fs.Bool("allow-private", false, "allow private and loopback addresses (tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := log.New(stderr, "", log.LstdFlags)

	resume := crawler.Exists(*dir)
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resume {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	file, err := os.OpenFile(*fName, flags, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create file %q: %w", *fName, err)
	}
	defer file.Close()
	writer := csv.NewWriter(file)
	defer writer.Flush()
	if !resume {
		// Write CSV header
		writer.Write([]string{"Name", "Price", "URL", "Image URL"})
	}

	// Instantiate the crawler (was: colly.NewCollector).
	cfg := crawler.Default()
	cfg.Seeds = []string{*seed}
	// Only the listing pages, as the colly program: trawl follows every
	// in-scope link by itself, and "?page=N" URLs start with the seed.
	cfg.Scope = crawler.ScopeSeedsPrefix
	// One parse worker: callbacks run one at a time, as in a synchronous
	// colly Collector, so the shared CSV writer needs no lock.
	cfg.ParseWorkers = 1
	cfg.Delay = *delay
	cfg.AllowPrivate = *allowPrivate
	c, err := crawler.New(*dir, cfg)
	if err != nil {
		return err
	}

	// Extract product details
	c.OnHTML(".product-grid-item", func(e *colly.HTMLElement) {
		writer.Write([]string{
			e.ChildAttr("a", "title"),
			e.ChildText("span"),
			e.Request.AbsoluteURL(e.ChildAttr("a", "href")),
			"https:" + e.ChildAttr("img", "src"),
		})
	})

	// Find and visit next page links
	c.OnHTML(`.next a[href]`, func(e *colly.HTMLElement) {
		e.Request.Visit(e.Attr("href"))
	})

	// Crawl (was: c.Visit(seed)); Ctrl-C stops gracefully, and running the
	// program again resumes.
	var st crawler.Stats
	if resume {
		st, err = c.Resume(ctx)
	} else {
		st, err = c.Run(ctx)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}

	logger.Printf("Scraping %s, check file %q for results\n", st.State, *fName)

	// Display the crawl's statistics
	logger.Printf("pages: %d done, %d failed, %d queued; callback panics: %d\n", st.Done, st.Failed, st.Queued, st.Panics)
	writer.Flush()
	return writer.Error()
}
