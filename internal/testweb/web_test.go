package testweb

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// proxyClient returns a client that sends every request through w's proxy
// and does not follow redirects.
func proxyClient(t *testing.T, w *Web) *http.Client {
	t.Helper()
	proxy, err := url.Parse(w.ProxyURL())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fetch GETs u and returns the status, the headers and the body.
func fetch(t *testing.T, c *http.Client, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "localhost:0", "nonsense"} {
		if w, err := Start(Config{Addr: addr, Hosts: 1, PagesPerHost: 1}); err == nil {
			w.Close()
			t.Errorf("Start(Addr %q) succeeded, want an error", addr)
		}
	}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Hosts: 5, PagesPerHost: 12, PageSize: 3000, Seed: 42, Features: Hostile()}
	a, b := startWeb(t, cfg), startWeb(t, cfg)
	cfg.Seed = 43
	other := startWeb(t, cfg)
	if !maps.Equal(a.Expected(), b.Expected()) || a.ExpectedPages() != b.ExpectedPages() {
		t.Fatal("same seed, different Expected")
	}
	body := func(w *Web, u string) []byte {
		rec := httptest.NewRecorder()
		w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		return rec.Body.Bytes()
	}
	differs := false
	for _, u := range slices.Sorted(maps.Keys(a.Expected())) {
		if strings.HasSuffix(u, "/huge") || strings.HasSuffix(u, "/slow") {
			continue
		}
		ba := body(a, u)
		if !bytes.Equal(ba, body(b, u)) {
			t.Fatalf("same seed, different body for %s", u)
		}
		if !bytes.Equal(ba, body(other, u)) {
			differs = true
		}
	}
	if !differs && maps.Equal(a.Expected(), other.Expected()) {
		t.Error("a different seed gave the same site")
	}
	if n := len(body(a, "http://h0.site.test/p/3")); n < 2700 || n > 3300 {
		t.Errorf("page size %d, want about 3000", n)
	}
}

func TestExpectedContents(t *testing.T) {
	w := startWeb(t, Config{Hosts: 5, PagesPerHost: 12, PageSize: 512, Seed: 7, Features: Hostile()})
	exp := w.Expected()
	u := func(h int, p string) string { return "http://h" + string(rune('0'+h)) + ".site.test" + p }
	tests := []struct {
		url  string
		want int // 0: must be absent
	}{
		{u(0, "/"), 200},
		{u(0, "/p/11"), 200},
		{u(4, "/p/11"), 200},
		{u(0, "/private/0"), 0},      // disallowed for everyone
		{u(2, "/private/0"), 200},    // h2's robots.txt is 404: allow all
		{u(0, "/members/0"), 200},    // disallowed for "*", not for "trawl"
		{u(0, "/notrawl/0"), 0},      // disallowed for "trawl" only
		{u(3, "/private/open"), 200}, // longer Allow wins
		{u(3, "/tie/0"), 200},        // Allow wins a tie
		{u(3, "/doc/0/print"), 0},    // /*/print$
		{u(3, "/doc/0/print/full"), 200},
		{u(0, "/hidden/0"), 0}, // rel=nofollow only
		{u(0, "/hidden/1"), 0}, // meta robots nofollow only
		{u(1, "/hidden/2"), 0}, // X-Robots-Tag only
		{u(0, "/nf/meta"), 200},
		{u(1, "/b/y0"), 200}, // through h0's absolute <base>
		{u(0, "/b/x1"), 200}, // through a relative <base>
		{u(0, "/m/4"), 200},
		{u(0, "/m/commented"), 0},
		{u(0, "/r/a0/0"), 301},
		{u(1, "/r/a0/1"), 302},
		{u(2, "/r/a0/2"), 307},
		{u(2, "/rt/a0"), 200},
		{u(0, "/r/b0/0"), 308},
		{u(0, "/loop/a"), 302},
		{u(0, "/loop/b"), 302},
		{u(0, "/missing/0"), 404},
		{u(0, "/gone/0"), 410},
		{u(0, "/t/2"), 200},
		{u(0, "/cal/2024/01"), 0},
		{u(0, "/robots.txt"), 0},
		{"http://outside.invalid/", 0},
	}
	for _, tc := range tests {
		if got := exp[tc.url]; got != tc.want {
			t.Errorf("Expected[%s] = %d, want %d", tc.url, got, tc.want)
		}
	}
	for k := range exp {
		if k != strings.ToLower(k) || strings.Contains(k, "#") || strings.Contains(k, "utm_") || strings.Contains(k, ":80") {
			t.Errorf("Expected key %q is not canonical", k)
		}
	}
	if got, want := w.Seeds(), []string{"http://h0.site.test/"}; !slices.Equal(got, want) {
		t.Errorf("Seeds = %v, want %v", got, want)
	}
	if hs := w.Hosts(); len(hs) != 5 || hs[4] != "h4.site.test" {
		t.Errorf("Hosts = %v", hs)
	}
}

