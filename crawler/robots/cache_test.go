package robots

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers each GET from a table and counts the calls.
type scripted struct {
	calls   atomic.Int64
	gate    chan struct{} // if set, every Get waits for it
	started chan struct{} // if set, closed by the first Get
	once    sync.Once
	fn      func(url string, call int64) (Response, error)
}

func (s *scripted) Get(ctx context.Context, url string) (Response, error) {
	n := s.calls.Add(1)
	if s.started != nil {
		s.once.Do(func() { close(s.started) })
	}
	if s.gate != nil {
		<-s.gate
	}
	return s.fn(url, n)
}

func noStore(string) (State, bool) { return State{}, false }

func retries(n int) func(int) (time.Duration, bool) {
	return func(f int) (time.Duration, bool) { return time.Hour, f <= n }
}

func TestCacheOneFetchPerOrigin(t *testing.T) {
	g := &scripted{gate: make(chan struct{}), started: make(chan struct{}), fn: func(string, int64) (Response, error) {
		return Response{Status: 200, Body: []byte("User-agent: *\nDisallow: /x\n")}, nil
	}}
	c := NewCache(g, noStore, retries(3))
	var wg sync.WaitGroup
	fetched := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.Lookup(context.Background(), "http://a.test/p", time.Now())
			if r.Fetched {
				fetched.Add(1)
			}
			if r.Rules.Allowed("trawl", "http://a.test/x") {
				t.Error("rules not applied")
			}
		}()
	}
	<-g.started // one lookup is fetching; the others wait on it (or have not looked yet)
	close(g.gate)
	wg.Wait()
	if g.calls.Load() != 1 || fetched.Load() != 1 {
		t.Fatalf("%d requests, %d lookups fetched; want 1 and 1", g.calls.Load(), fetched.Load())
	}
}

func TestCacheUnavailableRetriesThenExhausted(t *testing.T) {
	g := &scripted{fn: func(string, int64) (Response, error) { return Response{Status: 503}, nil }}
	c := NewCache(g, noStore, retries(1))
	now := time.Now()
	r := c.Lookup(context.Background(), "http://a.test/", now)
	if !r.Unavailable || r.Exhausted || r.Failures != 1 || r.Cause != "HTTP 503" || r.Rules.Allowed("trawl", "/") {
		t.Fatalf("first: %+v", r)
	}
	if r2 := c.Lookup(context.Background(), "http://a.test/y", now); r2.Fetched {
		t.Fatal("fetched again before the retry time")
	}
	r = c.Lookup(context.Background(), "http://a.test/", r.RetryAt.Add(time.Second))
	if !r.Fetched || !r.Exhausted || r.Failures != 2 {
		t.Fatalf("second: %+v", r)
	}
	if r3 := c.Lookup(context.Background(), "http://a.test/", r.RetryAt.Add(48*time.Hour)); r3.Fetched || !r3.Exhausted {
		t.Fatalf("an exhausted origin was fetched again in the same run: %+v", r3)
	}
	if g.calls.Load() != 2 {
		t.Fatalf("%d requests, want 2", g.calls.Load())
	}
}

func TestCacheFinalAndCanceled(t *testing.T) {
	g := &scripted{fn: func(u string, _ int64) (Response, error) {
		if u == "http://guarded.test/robots.txt" {
			return Response{}, &FetchError{Class: "blocked", Err: errors.New("private address")}
		}
		return Response{}, &FetchError{Class: "canceled", Canceled: true, Err: context.Canceled}
	}}
	c := NewCache(g, noStore, retries(3))
	if r := c.Lookup(context.Background(), "http://guarded.test/", time.Now()); !r.Final || r.Class != "blocked" {
		t.Fatalf("guarded: %+v", r)
	}
	r := c.Lookup(context.Background(), "http://stop.test/", time.Now())
	if r.Err == nil || r.Final || r.Unavailable {
		t.Fatalf("canceled: %+v", r)
	}
	c.Lookup(context.Background(), "http://stop.test/", time.Now())
	if g.calls.Load() != 3 {
		t.Fatalf("a canceled fetch was cached: %d requests, want 3", g.calls.Load())
	}
}

func TestCacheRedirectsAndPersisted(t *testing.T) {
	g := &scripted{fn: func(u string, n int64) (Response, error) {
		if n <= 5 {
			return Response{Status: 301, Location: "/robots.txt?hop"}, nil
		}
		return Response{Status: 200, Body: []byte("User-agent: *\nDisallow: /\n")}, nil
	}}
	c := NewCache(g, noStore, retries(3))
	if r := c.Lookup(context.Background(), "http://a.test/", time.Now()); r.Status != 200 || r.Rules.Allowed("trawl", "/p") {
		t.Fatalf("after 5 redirects: %+v", r)
	}
	g6 := &scripted{fn: func(string, int64) (Response, error) {
		return Response{Status: 302, Location: "/robots.txt?again"}, nil
	}}
	if r := NewCache(g6, noStore, retries(3)).Lookup(context.Background(), "http://a.test/", time.Now()); r.Status != 404 || !r.Rules.Allowed("trawl", "/p") || g6.calls.Load() != 6 {
		t.Fatalf("too many redirects: %+v after %d requests (want allow all after 6)", r, g6.calls.Load())
	}
	now := time.Now()
	stored := func(origin string) (State, bool) {
		return State{Status: 200, Body: []byte("User-agent: *\nDisallow: /s\n"), Expires: now.Add(time.Hour)}, origin == "b.test:8080"
	}
	gp := &scripted{fn: func(string, int64) (Response, error) { return Response{Status: 404}, nil }}
	r := NewCache(gp, stored, retries(3)).Lookup(context.Background(), "http://b.test:8080/s", now)
	if r.Fetched || gp.calls.Load() != 0 || r.Rules.Allowed("trawl", "/s") {
		t.Fatalf("persisted copy not used: %+v, %d requests", r, gp.calls.Load())
	}
}
