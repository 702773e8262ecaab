package crawler_test

import (
	"context"
	"errors"
	"net"
	"strings"
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
	web := startWeb(t, testweb.Config{Hosts: 2, PagesPerHost: 10, PageSize: 1 << 10, Seed: 4, Features: testweb.Features{}})
	cfg := testConfig(web)
	cfg.FollowLinks = false
	c, err := crawler.New(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
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

// fakeResolver answers every name with one address, or fails.
type fakeResolver struct {
	ip  string
	err error
}

func (f fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if f.err != nil {
		return nil, f.err
	}
	return []net.IPAddr{{IP: net.ParseIP(f.ip)}}, nil
}

// A name that does not resolve is a final dns failure, recorded, with no
// real DNS query (the resolver is injected).
func TestUnresolvableHostFailsAsDNS(t *testing.T) {
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://nxdomain.invalid/"}
	cfg.Delay, cfg.Retries = 0, 0
	dir := t.TempDir()
	c, err := crawler.New(dir, cfg, crawler.WithResolver(fakeResolver{err: &net.DNSError{Err: "no such host", Name: "nxdomain.invalid", IsNotFound: true}}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// robots.txt fails first (network failure → host disallowed), so the page
	// fails with the robots reason; either way nothing was fetched.
	if st.Failed != 1 || st.Done != 0 {
		t.Fatalf("stats %+v", st)
	}
	r, err := crawler.OpenPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	r.Scan(context.Background(), func(rec *storage.Record) error { reasons = append(reasons, rec.Reason); return nil })
	if len(reasons) != 1 || !strings.Contains(reasons[0], "dns") {
		t.Fatalf("recorded reasons %q: the DNS failure is not named", reasons)
	}
}

// A name resolving to a private address is refused by the guard at dial
// time without --allow-private.
func TestPrivateAddressRefusedAtDial(t *testing.T) {
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://intranet.example/"}
	cfg.Delay, cfg.Retries, cfg.IgnoreRobots = 0, 0, true
	dialed := atomic.Int64{}
	c, err := crawler.New(t.TempDir(), cfg,
		crawler.WithResolver(fakeResolver{ip: "10.1.2.3"}),
		crawler.WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed.Add(1)
			return nil, errors.New("test dialer: must not be called")
		}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Failed != 1 || st.Errors["blocked"] != 1 || dialed.Load() != 0 {
		t.Fatalf("stats %+v, dials %d", st, dialed.Load())
	}
}