// TestChainDepth checks that the per-host chain makes pages deep: a BFS from
// the seed needs far more than 6 hops to reach every page.
func TestChainDepth(t *testing.T) {
	cfg, err := Config{Hosts: 2, PagesPerHost: 40, PageSize: 256, FanOut: 1, Seed: 1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s := generate(cfg)
	depth := map[string]int{s.seeds[0]: 0}
	queue := []string{s.seeds[0]}
	deepest := 0
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		h, p := s.lookup(u)
		if h == nil || h.nodes[p] == nil {
			continue
		}
		for _, l := range h.nodes[p].links {
			if _, ok := depth[l.target]; !ok && l.follow && s.expected[l.target] != 0 {
				depth[l.target] = depth[u] + 1
				deepest = max(deepest, depth[l.target])
				queue = append(queue, l.target)
			}
		}
	}
	if deepest < 30 {
		t.Errorf("deepest page at depth %d, want >= 30", deepest)
	}
	if len(depth) != len(s.expected) {
		t.Errorf("BFS over followable links reached %d URLs, Expected has %d", len(depth), len(s.expected))
	}
}

func TestJudgeScripted(t *testing.T) {
	w := startWeb(t, Config{Hosts: 3, PagesPerHost: 5, PageSize: 512, Seed: 1, Features: Clean()})
	c := proxyClient(t, w)
	h0, h1 := "http://h0.site.test", "http://h1.site.test"

	fetch(t, c, h0+"/p/1")           // before robots.txt: a violation
	fetch(t, c, h0+"/robots.txt")    // now allowed
	fetch(t, c, h0+"/p/2")           // fine
	fetch(t, c, h0+"/private/0")     // disallowed
	fetch(t, c, h0+"/hidden/0")      // nofollow-only
	fetch(t, c, h0+"/x/../p/2#frag") // same as /p/2: a duplicate
	fetch(t, c, "http://H0.SITE.TEST:80/p/3?utm_source=a&utm_medium=b")
	st, _, _ := fetch(t, c, "http://elsewhere.test/")
	if st != http.StatusBadGateway {
		t.Errorf("foreign host: status %d, want 502", st)
	}

	rep := w.Report()
	if want := []string{h0 + "/p/1", h0 + "/private/0"}; !slices.Equal(rep.RobotsViolations, want) {
		t.Errorf("RobotsViolations = %v, want %v", rep.RobotsViolations, want)
	}
	if !slices.Equal(rep.NofollowViolations, []string{h0 + "/hidden/0"}) {
		t.Errorf("NofollowViolations = %v", rep.NofollowViolations)
	}
	if !slices.Equal(rep.Duplicates, []string{h0 + "/p/2"}) {
		t.Errorf("Duplicates = %v", rep.Duplicates)
	}
	if rep.PerURL[h0+"/p/3"] != 1 || rep.PerURL[h0+"/p/2"] != 2 {
		t.Errorf("PerURL = %v", rep.PerURL)
	}
	if rep.Requests != 8 || rep.RobotsRequests["h0.site.test"] != 1 {
		t.Errorf("Requests = %d, RobotsRequests = %v", rep.Requests, rep.RobotsRequests)
	}
	if rep.MaxInFlight["h0.site.test"] != 1 {
		t.Errorf("sequential client: MaxInFlight = %v, want 1", rep.MaxInFlight)
	}
	if g, ok := rep.MinGap["h0.site.test"]; !ok || g <= 0 {
		t.Errorf("MinGap = %v", rep.MinGap)
	}
	if _, ok := rep.MinGap[h1]; ok {
		t.Errorf("MinGap has a host with no requests")
	}
	if rep.Bytes == 0 || rep.Final[h0+"/private/0"] != 200 {
		t.Errorf("Bytes = %d, Final = %v", rep.Bytes, rep.Final)
	}

	w.Reset()
	if rep := w.Report(); rep.Requests != 0 || len(rep.PerURL) != 0 || len(rep.Duplicates) != 0 {
		t.Errorf("after Reset: %+v", rep)
	}
}

