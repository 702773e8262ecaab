// Package depthweb is a small multi-host test web built to defeat
// first-come depth: a crawler that gives a page the depth of the first path
// it happened to find, rather than the shortest, fetches a different set of
// pages under a depth limit than a breadth-first crawl does.
//
// Each host is its own loopback listener (127.0.0.1:port), with its own
// latency per request (robots.txt included). The shape:
//
//   - Seeds: F/ (fast) and M1/ (medium).
//   - F/ links to a fast chain F/c1 → F/c2 → … → F/c7, and to S/ (slow).
//   - Page X_j = F/x{j} is linked from F/c{j} (depth j+1 the first-come
//     way, found within milliseconds) and from S/ (depth 2, found once the
//     slow host answers). Each X_j heads a tail F/x{j}/t1 → … → t6, so a
//     first-come crawl puts the tails too deep and cuts them.
//   - S/ links to S/r, a redirect to F/y, which F/c5 also links: a
//     redirect hop adds no depth, so F/y is at depth 2, not 6; F/y has a
//     tail too.
//   - Hosts M1 and M2 (medium latencies) hold a chain of five pages each,
//     whose other links, drawn from Config.Seed, go anywhere in the web
//     (cycles included).
//
// Reference(N) is the web's own breadth-first answer: every URL within N
// link hops of a seed, a redirect counting 0. A crawl with --max-depth N
// must fetch exactly that set (Fetched), whatever the latencies do.
package depthweb

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/internal/waitfor"
)

// Config shapes a Web. Zero values take the defaults noted.
type Config struct {
	Seed uint64        // the random links among the M hosts' pages
	Slow time.Duration // latency of host S; default 100ms (F has none, M1 Slow/10, M2 Slow/4)
}

// page is one URL's response: links (absolute URLs), or a redirect.
type page struct {
	links    []string
	redirect string
}

// Web is a running depth web.
type Web struct {
	servers []*httptest.Server
	pages   map[string]*page // absolute URL -> page
	seeds   []string

	mu      sync.Mutex
	fetched map[string]int  // page URL -> requests, robots.txt excluded
	count   waitfor.Counter // page requests; changed with mu held, so it agrees with fetched
}

// Start builds and serves the web.
func Start(cfg Config) (*Web, error) {
	if cfg.Slow <= 0 {
		cfg.Slow = 100 * time.Millisecond
	}
	w := &Web{pages: map[string]*page{}, fetched: map[string]int{}}
	latencies := []time.Duration{0, cfg.Slow, cfg.Slow / 10, cfg.Slow / 4} // F, S, M1, M2
	base := make([]string, len(latencies))
	for i, lat := range latencies {
		srv := httptest.NewUnstartedServer(w.handler(lat))
		srv.Start()
		w.servers = append(w.servers, srv)
		base[i] = srv.URL
	}
	F, S, M1, M2 := base[0], base[1], base[2], base[3]
	link := func(from string, to ...string) {
		p := w.pages[from]
		if p == nil {
			p = &page{}
			w.pages[from] = p
		}
		p.links = append(p.links, to...)
	}
	tail := func(head string) {
		prev := head
		for k := 1; k <= 6; k++ {
			u := fmt.Sprintf("%s/t%d", head, k)
			link(prev, u)
			prev = u
		}
		link(prev)
	}
	w.seeds = []string{F + "/", M1 + "/"}
	link(F+"/", F+"/c1", S+"/")
	for j := 1; j <= 7; j++ {
		c := fmt.Sprintf("%s/c%d", F, j)
		if j < 7 {
			link(c, fmt.Sprintf("%s/c%d", F, j+1))
		} else {
			link(c)
		}
		if j >= 2 {
			x := fmt.Sprintf("%s/x%d", F, j)
			link(c, x)
			link(S+"/", x)
			tail(x)
		}
	}
	link(F+"/c5", F+"/y")
	link(S+"/", S+"/r")
	w.pages[S+"/r"] = &page{redirect: F + "/y"}
	tail(F + "/y")

	// The M hosts: a few pages each, linked at random into the whole web.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xde97))
	var mpages []string
	for _, h := range []string{M1, M2} {
		for i := range 5 {
			u := fmt.Sprintf("%s/m%d", h, i)
			if i == 0 {
				u = h + "/"
			}
			mpages = append(mpages, u)
		}
	}
	all := slices.Sorted(func(yield func(string) bool) {
		for u := range w.pages {
			if !yield(u) {
				return
			}
		}
	})
	all = append(all, mpages...)
	for i, u := range mpages {
		link(u)
		if i%5 < 4 {
			link(u, mpages[i+1]) // each M host is a chain too
		}
		for range 1 + rng.IntN(3) {
			link(u, all[rng.IntN(len(all))])
		}
	}
	// M1/ reaches M2, and S reaches the M hosts (a slow path into them).
	link(M1+"/", M2+"/")
	link(S+"/", mpages[len(mpages)-1])
	return w, nil
}

