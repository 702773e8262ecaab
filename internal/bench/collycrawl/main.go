package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "collycrawl:", err)
		os.Exit(1)
	}
}

// Result is what a run prints on stdout as one JSON object.
type Result struct {
	Responses int64 `json:"responses"` // OnResponse calls
	Errors    int64 `json:"errors"`    // OnError calls
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("collycrawl", flag.ContinueOnError)
	proxy := fs.String("proxy", "", "HTTP proxy URL (the test web)")
	parallelism := fs.Int("parallelism", 256, "LimitRule parallelism")
	perHost := fs.String("per-host", "", "comma-separated hosts: one LimitRule per host with -parallelism each instead of one global rule")
	filter := fs.String("filter", `^https?://[^/]+\.site\.test(/|$)`, "URL filter regexp")
	maxDepth := fs.Int("max-depth", 0, "colly MaxDepth (seed = 1; 0 = unlimited)")
	agent := fs.String("agent", "trawl-colly/1.0", "User-Agent (its prefix picks the robots.txt group)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no seed URLs given")
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		return fmt.Errorf("filter %q: %w", *filter, err)
	}
	c := colly.NewCollector(
		colly.Async(true),
		colly.UserAgent(*agent),
		colly.URLFilters(re),
		colly.MaxDepth(*maxDepth),
	)
	// colly v2's Init sets IgnoreRobotsTxt = true; a user who wants a polite
	// crawl turns it off.
	c.IgnoreRobotsTxt = false
	c.SetRequestTimeout(30 * time.Second)
	if *proxy != "" {
		if err := c.SetProxy(*proxy); err != nil {
			return fmt.Errorf("set proxy %s: %w", *proxy, err)
		}
	}
	if err := c.Limits(rules(*perHost, *parallelism)); err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	var res Result
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		_ = e.Request.Visit(e.Attr("href"))
	})
	c.OnResponse(func(*colly.Response) { atomic.AddInt64(&res.Responses, 1) })
	c.OnError(func(*colly.Response, error) { atomic.AddInt64(&res.Errors, 1) })
	for _, s := range fs.Args() {
		if err := c.Visit(s); err != nil {
			return fmt.Errorf("visit seed %s: %w", s, err)
		}
	}
	c.Wait()
	return json.NewEncoder(stdout).Encode(res)
}

// rules returns one global rule, or one rule per listed host.
func rules(perHost string, parallelism int) []*colly.LimitRule {
	if perHost == "" {
		return []*colly.LimitRule{{DomainGlob: "*", Parallelism: parallelism}}
	}
	var rs []*colly.LimitRule
	for _, h := range strings.Split(perHost, ",") {
		rs = append(rs, &colly.LimitRule{DomainGlob: h, Parallelism: parallelism})
	}
	return rs
}
