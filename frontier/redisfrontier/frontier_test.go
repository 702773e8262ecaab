package redisfrontier

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// dialTest connects to srv for the test's own reads and setup; the
// client closes at the end of the test.
func dialTest(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	cl, err := Dial(context.Background(), srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// newCrawl creates crawl "t" on srv with g.
func newCrawl(t *testing.T, srv *redistest.Server, g Globals) {
	t.Helper()
	if _, _, err := Init(context.Background(), dialTest(t, srv), srv.URL(), "t", []byte("{}"), g); err != nil {
		t.Fatal(err)
	}
}

// startCrawl starts a redis-server for the test and creates crawl "t" on
// it with g.
func startCrawl(t *testing.T, g Globals) *redistest.Server {
	t.Helper()
	srv := redistest.Start(t)
	newCrawl(t, srv, g)
	return srv
}

// twoWorkers starts crawl "t" with g and opens workers w1 and w2 on it,
// their leases lasting ttl: what the tests of work shared between workers
// start from.
func twoWorkers(t *testing.T, g Globals, ttl time.Duration) (srv *redistest.Server, w1, w2 *Frontier) {
	t.Helper()
	srv = startCrawl(t, g)
	return srv, openWorker(t, srv, "w1", ttl), openWorker(t, srv, "w2", ttl)
}

// openWorker opens worker wid of crawl "t" on srv, its leases lasting ttl.
func openWorker(t *testing.T, srv *redistest.Server, wid string, ttl time.Duration) *Frontier {
	t.Helper()
	return openWith(t, srv, Options{WorkerID: wid, LeaseTTL: ttl})
}

// openWith opens a worker of crawl "t" on srv with o (its URL and Crawl
// filled in); the test's cleanup closes it.
func openWith(t *testing.T, srv *redistest.Server, o Options) *Frontier {
	t.Helper()
	o.URL, o.Crawl = srv.URL(), "t"
	f, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func items(host string, n, depth int) []frontier.Item {
	var its []frontier.Item
	for i := range n {
		its = append(its, frontier.Item{URL: fmt.Sprintf("http://%s/%d", host, i), Host: host, Depth: depth})
	}
	return its
}

// mustAdd adds its through f and fails the test on an error.
func mustAdd(t *testing.T, f *Frontier, its ...frontier.Item) {
	t.Helper()
	if _, err := f.Add(context.Background(), its); err != nil {
		t.Fatal(err)
	}
}

// leaseAll leases until Next has nothing now and returns the URLs.
func leaseAll(t *testing.T, f *Frontier) []string {
	t.Helper()
	var got []string
	for {
		l, ok, _, err := f.Next(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return got
		}
		got = append(got, l.URL)
	}
}

func mustNext(t *testing.T, f *Frontier) frontier.Lease {
	t.Helper()
	l, ok, wait, err := f.Next(time.Now())
	if err != nil || !ok {
		t.Fatalf("Next: ok=%v wait=%v err=%v", ok, wait, err)
	}
	return l
}

// nextSwept calls f.Next on the clock until it leases: a lease taken back
// from a stopped worker is leasable once a sweep has run. Between calls it
// sleeps the wait Next gave or, when Next gave none, idle; an idle of 0
// says a wait is owed, and its absence fails the test.
func nextSwept(t *testing.T, f *Frontier, idle time.Duration) frontier.Lease {
	t.Helper()
	for {
		l, ok, wait, err := f.Next(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return l
		}
		if wait <= 0 {
			if idle <= 0 {
				t.Fatal("the swept lease is not leasable, and no wait was given")
			}
			wait = idle
		}
		time.Sleep(wait)
	}
}

func complete(t *testing.T, f *Frontier, c frontier.Completion) error {
	t.Helper()
	return f.Complete(context.Background(), c)
}

func TestLeaseOrderDedupAndCounters(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 10})
	f := openWorker(t, srv, "w1", 0)
	ctx := context.Background()
	n, err := f.Add(ctx, append(items("a", 3, 1), items("a", 3, 1)...))
	if err != nil || n != 3 {
		t.Fatalf("Add = %d, %v; want 3 new", n, err)
	}
	if n, _ := f.Add(ctx, []frontier.Item{{URL: "http://a/seed", Host: "a", Depth: 0}}); n != 1 {
		t.Fatalf("Add seed = %d", n)
	}
	// Lower depth first, then FIFO.
	want := []string{"http://a/seed", "http://a/0", "http://a/1", "http://a/2"}
	var ls []frontier.Lease
	for _, w := range want {
		l := mustNext(t, f)
		if l.URL != w {
			t.Fatalf("leased %s, want %s", l.URL, w)
		}
		ls = append(ls, l)
	}
	if _, ok, wait, err := f.Next(time.Now()); ok || err != nil || wait != 0 {
		t.Fatalf("Next on empty: ok=%v wait=%v err=%v", ok, wait, err)
	}
	if d, _ := f.Drained(); d {
		t.Fatal("Drained with leases out")
	}
	kids := []frontier.Item{{URL: "http://a/0", Host: "a", Depth: 1}, {URL: "http://b/x", Host: "b", Depth: 1, Parent: "http://a/seed", Redirects: 2}}
	if err := complete(t, f, frontier.Completion{Lease: ls[0], Outcome: frontier.Done, Bytes: 100, Children: kids, Checkpoint: []byte("cp1")}); err != nil {
		t.Fatal(err)
	}
	if err := complete(t, f, frontier.Completion{Lease: ls[1], Outcome: frontier.Failed}); err != nil {
		t.Fatal(err)
	}
	if err := complete(t, f, frontier.Completion{Lease: ls[2], Outcome: frontier.Skipped}); err != nil {
		t.Fatal(err)
	}
	// Release: back at its old place, before b/x? b is another host; a/2 is
	// its host's only entry.
	if err := complete(t, f, frontier.Completion{Lease: ls[3], Outcome: frontier.Release}); err != nil {
		t.Fatal(err)
	}
	if err := complete(t, f, frontier.Completion{Lease: ls[3], Outcome: frontier.Done}); !errors.Is(err, frontier.ErrStaleLease) {
		t.Fatalf("second completion: %v, want ErrStaleLease", err)
	}
	if string(f.Checkpoint()) != "cp1" {
		t.Fatalf("checkpoint %q", f.Checkpoint())
	}
	got := map[string]frontier.Lease{}
	for range 2 {
		l := mustNext(t, f)
		got[l.URL] = l
	}
	if l, ok := got["http://b/x"]; !ok || l.Parent != "http://a/seed" || l.Redirects != 2 || l.Depth != 1 {
		t.Fatalf("leases %+v", got)
	}
	if _, ok := got["http://a/2"]; !ok {
		t.Fatalf("released URL not leased again: %+v", got)
	}
	for _, l := range got {
		if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done, Bytes: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := f.Drained(); !d || err != nil {
		t.Fatalf("Drained = %v, %v", d, err)
	}
	if err := f.refreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	s := f.Stats()
	want2 := frontier.Stats{Done: 3, Failed: 1, Skipped: 1, Hosts: 2, Bytes: 102}
	if s != want2 {
		t.Fatalf("stats %+v, want %+v", s, want2)
	}
}

func TestRetryWaitsOnRedisClock(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2})
	f := openWorker(t, srv, "w1", 0)
	mustAdd(t, f, items("a", 1, 0)...)
	l := mustNext(t, f)
	if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Retry, RetryAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, ok, wait, err := f.Next(time.Now())
	if ok || err != nil || wait < 59*time.Minute {
		t.Fatalf("Next before retry time: ok=%v wait=%v err=%v", ok, wait, err)
	}
	if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done}); !errors.Is(err, frontier.ErrStaleLease) {
		t.Fatalf("completion of a requeued lease: %v", err)
	}
}

