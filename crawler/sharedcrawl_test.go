package crawler_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/redistest"
	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage"
)

// joinWorker does what a worker of a shared crawl does before its crawl
// runs, through the library alone: lock its directory, create or join the
// crawl, record the worker.
func joinWorker(t *testing.T, ctx context.Context, url, name, dir string, cfg *crawler.Config) crawler.Worker {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := crawler.LockWorker(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	sh := dialShared(t, ctx, url)
	if err := sh.Join(ctx, name, cfg, false, crawler.SharedSettings{}); err != nil {
		t.Fatal(err)
	}
	w := crawler.NewWorker(url, name)
	if err := crawler.WriteWorker(dir, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// dialShared connects to the shared-crawl store at url; the test's cleanup
// closes the connection.
func dialShared(t *testing.T, ctx context.Context, url string) *crawler.Shared {
	t.Helper()
	sh, err := crawler.DialShared(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sh.Close() })
	return sh
}

// Two workers of a shared crawl run by a library user (no CLI) crawl the
// test web together: every expected page is stored once, by one of them.
func TestSharedCrawlThroughTheLibrary(t *testing.T) {
	srv := redistest.Start(t)
	web := testweb.ForTest(t, testweb.Config{Hosts: 3, PagesPerHost: 20, PageSize: 1 << 10, Seed: 11, Features: testweb.Clean()})
	ctx := context.Background()
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	cfgs := []crawler.Config{testConfig(web), testConfig(web)} // the second joins: same scope
	var workers []crawler.Worker
	for i, dir := range dirs {
		workers = append(workers, joinWorker(t, ctx, srv.URL(), "lib", dir, &cfgs[i]))
	}
	var g errgroup.Group
	for i, dir := range dirs {
		c := newCrawler(t, dir, cfgs[i], crawler.WithSharedFrontier(crawler.SharedWorker{URL: srv.URL(), Worker: workers[i]}))
		g.Go(func() error {
			st, err := c.Run(ctx)
			if err == nil && st.State != crawler.StateFinished {
				t.Errorf("worker %s: state %s", dir, st.State)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, dir := range dirs {
		scanPages(t, dir, func(rec *storage.Record) { seen[rec.URL]++ })
	}
	for u := range web.Expected() {
		if seen[u] != 1 {
			t.Errorf("expected %s stored once across the workers, got %d", u, seen[u])
		}
	}
	sh := dialShared(t, ctx, srv.URL())
	st, ok, err := sh.Status(ctx, "lib")
	if err != nil || !ok || !st.Drained {
		t.Fatalf("status of crawl lib: %+v, %v, %v; want a drained crawl", st, ok, err)
	}
}

// Joining a shared crawl: with a different scope is a ScopeMismatchError
// naming the fields, without seeds a crawl that does not exist is
// ErrNoSharedCrawl, and a name that cannot be one is refused.
func TestSharedJoinRefusals(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	sh := dialShared(t, ctx, srv.URL())
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://a.test/"}
	if err := sh.Join(ctx, "a.test", &cfg, false, crawler.SharedSettings{}); err != nil {
		t.Fatal(err)
	}
	other := crawler.Default()
	other.Seeds = []string{"http://a.test/"}
	other.MaxDepth = 3
	var scope *crawler.ScopeMismatchError
	if err := sh.Join(ctx, "a.test", &other, false, crawler.SharedSettings{}); !errors.As(err, &scope) || len(scope.Changed) != 1 || scope.Changed[0] != "max_depth" {
		t.Errorf("join with another depth: %v, want a ScopeMismatchError naming max_depth", err)
	}
	none := crawler.Default()
	if err := sh.Join(ctx, "b.test", &none, false, crawler.SharedSettings{}); !errors.Is(err, crawler.ErrNoSharedCrawl) {
		t.Errorf("join of a missing crawl without seeds: %v, want ErrNoSharedCrawl", err)
	}
	if err := crawler.ValidCrawlName("a b"); err == nil {
		t.Error("ValidCrawlName accepts a name with a space")
	}
	names, err := sh.Crawls(ctx)
	if err != nil || len(names) != 1 || names[0] != "a.test" {
		t.Errorf("Crawls = %v, %v; want [a.test]", names, err)
	}
}

// worker.json keeps the format workers already on disk have; a second
// LockWorker of a directory is ErrLocked.
func TestWorkerFile(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := crawler.ReadWorker(dir); ok || err != nil {
		t.Fatalf("ReadWorker of an empty dir: %v, %v", ok, err)
	}
	w := crawler.Worker{Frontier: "redis://127.0.0.1:6379/0", Crawl: "a.test", WorkerID: "0123456789abcdef"}
	if err := crawler.WriteWorker(dir, w); err != nil {
		t.Fatal(err)
	}
	const want = "{\n  \"frontier\": \"redis://127.0.0.1:6379/0\",\n  \"crawl\": \"a.test\",\n  \"worker_id\": \"0123456789abcdef\"\n}\n"
	if b, err := os.ReadFile(filepath.Join(dir, crawler.WorkerFile)); err != nil || string(b) != want {
		t.Errorf("worker.json = %q, %v; want %q", b, err, want)
	}
	if got, ok, err := crawler.ReadWorker(dir); !ok || err != nil || got != w {
		t.Errorf("ReadWorker = %+v, %v, %v; want %+v", got, ok, err, w)
	}
	if nw := crawler.NewWorker("redis://:secret@127.0.0.1:6379/0", "x"); nw.Frontier != "redis://:xxxxx@127.0.0.1:6379/0" || len(nw.WorkerID) != 16 {
		t.Errorf("NewWorker = %+v: want a redacted URL and a 16-digit id", nw)
	}
	lock, err := crawler.LockWorker(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if l2, err := crawler.LockWorker(dir); !errors.Is(err, crawler.ErrLocked) {
		if l2 != nil {
			l2.Close()
		}
		t.Errorf("second LockWorker: %v, want ErrLocked", err)
	}
}
