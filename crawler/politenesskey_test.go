package crawler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/links"
)

// keyWeb is 20 hosts under two registrable domains (a0–a9.alpha.test,
// b0–b9.beta.test); b7–b9 live on 127.0.0.2, the rest on 127.0.0.1. It
// records every request's start and end, so in-flight counts and gaps can
// be judged at the server per host, per domain and per address.
type keyWeb struct {
	port  string
	hosts map[string]string // host name → address
	mu    sync.Mutex
	reqs  []keyReq
}

type keyReq struct {
	host, addr, path string
	start, end       time.Time
}

const keyPages = 1

func startKeyWeb(t *testing.T, latency time.Duration) *keyWeb {
	t.Helper()
	w := &keyWeb{hosts: map[string]string{}}
	for i := range 10 {
		w.hosts[fmt.Sprintf("a%d.alpha.test", i)] = "127.0.0.1"
		addr := "127.0.0.1"
		if i >= 7 {
			addr = "127.0.0.2"
		}
		w.hosts[fmt.Sprintf("b%d.beta.test", i)] = addr
	}
	var l1, l2 net.Listener
	for try := 0; ; try++ {
		var err error
		if l1, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		_, w.port, _ = net.SplitHostPort(l1.Addr().String())
		if l2, err = net.Listen("tcp", "127.0.0.2:"+w.port); err == nil {
			break
		}
		l1.Close()
		if try == 20 {
			t.Fatalf("no port free on both 127.0.0.1 and 127.0.0.2: %v", err)
		}
	}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		local := r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()
		addr, _, _ := net.SplitHostPort(local)
		host, _, _ := net.SplitHostPort(r.Host)
		rec := keyReq{host: host, addr: addr, path: r.URL.Path, start: time.Now()}
		if r.URL.Path == "/robots.txt" {
			http.NotFound(rw, r)
		} else {
			time.Sleep(latency) // a server that takes a while: requests overlap unless the crawler spaces them
			var b strings.Builder
			b.WriteString("<html><body>")
			for name := range w.hosts {
				fmt.Fprintf(&b, `<a href="http://%s:%s/p0">x</a>`, name, w.port)
			}
			for i := range keyPages {
				fmt.Fprintf(&b, `<a href="/p%d">p</a>`, i)
			}
			b.WriteString("</body></html>")
			rw.Header().Set("Content-Type", "text/html")
			rw.Write([]byte(b.String()))
		}
		rec.end = time.Now()
		w.mu.Lock()
		w.reqs = append(w.reqs, rec)
		w.mu.Unlock()
	})
	for _, l := range []net.Listener{l1, l2} {
		srv := &http.Server{Handler: h}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	return w
}

func (w *keyWeb) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if a, ok := w.hosts[host]; ok {
		return []net.IPAddr{{IP: net.ParseIP(a)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// judge returns, per group, the most requests in flight at once and the
// smallest gap between two request starts.
func (w *keyWeb) judge(group func(keyReq) string) (maxIn map[string]int, minGap map[string]time.Duration, closest map[string][2]keyReq) {
	w.mu.Lock()
	defer w.mu.Unlock()
	by := map[string][]keyReq{}
	for _, r := range w.reqs {
		by[group(r)] = append(by[group(r)], r)
	}
	maxIn, minGap, closest = map[string]int{}, map[string]time.Duration{}, map[string][2]keyReq{}
	for g, rs := range by {
		sort.Slice(rs, func(i, j int) bool { return rs[i].start.Before(rs[j].start) })
		for i, r := range rs {
			in := 0
			for _, o := range rs[:i+1] {
				if o.end.After(r.start) {
					in++
				}
			}
			maxIn[g] = max(maxIn[g], in)
			if i > 0 {
				if gap := r.start.Sub(rs[i-1].start); i == 1 || gap < minGap[g] {
					minGap[g] = gap
					closest[g] = [2]keyReq{rs[i-1], r}
				}
			}
		}
	}
	return maxIn, minGap, closest
}

// --politeness-key decides what --per-host and --delay count against, as
// the servers measure it: each host, each registrable domain, each address.
func TestPolitenessKey(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on politeness delays")
	}
	const perHost, delay = 2, 200 * time.Millisecond
	// The servers time each request when its handler starts. A new
	// connection's first request starts late when the machine is loaded
	// (a race build beside other test packages: ~50 ms seen), which
	// shortens the gap to the next request, on a warm connection, by as
	// much. A wrong key gives gaps near zero, far below the slack.
	slack := delay / 4
	byHost := func(r keyReq) string { return r.host }
	byDomain := func(r keyReq) string { return links.Domain(r.host) }
	byAddr := func(r keyReq) string { return r.addr }
	for _, tc := range []struct {
		key          string
		holds, loose func(keyReq) string // the limit holds per holds; loose shows the key made a difference
	}{
		{crawler.PolitenessHost, byHost, byDomain},
		{crawler.PolitenessDomain, byDomain, nil},
		{crawler.PolitenessIP, byAddr, nil},
	} {
		t.Run(tc.key, func(t *testing.T) {
			web := startKeyWeb(t, 5*time.Millisecond)
			cfg := crawler.Default()
			cfg.Seeds = []string{"http://a0.alpha.test:" + web.port + "/p0"}
			cfg.AllowPrivate, cfg.Delay, cfg.PerHost, cfg.Concurrency = true, delay, perHost, 32
			cfg.ProxyFromEnv = false
			cfg.PolitenessKey, cfg.Scope = tc.key, crawler.ScopeAny
			c, err := crawler.New(t.TempDir(), cfg, crawler.WithResolver(web))
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.Run(context.Background())
			if err != nil || st.Done != int64(len(web.hosts)*keyPages) {
				t.Fatalf("run: %v, done %d, want %d", err, st.Done, len(web.hosts)*keyPages)
			}
			maxIn, minGap, closest := web.judge(tc.holds)
			for g, n := range maxIn {
				if n > perHost {
					t.Errorf("%s: %d requests in flight at once, limit %d", g, n, perHost)
				}
				if gap, ok := minGap[g]; ok && gap < delay-slack {
					c := closest[g]
					t.Errorf("%s: request starts %v apart, delay %v (%s%s then %s%s)", g, gap, delay, c[0].host, c[0].path, c[1].host, c[1].path)
				}
			}
			if len(maxIn) < 2 {
				t.Fatalf("only %d groups seen: %v", len(maxIn), maxIn)
			}
			if tc.loose != nil {
				_, gaps, _ := web.judge(tc.loose)
				tight := false
				for _, g := range gaps {
					tight = tight || g < delay-slack
				}
				if !tight {
					t.Errorf("per-%s politeness spaced every domain by the delay too (min gaps %v): the test cannot tell keys apart", tc.key, gaps)
				}
			}
			t.Logf("%s: max in flight %v, min gaps %v", tc.key, maxIn, minGap)
		})
	}
}