// TestJudgeInFlightOverNetwork holds requests open with latency and checks
// that concurrent requests to one host are seen as concurrent.
func TestJudgeInFlightOverNetwork(t *testing.T) {
	w := startWeb(t, Config{Hosts: 2, PagesPerHost: 5, PageSize: 512, Latency: 300 * time.Millisecond})
	c := proxyClient(t, w)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { fetch(t, c, "http://h1.site.test/p/"+string(rune('0'+i))) })
	}
	wg.Wait()
	if got := w.Report().MaxInFlight["h1.site.test"]; got != 3 {
		t.Errorf("MaxInFlight = %d, want 3", got)
	}
}

// TestJudgeTiming drives the handler in a synctest bubble, where time is
// exact: in-flight counts include latency, and gaps are request-start gaps.
func TestJudgeTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, err := newWeb(Config{Hosts: 2, PagesPerHost: 5, PageSize: 256, Latency: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer w.cancel()
		get := func(u string) {
			w.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", u, nil))
		}
		get("http://h0.site.test/robots.txt") // t=0 → 1s
		time.Sleep(250 * time.Millisecond)    // t=1.25s
		var wg sync.WaitGroup
		for _, p := range []string{"/p/0", "/p/1"} {
			wg.Go(func() { get("http://h0.site.test" + p) }) // both start at 1.25s
			time.Sleep(400 * time.Millisecond)
		}
		wg.Wait()
		rep := w.Report()
		if got := rep.MaxInFlight["h0.site.test"]; got != 2 {
			t.Errorf("MaxInFlight = %d, want 2", got)
		}
		if got := rep.MinGap["h0.site.test"]; got != 400*time.Millisecond {
			t.Errorf("MinGap = %v, want 400ms", got)
		}
	})
}

func TestRedirects(t *testing.T) {
	w := startWeb(t, Config{Hosts: 4, PagesPerHost: 8, PageSize: 512, Features: Features{Redirects: true}})
	c := proxyClient(t, w)
	u := "http://h0.site.test/r/a0/0"
	var codes []int
	hosts := map[string]bool{}
	for range 5 {
		st, hd, _ := fetch(t, c, u)
		codes = append(codes, st)
		pu, _ := url.Parse(u)
		hosts[pu.Host] = true
		if st < 300 || st > 399 {
			break
		}
		next, err := pu.Parse(hd.Get("Location"))
		if err != nil {
			t.Fatalf("Location %q: %v", hd.Get("Location"), err)
		}
		u = next.String()
	}
	if want := []int{301, 302, 307, 200}; !slices.Equal(codes, want) || len(hosts) != 3 {
		t.Errorf("chain statuses %v over %d hosts, want %v over 3", codes, len(hosts), want)
	}
	st, hd, _ := fetch(t, c, "http://h0.site.test/r/b0/0")
	if st != 308 || hd.Get("Location") != "/rt/b0" {
		t.Errorf("308 hop: %d %q", st, hd.Get("Location"))
	}
	_, hd, _ = fetch(t, c, "http://h0.site.test/loop/a")
	_, hd2, _ := fetch(t, c, "http://h0.site.test"+hd.Get("Location"))
	if hd2.Get("Location") != "http://h0.site.test/loop/a" {
		t.Errorf("loop: /loop/b redirects to %q", hd2.Get("Location"))
	}
}

func TestTransientOnce(t *testing.T) {
	w := startWeb(t, Config{Hosts: 1, PagesPerHost: 8, PageSize: 512, Features: Features{Transient: true}})
	c := proxyClient(t, w)
	tests := []struct {
		path string
		code int
	}{{"/t/0", 503}, {"/t/1", 500}, {"/t/2", 429}}
	for _, tc := range tests {
		u := "http://h0.site.test" + tc.path
		st, hd, _ := fetch(t, c, u)
		if st != tc.code {
			t.Errorf("%s first: %d, want %d", tc.path, st, tc.code)
		}
		switch tc.code {
		case 503:
			if hd.Get("Retry-After") != "1" {
				t.Errorf("%s Retry-After %q", tc.path, hd.Get("Retry-After"))
			}
		case 429:
			at, err := http.ParseTime(hd.Get("Retry-After"))
			if d := time.Until(at); err != nil || d < -time.Second || d > 2*time.Second {
				t.Errorf("%s Retry-After %q (%v, %v from now)", tc.path, hd.Get("Retry-After"), err, d)
			}
		}
		if st, _, _ := fetch(t, c, u); st != 200 {
			t.Errorf("%s second: %d, want 200", tc.path, st)
		}
	}
	if d := w.Report().Duplicates; len(d) != 0 {
		t.Errorf("a retry after a transient error counted as duplicate: %v", d)
	}
	fetch(t, c, "http://h0.site.test/t/0")
	if d := w.Report().Duplicates; !slices.Equal(d, []string{"http://h0.site.test/t/0"}) {
		t.Errorf("third request: Duplicates = %v", d)
	}
	w.Reset()
	if st, _, _ := fetch(t, c, "http://h0.site.test/t/0"); st != 503 {
		t.Errorf("after Reset: %d, want 503 again", st)
	}
}

