package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// Result is what a run prints on stdout as one JSON object.
type Result struct {
	Fetched int `json:"fetched"` // HTTP answers received (robots.txt excluded)
	Pages   int `json:"pages"`   // 2xx HTML answers parsed
	Failed  int `json:"failed"`  // transport errors
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	proxy := fs.String("proxy", "", "HTTP proxy URL (the test web)")
	workers := fs.Int("workers", 256, "concurrent fetches")
	scope := fs.String("scope", ".site.test", "follow only hosts ending in this suffix")
	agent := fs.String("agent", "trawl", "robots.txt product token and User-Agent")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no seed URLs given")
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *workers, MaxIdleConns: *workers * 2, IdleConnTimeout: 30 * time.Second}
	if *proxy != "" {
		pu, err := url.Parse(*proxy)
		if err != nil {
			return fmt.Errorf("parse proxy %q: %w", *proxy, err)
		}
		tr.Proxy = http.ProxyURL(pu)
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := newCrawler(&http.Client{Transport: tr, Timeout: 30 * time.Second}, *scope, *agent)
	res, err := c.crawl(ctx, fs.Args(), *workers)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}
