package testweb

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// naiveCrawler is a sequential BFS crawler that obeys robots.txt for
// "trawl", nofollow and <base>; it exists to prove that Expected is what a
// correct crawler reaches, over real HTTP through the proxy.
type naiveCrawler struct {
	t       *testing.T
	client  *http.Client
	rules   map[string][]rule
	maxTrap int
	trap    int
	rude    bool // ignore robots.txt rules and every kind of nofollow
}

func newNaiveCrawler(t *testing.T, w *Web, maxTrap int) *naiveCrawler {
	proxy, err := url.Parse(w.ProxyURL())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
	t.Cleanup(tr.CloseIdleConnections)
	return &naiveCrawler{
		t:       t,
		client:  &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		rules:   make(map[string][]rule),
		maxTrap: maxTrap,
	}
}

// get fetches u, retrying 5xx and 429 answers a few times, and returns the
// response with at most 1 MiB of its body.
func (c *naiveCrawler) get(u string) (*http.Response, []byte) {
	for attempt := 0; ; attempt++ {
		resp, err := c.client.Get(u)
		if err != nil {
			c.t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if (resp.StatusCode >= 500 || resp.StatusCode == 429) && attempt < 3 {
			continue
		}
		return resp, body
	}
}

func (c *naiveCrawler) allowed(u *url.URL) bool {
	rules, ok := c.rules[u.Host]
	if !ok {
		resp, body := c.get("http://" + u.Host + "/robots.txt")
		if resp.StatusCode == 200 {
			rules, _ = parseRobots(body, agentToken)
		}
		c.rules[u.Host] = rules
	}
	return c.rude || allowed(rules, u.RequestURI())
}

func (c *naiveCrawler) crawl(seeds []string, scopeSuffix string) {
	seen := make(map[string]bool)
	queue := append([]string(nil), seeds...)
	for _, s := range seeds {
		seen[s] = true
	}
	for len(queue) > 0 {
		raw := queue[0]
		queue = queue[1:]
		u, err := url.Parse(raw)
		if err != nil || !strings.HasSuffix(u.Host, scopeSuffix) || !c.allowed(u) {
			continue
		}
		if strings.HasPrefix(u.Path, "/cal/") {
			if c.trap >= c.maxTrap {
				continue
			}
			c.trap++
		}
		resp, body := c.get(raw)
		var next []string
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			next = []string{resp.Header.Get("Location")}
		case resp.StatusCode == 200 && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") &&
			(c.rude || !strings.Contains(strings.ToLower(resp.Header.Get("X-Robots-Tag")), "nofollow")):
			next = c.links(u, body)
		}
		for _, href := range next {
			if v, ok := canonical(u, href); ok && !seen[v] {
				seen[v] = true
				queue = append(queue, v)
			}
		}
	}
}

// links returns the followable hrefs of an HTML page; with a <base> they
// are returned already resolved against it.
func (c *naiveCrawler) links(page *url.URL, body []byte) []string {
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		c.t.Fatalf("parse %s: %v", page, err)
	}
	base := page
	baseSet, nofollow := false, false
	var hrefs []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := func(k string) string {
				for _, a := range n.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch n.Data {
			case "base":
				if b, err := page.Parse(strings.TrimSpace(attr("href"))); err == nil && !baseSet {
					base, baseSet = b, true
				}
			case "meta":
				if strings.EqualFold(attr("name"), "robots") && strings.Contains(strings.ToLower(attr("content")), "nofollow") {
					nofollow = true
				}
			case "a":
				if c.rude || !strings.Contains(strings.ToLower(attr("rel")), "nofollow") {
					hrefs = append(hrefs, strings.TrimSpace(attr("href")))
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	if nofollow && !c.rude {
		return nil
	}
	out := make([]string, 0, len(hrefs))
	for _, h := range hrefs {
		if r, err := base.Parse(h); err == nil {
			out = append(out, r.String())
		}
	}
	return out
}

// canonical resolves href against page and canonicalises it the way Expected
// keys are written; false for non-http links.
func canonical(page *url.URL, href string) (string, bool) {
	r, err := page.Parse(href)
	if err != nil || r.Scheme != "http" {
		return "", false
	}
	return canonURL(canonHost(r.Host), cleanPath(r.EscapedPath()), r.RawQuery), true
}

func TestNaiveCrawlerReachesExpected(t *testing.T) {
	hostile := Hostile()
	hostile.Huge, hostile.Trickle = false, false // covered by their own tests; keep this one fast
	tests := []struct {
		name    string
		cfg     Config
		maxTrap int
	}{
		{"clean", Config{Hosts: 5, PagesPerHost: 25, PageSize: 2048, Seed: 1, Features: Clean()}, 0},
		{"clean-one-host", Config{Hosts: 1, PagesPerHost: 3, PageSize: 512, Seed: 2, Features: Clean()}, 0},
		{"hostile", Config{Name: "evil", Hosts: 5, PagesPerHost: 16, PageSize: 1024, Seed: 3, Features: hostile}, 5},
		{"plain", Config{Hosts: 3, PagesPerHost: 10, PageSize: 1024, Seed: 4}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := startWeb(t, tc.cfg)
			c := newNaiveCrawler(t, w, tc.maxTrap)
			c.crawl(w.Seeds(), "."+w.cfg.Name+".test")
			rep := w.Report()
			if probs := rep.Check(w.Expected(), 1, 0, tc.maxTrap); len(probs) > 0 {
				t.Errorf("the naive crawler's crawl fails Check:\n%s", strings.Join(probs, "\n"))
			}
			if len(rep.RobotsRequests) != tc.cfg.Hosts {
				t.Errorf("robots.txt fetched on %d hosts, want %d", len(rep.RobotsRequests), tc.cfg.Hosts)
			}
			if tc.maxTrap > 0 && rep.TrapRequests != tc.maxTrap {
				t.Errorf("trap requests = %d, want %d", rep.TrapRequests, tc.maxTrap)
			}
		})
	}
}

func startWeb(t *testing.T, cfg Config) *Web {
	t.Helper()
	w, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

// TestRudeCrawlerFailsCheck proves the judge and Check catch a crawler that
// ignores robots.txt and nofollow.
func TestRudeCrawlerFailsCheck(t *testing.T) {
	w := startWeb(t, Config{Hosts: 4, PagesPerHost: 8, PageSize: 512, Seed: 9, Features: Clean()})
	c := newNaiveCrawler(t, w, 0)
	c.rude = true
	c.crawl(w.Seeds(), ".site.test")
	rep := w.Report()
	// /hidden/0, /hidden/1 and /hidden/3 on each host, /hidden/2 (X-Robots-Tag) on h1.
	if got := len(rep.NofollowViolations); got != 4*3+1 {
		t.Errorf("NofollowViolations = %v, want 13", rep.NofollowViolations)
	}
	for _, want := range []string{"http://h0.site.test/hidden/0", "http://h0.site.test/hidden/1", "http://h1.site.test/hidden/2", "http://h0.site.test/hidden/3"} {
		if !slices.Contains(rep.NofollowViolations, want) {
			t.Errorf("NofollowViolations lacks %s", want)
		}
	}
	for _, want := range []string{"http://h0.site.test/private/0", "http://h0.site.test/notrawl/0", "http://h3.site.test/doc/0/print"} {
		if !slices.Contains(rep.RobotsViolations, want) {
			t.Errorf("RobotsViolations lacks %s", want)
		}
	}
	if probs := rep.Check(w.Expected(), 1, 0, 0); len(probs) == 0 {
		t.Error("Check passed a rude crawl")
	}
}
