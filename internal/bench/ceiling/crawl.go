package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/PuerkitoBio/goquery"

	"github.com/trawl-crawler/trawl/crawler/robots"
)

// maxBody caps what one response may hold in memory.
const maxBody = 10 << 20

// crawler holds the queue, the visited set and the per-host robots rules.
type crawler struct {
	client *http.Client
	scope  string
	agent  string

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []string
	seen    map[string]struct{}
	pending int // queued plus being worked on; 0 with an empty queue ends the crawl
	res     Result
	robots  map[string]*hostRobots
}

// hostRobots is one host's rules, ready once done is closed.
type hostRobots struct {
	done  chan struct{}
	rules *robots.Rules
}

func newCrawler(client *http.Client, scope, agent string) *crawler {
	c := &crawler{client: client, scope: scope, agent: agent,
		seen: make(map[string]struct{}), robots: make(map[string]*hostRobots)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// crawl fetches everything reachable from seeds with n workers and returns
// the counts; it ends when the queue is empty and no worker holds a URL.
func (c *crawler) crawl(ctx context.Context, seeds []string, n int) (Result, error) {
	for _, s := range seeds {
		u, err := url.Parse(s)
		if err != nil {
			return Result{}, fmt.Errorf("seed %q: %w", s, err)
		}
		c.add(u)
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				u, ok := c.next(ctx)
				if !ok {
					return
				}
				c.visit(ctx, u)
				c.mu.Lock()
				c.pending--
				if c.pending == 0 {
					c.cond.Broadcast()
				}
				c.mu.Unlock()
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return c.res, fmt.Errorf("crawl: %w", err)
	}
	return c.res, nil
}

// next blocks until a URL is queued, or returns false once the crawl is over.
func (c *crawler) next(ctx context.Context) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) == 0 {
		if c.pending == 0 || ctx.Err() != nil {
			return "", false
		}
		c.cond.Wait()
	}
	u := c.queue[len(c.queue)-1]
	c.queue = c.queue[:len(c.queue)-1]
	return u, true
}

// add queues u if it is in scope and new.
func (c *crawler) add(u *url.URL) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); p == "80" && u.Scheme == "http" || p == "443" && u.Scheme == "https" {
		host = strings.ToLower(u.Hostname())
	}
	if !strings.HasSuffix(u.Hostname(), c.scope) {
		return
	}
	v := *u
	v.Host, v.Fragment, v.RawFragment = host, "", ""
	if v.Path == "" {
		v.Path = "/"
	}
	key := v.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[key]; ok {
		return
	}
	c.seen[key] = struct{}{}
	c.queue = append(c.queue, key)
	c.pending++
	c.cond.Signal()
}

// visit fetches one URL if robots allows it and queues its links.
func (c *crawler) visit(ctx context.Context, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	if !c.rulesFor(ctx, u).Allowed(c.agent, u.RequestURI()) {
		return
	}
	status, hdr, body, err := c.get(ctx, raw)
	c.mu.Lock()
	if err != nil {
		c.res.Failed++
	} else {
		c.res.Fetched++
	}
	c.mu.Unlock()
	if err != nil || status/100 != 2 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		return
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return
	}
	c.mu.Lock()
	c.res.Pages++
	c.mu.Unlock()
	if hasNofollow(hdr.Get("X-Robots-Tag")) {
		return
	}
	if v, ok := doc.Find(`meta[name="robots" i]`).Attr("content"); ok && hasNofollow(v) {
		return
	}
	base := u
	if h, ok := doc.Find("base[href]").Attr("href"); ok {
		if b, err := u.Parse(strings.TrimSpace(h)); err == nil {
			base = b
		}
	}
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		if rel, _ := s.Attr("rel"); hasNofollow(rel) {
			return
		}
		h, _ := s.Attr("href")
		if l, err := base.Parse(strings.TrimSpace(h)); err == nil {
			c.add(l)
		}
	})
}

// rulesFor returns u's host rules, fetching robots.txt once per host; other
// workers wanting the same host wait for that fetch.
func (c *crawler) rulesFor(ctx context.Context, u *url.URL) *robots.Rules {
	origin := u.Scheme + "://" + u.Host
	c.mu.Lock()
	hr, ok := c.robots[origin]
	if !ok {
		hr = &hostRobots{done: make(chan struct{})}
		c.robots[origin] = hr
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-hr.done:
			return hr.rules
		case <-ctx.Done():
			return robots.DisallowAll()
		}
	}
	hr.rules = robots.DisallowAll()
	for range 3 {
		status, _, body, err := c.get(ctx, origin+"/robots.txt")
		if err == nil && status < 500 {
			hr.rules = robots.FromStatus(status, body)
			break
		}
	}
	close(hr.done)
	return hr.rules
}

// get fetches u and returns at most maxBody bytes of its body.
func (c *crawler) get(ctx context.Context, u string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("request %s: %w", u, err)
	}
	req.Header.Set("User-Agent", c.agent)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read %s: %w", u, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// hasNofollow reports whether a rel or robots directive list says nofollow.
func hasNofollow(v string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if f == "nofollow" || f == "none" {
			return true
		}
	}
	return false
}