func TestPerHostAndDelayAcrossWorkers(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 2, Delay: 300 * time.Millisecond})
	f1 := openWorker(t, srv, "w1", 0)
	f2 := openWorker(t, srv, "w2", 0)
	mustAdd(t, f1, items("a", 10, 0)...)
	l1 := mustNext(t, f1)
	_, ok, wait, err := f2.Next(time.Now())
	if ok || err != nil || wait <= 200*time.Millisecond || wait > 300*time.Millisecond {
		t.Fatalf("second worker within the delay: ok=%v wait=%v err=%v", ok, wait, err)
	}
	if err := SetGlobals(context.Background(), f1.cl, srv.URL(), "t", nil, new(time.Duration), nil); err != nil {
		t.Fatal(err)
	}
	// The host's next time was set with the old delay; lease once it passes.
	time.Sleep(wait)
	l2 := mustNext(t, f2)
	if _, ok, wait, err := f1.Next(time.Now()); ok || err != nil || wait != 0 {
		t.Fatalf("third lease over per-host 2: ok=%v wait=%v err=%v", ok, wait, err)
	}
	f2.ReleaseSlot(l2)
	if err := f2.sendReleases(context.Background()); err != nil { // the release goes with f2's next round trip
		t.Fatal(err)
	}
	l3 := mustNext(t, f1)
	for _, c := range []struct {
		f *Frontier
		l frontier.Lease
	}{{f1, l1}, {f2, l2}, {f1, l3}} {
		if err := complete(t, c.f, frontier.Completion{Lease: c.l, Outcome: frontier.Done}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSweptIncarnationIsFenced(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 1})
	ttl := 500 * time.Millisecond
	f1 := openWorker(t, srv, "w1", ttl)
	f2 := openWorker(t, srv, "w2", ttl)
	mustAdd(t, f1, items("a", 2, 0)...)
	l := mustNext(t, f1)
	// Stop w1's heartbeats as a SIGSTOP would, then wait until w2's
	// heartbeat has swept it (its lease is back in the queue).
	close(f1.stop)
	f1.wg.Wait()
	f1.stop = make(chan struct{})
	l2 := nextSwept(t, f2, 10*time.Millisecond)
	if l2.URL != l.URL {
		t.Fatalf("w2 leased %s, want w1's swept lease %s back at its place", l2.URL, l.URL)
	}
	if err := f1.MayStart(); !errors.Is(err, ErrFenced) {
		t.Fatalf("MayStart after the deadline: %v", err)
	}
	f1.mu.Lock()
	f1.broken = nil // as if the fence had not tripped: Redis must refuse it too
	f1.mu.Unlock()
	f1.wg.Add(1)
	go f1.writerLoop()
	if err := complete(t, f1, frontier.Completion{Lease: l, Outcome: frontier.Done}); !errors.Is(err, ErrFenced) {
		t.Fatalf("completion of a swept incarnation: %v, want ErrFenced", err)
	}
	if err := complete(t, f2, frontier.Completion{Lease: l2, Outcome: frontier.Done}); err != nil {
		t.Fatal(err)
	}
}

