package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

// With FollowLinks off only what callbacks Visit is queued; OnScraped runs
// once per 2xx HTML page.
func TestFollowLinksOffQueuesOnlyVisits(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 10, PageSize: 1 << 10, Seed: 4, Features: testweb.Features{}})
	cfg := testConfig(web)
	cfg.FollowLinks = false
	c := newCrawler(t, t.TempDir(), cfg)
	var scraped atomic.Int64
	visited := atomic.Bool{}
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		if visited.CompareAndSwap(false, true) { // follow exactly one link, by hand
			e.Request.Visit(e.Attr("href"))
		}
	})
	c.OnScraped(func(*colly.Response) { scraped.Add(1) })
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pages := len(web.Report().PerURL) // URLs the server saw requested (robots.txt excluded)
	if st.Done != 2 || pages != 2 {
		t.Fatalf("done %d, server saw %d pages; want the seed and the one visited link", st.Done, pages)
	}
	if scraped.Load() != 2 {
		t.Fatalf("OnScraped ran %d times, want 2", scraped.Load())
	}
}

// fakeResolver answers every name with one address, or fails; it counts
// lookups.
type fakeResolver struct {
	ip      string
	err     error
	lookups *atomic.Int64
}

func (f fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if f.lookups != nil {
		f.lookups.Add(1)
	}
	if f.err != nil {
		return nil, f.err
	}
	return []net.IPAddr{{IP: net.ParseIP(f.ip)}}, nil
}

// A name that does not resolve can never succeed: robots.txt is tried
// once, not retried (--retries 3), the seed fails with the DNS reason
// everywhere (record, error counts), and a crawl whose every seed failed
// returns ErrAllSeedsFailed. No real DNS query is made.
func TestUnresolvableHostFailsAsDNS(t *testing.T) {
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://nxdomain.invalid/"}
	cfg.Delay, cfg.Retries = 0, 3
	dir := t.TempDir()
	var lookups atomic.Int64
	c := newCrawler(t, dir, cfg, crawler.WithResolver(fakeResolver{lookups: &lookups,
		err: &net.DNSError{Err: "no such host", Name: "nxdomain.invalid", IsNotFound: true}}))
	st, err := c.Run(context.Background())
	if !errors.Is(err, crawler.ErrAllSeedsFailed) || !strings.Contains(err.Error(), "dns") {
		t.Fatalf("Run error %v, want ErrAllSeedsFailed naming the dns failure", err)
	}
	if st.Failed != 1 || st.Done != 0 || st.Errors["dns"] != 1 || st.Errors["robots-unavailable"] != 0 || st.Retries != 0 {
		t.Fatalf("stats %+v: want one dns failure, no retry", st)
	}
	if n := lookups.Load(); n != 1 {
		t.Fatalf("%d lookups, want 1 (a name that does not exist is not retried)", n)
	}
	var reasons []string
	scanPages(t, dir, func(rec *storage.Record) { reasons = append(reasons, rec.Reason) })
	if len(reasons) != 1 || !strings.HasPrefix(reasons[0], "dns: ") {
		t.Fatalf("recorded reasons %q: the DNS failure is not named", reasons)
	}
}

// A name resolving to a private address is refused by the guard at dial
// time without --allow-private: final at once, with robots.txt (not
// retried) as with --ignore-robots, and the log says how to allow it.
func TestPrivateAddressRefusedAtDial(t *testing.T) {
	for _, ignoreRobots := range []bool{false, true} {
		cfg := crawler.Default()
		cfg.Seeds = []string{"http://intranet.example/"}
		cfg.Delay, cfg.Retries, cfg.IgnoreRobots = 0, 3, ignoreRobots
		dialed := atomic.Int64{}
		var logs bytes.Buffer
		var lookups atomic.Int64
		c := newCrawler(t, t.TempDir(), cfg,
			crawler.WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))),
			crawler.WithResolver(fakeResolver{ip: "10.1.2.3", lookups: &lookups}),
			crawler.WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
				dialed.Add(1)
				return nil, errors.New("test dialer: must not be called")
			}))
		st, err := c.Run(context.Background())
		if !errors.Is(err, crawler.ErrAllSeedsFailed) || !strings.Contains(err.Error(), "--allow-private") {
			t.Fatalf("ignore_robots=%v: Run error %v, want ErrAllSeedsFailed saying --allow-private", ignoreRobots, err)
		}
		if st.Failed != 1 || st.Errors["blocked"] != 1 || dialed.Load() != 0 || st.Retries != 0 || lookups.Load() != 1 {
			t.Fatalf("ignore_robots=%v: stats %+v, dials %d, lookups %d", ignoreRobots, st, dialed.Load(), lookups.Load())
		}
		if !strings.Contains(logs.String(), "--allow-private") {
			t.Fatalf("ignore_robots=%v: the log does not say how to allow the seed:\n%s", ignoreRobots, logs.String())
		}
	}
}

// syncWriter serialises writes from the crawl's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