func (w *Web) handler(latency time.Duration) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if r.URL.Path == "/robots.txt" {
			http.NotFound(rw, r)
			return
		}
		u := "http://" + r.Host + r.URL.Path
		w.record(u)
		p := w.pages[u]
		switch {
		case p == nil:
			http.NotFound(rw, r)
		case p.redirect != "":
			http.Redirect(rw, r, p.redirect, http.StatusMovedPermanently)
		default:
			var b strings.Builder
			b.WriteString("<!doctype html><html><body>\n")
			for _, l := range p.links {
				fmt.Fprintf(&b, "<a href=%q>%s</a>\n", l, l)
			}
			b.WriteString("</body></html>\n")
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = rw.Write([]byte(b.String()))
		}
	})
}

func (w *Web) record(u string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fetched[u]++
	w.count.Inc()
}

// Seeds are the crawl's seeds.
func (w *Web) Seeds() []string { return slices.Clone(w.seeds) }

// URLs is every page URL of the web.
func (w *Web) URLs() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for u := range w.pages {
			if !yield(u) {
				return
			}
		}
	})
}

// Reference is the set of URLs within maxDepth link hops of a seed
// (redirects count 0; maxDepth < 0: no limit), with each one's depth.
func (w *Web) Reference(maxDepth int) map[string]int {
	dist := map[string]int{}
	// 0-1 breadth-first search: redirect targets go to the front.
	var dq []string
	for _, s := range w.seeds {
		dist[s] = 0
		dq = append(dq, s)
	}
	for len(dq) > 0 {
		u := dq[0]
		dq = dq[1:]
		p := w.pages[u]
		if p == nil {
			continue
		}
		d := dist[u]
		relax := func(v string, nd int, front bool) {
			if old, ok := dist[v]; ok && old <= nd {
				return
			}
			if maxDepth >= 0 && nd > maxDepth {
				return
			}
			dist[v] = nd
			if front {
				dq = append([]string{v}, dq...)
			} else {
				dq = append(dq, v)
			}
		}
		if p.redirect != "" {
			relax(p.redirect, d, true)
		}
		for _, v := range p.links {
			relax(v, d+1, false)
		}
	}
	return dist
}

// Fetched is every page URL requested since Start or Reset, with counts
// (robots.txt excluded).
func (w *Web) Fetched() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]int, len(w.fetched))
	for u, n := range w.fetched {
		m[u] = n
	}
	return m
}

// Requests is how many page requests arrived since Start or Reset.
func (w *Web) Requests() int { return int(w.count.Load()) }

// AfterRequests returns a channel closed once n page requests have arrived
// since Start or Reset.
func (w *Web) AfterRequests(n int) <-chan struct{} { return w.count.Reached(int64(n)) }

// Reset forgets the requests seen so far (and closes the channels of
// AfterRequests still waiting).
func (w *Web) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fetched = map[string]int{}
	w.count.Reset()
}

// Close stops the servers.
func (w *Web) Close() {
	for _, s := range w.servers {
		s.Close()
	}
}

// Diff describes how got differs from the reference set want: the URLs
// missing and the URLs extra, with their reference depths.
func Diff(want map[string]int, got map[string]int) string {
	var b strings.Builder
	for _, u := range slices.Sorted(mapKeys(want)) {
		if _, ok := got[u]; !ok {
			fmt.Fprintf(&b, "\n  missing %s (depth %d)", u, want[u])
		}
	}
	for _, u := range slices.Sorted(mapKeys(got)) {
		if _, ok := want[u]; !ok {
			fmt.Fprintf(&b, "\n  extra   %s", u)
		}
	}
	return b.String()
}

func mapKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