func TestRejoinSweepsOwnLeasesAndKeepsCheckpoint(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 4})
	f := openWorker(t, srv, "w1", time.Hour)
	mustAdd(t, f, items("a", 3, 0)...)
	l0, l1 := mustNext(t, f), mustNext(t, f)
	if err := complete(t, f, frontier.Completion{Lease: l0, Outcome: frontier.Done, Checkpoint: []byte("cp-a")}); err != nil {
		t.Fatal(err)
	}
	_ = l1
	// A crash: no Close, no leave. The next incarnation takes l1 back at
	// once (the directory lock proves the old one dead).
	close(f.stop)
	f.wg.Wait()
	g := openWorker(t, srv, "w1", time.Hour)
	if string(g.Checkpoint()) != "cp-a" {
		t.Fatalf("checkpoint after rejoin %q", g.Checkpoint())
	}
	if l := mustNext(t, g); l.URL != l1.URL {
		t.Fatalf("first lease after rejoin %s, want swept %s", l.URL, l1.URL)
	}
	// The old incarnation, were it still running, is refused.
	f.stop = make(chan struct{})
	f.wg.Add(1)
	go f.writerLoop()
	if err := complete(t, f, frontier.Completion{Lease: l1, Outcome: frontier.Done}); !errors.Is(err, ErrFenced) {
		t.Fatalf("old incarnation's completion: %v, want ErrFenced", err)
	}
}

func TestSurvivesRedisKillAndScriptFlush(t *testing.T) {
	srv := startCrawl(t, Globals{PerHost: 4})
	f := openWorker(t, srv, "w1", time.Hour)
	mustAdd(t, f, items("a", 3, 0)...)
	l := mustNext(t, f)
	if err := complete(t, f, frontier.Completion{Lease: l, Outcome: frontier.Done, Checkpoint: []byte("cp-1")}); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if _, _, _, err := f.Next(time.Now()); !errors.Is(err, ErrLost) {
		t.Fatalf("Next with Redis down: %v, want ErrLost", err)
	}
	srv.Restart() // from the AOF: scripts are gone (NOSCRIPT), state is not
	g := openWorker(t, srv, "w1", time.Hour)
	if string(g.Checkpoint()) != "cp-1" {
		t.Fatalf("checkpoint after Redis restart %q", g.Checkpoint())
	}
	if err := g.refreshStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := g.Stats(); s.Done != 1 || s.Queued != 2 || s.Leased != 0 {
		t.Fatalf("stats after restart %+v", s)
	}
	if err := g.cl.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	l2 := mustNext(t, g)
	if err := complete(t, g, frontier.Completion{Lease: l2, Outcome: frontier.Done}); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesEvictingRedis(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	cl, err := Dial(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	if _, err := Dial(ctx, srv.URL(), nil); !errors.Is(err, ErrEvicting) {
		t.Fatalf("Dial on allkeys-lru: %v, want ErrEvicting", err)
	}
	_, err = Dial(ctx, "redis://127.0.0.1:1/0", nil)
	if !errors.Is(err, ErrLost) || !containsAll(err.Error(), "127.0.0.1:1", "connect") {
		t.Fatalf("Dial to a closed port: %v", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