func TestRobotsFailsOnce(t *testing.T) {
	w := startWeb(t, Config{Hosts: 4, PagesPerHost: 4, PageSize: 512, Features: Clean()})
	c := proxyClient(t, w)
	for i, want := range []int{503, 200, 200} {
		if st, _, _ := fetch(t, c, "http://h3.site.test/robots.txt"); st != want {
			t.Errorf("h3 robots.txt request %d: %d, want %d", i, st, want)
		}
	}
	if st, _, _ := fetch(t, c, "http://h2.site.test/robots.txt"); st != 404 {
		t.Errorf("h2 robots.txt: %d, want 404", st)
	}
}

func TestTrapGrowsForever(t *testing.T) {
	w := startWeb(t, Config{Hosts: 1, PagesPerHost: 12, PageSize: 512, Features: Features{Trap: true}})
	c := proxyClient(t, w)
	u, _ := url.Parse("http://h0.site.test/cal/2024/01")
	seen := map[string]bool{}
	for range 30 {
		_, _, body := fetch(t, c, u.String())
		i := bytes.Index(body, []byte(`href="/cal/`))
		if i < 0 {
			t.Fatalf("%s links no next month: %s", u, body)
		}
		href := string(body[i+6 : i+6+bytes.IndexByte(body[i+6:], '"')])
		next, _ := u.Parse(href)
		if seen[next.String()] {
			t.Fatalf("trap repeats %s", next)
		}
		seen[next.String()] = true
		u = next
	}
	if u.Path != "/cal/2026/07" {
		t.Errorf("after 30 months: %s, want /cal/2026/07", u.Path)
	}
	if got := w.Report().TrapRequests; got != 30 {
		t.Errorf("TrapRequests = %d, want 30", got)
	}
}

func TestHugeAndTrickle(t *testing.T) {
	w := startWeb(t, Config{Hosts: 1, PagesPerHost: 12, PageSize: 512, Features: Features{Huge: true, Trickle: true}})
	c := proxyClient(t, w)
	t.Run("huge", func(t *testing.T) {
		t.Parallel()
		resp, err := c.Get("http://h0.site.test/huge")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != hugeSize || resp.ContentLength != hugeSize {
			t.Errorf("huge: read %d (Content-Length %d, err %v), want %d", n, resp.ContentLength, err, hugeSize)
		}
	})
	// In a synctest bubble time is exact: the trickle takes one
	// trickleDelay per byte after the first, whatever the machine's load.
	t.Run("trickle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w, err := newWeb(Config{Hosts: 1, PagesPerHost: 12, PageSize: 512, Features: Features{Trickle: true}})
			if err != nil {
				t.Fatal(err)
			}
			defer w.cancel()
			rec := httptest.NewRecorder()
			start := time.Now()
			w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://h0.site.test/slow", nil))
			d := time.Since(start)
			want := time.Duration(len(trickleBody)-1) * trickleDelay
			if rec.Code != 200 || rec.Body.String() != trickleBody || d != want || !rec.Flushed {
				t.Errorf("trickle: %d %q in %v (flushed %v), want 200 in %v, flushed", rec.Code, rec.Body, d, rec.Flushed, want)
			}
		})
	})
}

func TestXRobotsTagAndDirectHost(t *testing.T) {
	w := startWeb(t, Config{Hosts: 2, PagesPerHost: 4, PageSize: 512, Features: Clean()})
	req, _ := http.NewRequest("GET", "http://"+w.Addr()+"/nf/xrt", nil)
	req.Host = "h1.site.test"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Robots-Tag") != "nofollow" {
		t.Errorf("direct request with Host: %d, X-Robots-Tag %q", resp.StatusCode, resp.Header.Get("X-Robots-Tag"))
	}
	if _, ok := w.Report().PerURL["http://h1.site.test/nf/xrt"]; !ok {
		t.Errorf("direct request not recorded under its canonical URL: %v", w.Report().PerURL)
	}
}
