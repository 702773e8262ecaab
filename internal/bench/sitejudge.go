package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// siteGraph is what a polite crawler should fetch from a served directory:
// every HTML page reachable from "/" through links it may follow (no
// rel=nofollow, no page with a robots nofollow meta, nothing robots.txt
// disallows), as request URIs. It is computed from the files with
// x/net/html's tokenizer, independently of trawl's link extraction.
type siteGraph struct {
	Pages    map[string]bool // request URI → reachable HTML page
	Disallow []string        // robots.txt Disallow prefixes (for every agent)
}

// disallowed reports whether uri falls under a Disallow prefix.
func (g *siteGraph) disallowed(uri string) bool {
	for _, p := range g.Disallow {
		if strings.HasPrefix(uri, p) {
			return true
		}
	}
	return false
}

// reachable walks root from "/" and returns its graph. disallow are the
// prefixes its robots.txt disallows for every agent.
func reachable(root string, disallow []string) (*siteGraph, error) {
	g := &siteGraph{Pages: map[string]bool{}, Disallow: disallow}
	queue := []string{"/"}
	g.Pages["/"] = true
	for len(queue) > 0 {
		uri := queue[0]
		queue = queue[1:]
		file := filepath.Join(root, filepath.FromSlash(uri))
		if strings.HasSuffix(uri, "/") {
			file = filepath.Join(file, "index.html")
		}
		body, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("site graph: %s: %w", uri, err)
		}
		for _, l := range pageLinks(uri, body) {
			if g.Pages[l] || g.disallowed(l) || !isHTMLPath(l) {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(l))); err != nil {
				continue // a broken link: a 404 for every crawler, not a page
			}
			g.Pages[l] = true
			queue = append(queue, l)
		}
	}
	return g, nil
}

func isHTMLPath(uri string) bool {
	return strings.HasSuffix(uri, ".html") || strings.HasSuffix(uri, "/")
}

// pageLinks returns the same-site request URIs (path only, no query or
// fragment) of the followable <a href> links of the page at uri.
func pageLinks(uri string, body []byte) []string {
	base := &url.URL{Scheme: "http", Host: "site", Path: uri}
	var hrefs []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			if _, dup := attrs[string(k)]; !dup {
				attrs[string(k)] = string(v)
			}
			if !more {
				break
			}
		}
		switch string(name) {
		case "base":
			if h, ok := attrs["href"]; ok {
				if b, err := base.Parse(strings.TrimSpace(h)); err == nil {
					base = b
				}
			}
		case "meta":
			if strings.EqualFold(attrs["name"], "robots") && hasToken(attrs["content"], "nofollow", "none") {
				return nil
			}
		case "a":
			if h, ok := attrs["href"]; ok && !hasToken(attrs["rel"], "nofollow") {
				hrefs = append(hrefs, h)
			}
		}
	}
	var out []string
	for _, h := range hrefs {
		u, err := base.Parse(strings.TrimSpace(h))
		if err != nil || u.Host != "site" || u.Scheme != "http" {
			continue
		}
		p := path.Clean(u.Path)
		if strings.HasSuffix(u.Path, "/") && p != "/" {
			p += "/"
		}
		out = append(out, p)
	}
	return out
}

func hasToken(list string, tokens ...string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(list), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if slices.Contains(tokens, f) {
			return true
		}
	}
	return false
}

// siteFigures is the access log's verdict on one crawler's run.
type siteFigures struct {
	Pages      int // reachable pages answered 200 at least once
	Missing    int // reachable pages never requested
	Duplicates int // extra requests for a URI already requested
	Disallowed int // requests robots.txt disallows
	Other      int // requests for anything else (assets, broken links, robots.txt)
	Requests   int
	Bytes      int64
	// LongestIdle is the longest stretch with no request in progress
	// between the first request's start and the last one's end.
	LongestIdle time.Duration
}

func (f siteFigures) pages() int { return f.Pages }

// judge reduces a run's log entries to figures against g.
func judge(g *siteGraph, entries []logEntry) siteFigures {
	var f siteFigures
	seen := map[string]int{}
	for _, e := range entries {
		f.Requests++
		f.Bytes += e.Bytes
		uri, _, _ := strings.Cut(e.URI, "?")
		seen[uri]++
		if seen[uri] > 1 && uri != "/robots.txt" {
			f.Duplicates++
		}
		switch {
		case g.disallowed(uri):
			f.Disallowed++
		case g.Pages[uri]:
			if seen[uri] == 1 && e.Status == 200 {
				f.Pages++
			}
		default:
			f.Other++
		}
	}
	for p := range g.Pages {
		if seen[p] == 0 {
			f.Missing++
		}
	}
	f.LongestIdle = longestIdle(entries)
	return f
}

// longestIdle is the longest gap with no request in progress, from the
// log's end times and durations (millisecond resolution).
func longestIdle(entries []logEntry) time.Duration {
	type iv struct{ start, end time.Time }
	ivs := make([]iv, len(entries))
	for i, e := range entries {
		ivs[i] = iv{e.End.Add(-e.Dur), e.End}
	}
	slices.SortFunc(ivs, func(a, b iv) int { return a.start.Compare(b.start) })
	var longest time.Duration
	var busy time.Time
	for i, v := range ivs {
		if i > 0 && v.start.After(busy) {
			longest = max(longest, v.start.Sub(busy))
		}
		if v.end.After(busy) {
			busy = v.end
		}
	}
	return longest
}
