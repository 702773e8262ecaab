package frontier

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Unix(1_700_000_000, 0)

func open(t *testing.T, path string, opts Options) *Frontier {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "frontier.db")
	}
	opts.NoSync = true
	if opts.MaxBatchDelay == 0 {
		opts.MaxBatchDelay = 50 * time.Microsecond
	}
	f, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return f
}

func add(t *testing.T, f *Frontier, items ...Item) int {
	t.Helper()
	n, err := f.Add(context.Background(), items)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return n
}

func complete(t *testing.T, f *Frontier, c Completion) {
	t.Helper()
	if err := f.Complete(context.Background(), c); err != nil {
		t.Fatalf("Complete %s: %v", c.Lease.URL, err)
	}
}

func next(t *testing.T, f *Frontier, now time.Time) Lease {
	t.Helper()
	l, ok, wait, _ := f.Next(now)
	// A 1ms wait can mean a refill is waiting for the writer to apply a
	// commit (Next's contract allows it); asking again with the same now
	// must then succeed, however long the writer takes on a loaded machine.
	for !ok && wait == time.Millisecond {
		time.Sleep(wait)
		l, ok, wait, _ = f.Next(now)
	}
	if !ok {
		t.Fatalf("Next: nothing leased (wait %v), stats %+v", wait, f.Stats())
	}
	return l
}

func checkCounts(t *testing.T, f *Frontier, want Stats) {
	t.Helper()
	got := f.Stats()
	if got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	re, err := f.Recount()
	if err != nil {
		t.Fatalf("Recount: %v", err)
	}
	if re != got {
		t.Errorf("Recount = %+v, Stats = %+v", re, got)
	}
}

func item(host string, i, depth int) Item {
	return Item{URL: fmt.Sprintf("http://%s/%d", host, i), Host: host, Depth: depth}
}

func TestTransitions(t *testing.T) {
	retryAt := t0.Add(time.Minute)
	tests := []struct {
		name    string
		outcome Outcome
		want    Stats
		requeue bool // the URL comes back from Next
		attempt int
	}{
		{"done", Done, Stats{Done: 1, Hosts: 1, Bytes: 10}, false, 0},
		{"failed", Failed, Stats{Failed: 1, Hosts: 1}, false, 0},
		{"skipped", Skipped, Stats{Skipped: 1, Hosts: 1}, false, 0},
		{"retry", Retry, Stats{Queued: 1, Retries: 1, Hosts: 1}, true, 1},
		{"release", Release, Stats{Queued: 1, Hosts: 1}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := open(t, "", Options{})
			defer f.Close()
			add(t, f, item("a", 1, 0))
			checkCounts(t, f, Stats{Queued: 1, Hosts: 1})
			l := next(t, f, t0)
			checkCounts(t, f, Stats{Leased: 1, Hosts: 1})
			complete(t, f, Completion{Lease: l, Outcome: tc.outcome, RetryAt: retryAt, Bytes: 10, Status: 200})
			checkCounts(t, f, tc.want)
			if tc.outcome == Retry {
				if _, ok, wait, _ := f.Next(retryAt.Add(-time.Second)); ok || wait != time.Second {
					t.Fatalf("Next before RetryAt: ok=%v wait=%v, want false 1s", ok, wait)
				}
			}
			l2, ok, _, _ := f.Next(retryAt)
			if ok != tc.requeue {
				t.Fatalf("Next after outcome: ok=%v, want %v", ok, tc.requeue)
			}
			if ok && (l2.URL != l.URL || l2.Attempt != tc.attempt) {
				t.Fatalf("re-lease = %+v, want %s attempt %d", l2, l.URL, tc.attempt)
			}
			// The first lease is spent whatever happened.
			if err := f.Complete(context.Background(), Completion{Lease: l, Outcome: Done}); !errors.Is(err, ErrStaleLease) && !tc.requeue {
				t.Fatalf("Complete twice: %v, want ErrStaleLease", err)
			}
		})
	}
}

func TestDedup(t *testing.T) {
	f := open(t, "", Options{})
	defer f.Close()
	if n := add(t, f, item("a", 1, 0), item("a", 2, 0), item("a", 1, 0)); n != 2 {
		t.Fatalf("Add = %d, want 2 (duplicate within a call)", n)
	}
	if n := add(t, f, item("a", 1, 3), item("b", 9, 0)); n != 1 {
		t.Fatalf("Add = %d, want 1 (seen in a previous call)", n)
	}
	l := next(t, f, t0)
	complete(t, f, Completion{Lease: l, Outcome: Done, Children: []Item{item("a", 1, 1), item("a", 2, 1), item("c", 1, 1)}})
	if n := add(t, f, Item{URL: l.URL, Host: "a"}); n != 0 {
		t.Fatalf("re-adding a done URL: %d new", n)
	}
	checkCounts(t, f, Stats{Queued: 3, Done: 1, Hosts: 3})
}

func TestOrderDepthThenFIFO(t *testing.T) {
	f := open(t, "", Options{PerHost: 100})
	defer f.Close()
	add(t, f, item("a", 1, 2), item("a", 2, 1), item("a", 3, 2), item("a", 4, 0))
	add(t, f, item("a", 5, 1))
	var got []string
	for range 5 {
		got = append(got, next(t, f, t0).URL)
	}
	want := []string{"http://a/4", "http://a/2", "http://a/5", "http://a/1", "http://a/3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestOrderManyRefills(t *testing.T) {
	// More entries than one refill, with shallower URLs arriving mid-way.
	f := open(t, "", Options{PerHost: 1000})
	defer f.Close()
	var items []Item
	for i := range 300 {
		items = append(items, item("a", i, 5))
	}
	add(t, f, items...)
	for i := range 10 {
		if l := next(t, f, t0); l.URL != item("a", i, 5).URL {
			t.Fatalf("lease %d = %s", i, l.URL)
		}
	}
	add(t, f, item("a", 1000, 1))
	if l := next(t, f, t0); l.URL != "http://a/1000" {
		t.Fatalf("shallow URL not first: %s", l.URL)
	}
	for i := 10; i < 300; i++ {
		if l := next(t, f, t0); l.URL != item("a", i, 5).URL {
			t.Fatalf("lease %d = %s", i, l.URL)
		}
	}
	if _, ok, wait, _ := f.Next(t0); ok || wait != 0 {
		t.Fatalf("empty: ok=%v wait=%v", ok, wait)
	}
}

// TestAddSplit: an Add larger than one transaction takes (maxTxItems)
// commits in parts by host range, yet counts each URL once (duplicates
// inside the call and across parts), keeps FIFO within a host, and leaves
// the file consistent.
func TestAddSplit(t *testing.T) {
	f := open(t, "", Options{PerHost: 10_000})
	defer f.Close()
	const n = 3*maxTxItems + 100
	var items []Item
	for i := range n {
		items = append(items, item(fmt.Sprintf("h%d", i%7), i, 1))
		if i%10 == 0 {
			items = append(items, item(fmt.Sprintf("h%d", (i/10)%7), i/10, 1)) // a URL added earlier in the call
		}
	}
	if got := add(t, f, items...); got != n {
		t.Fatalf("Add = %d new, want %d", got, n)
	}
	if got := add(t, f, items...); got != 0 {
		t.Fatalf("Add again = %d new, want 0", got)
	}
	checkCounts(t, f, Stats{Queued: n, Hosts: 7})
	last := map[string]int{}
	for range n {
		l := next(t, f, t0)
		var i int
		fmt.Sscanf(l.URL, "http://"+l.Host+"/%d", &i)
		if prev, ok := last[l.Host]; ok && i <= prev {
			t.Fatalf("host %s: %s leased after URL %d", l.Host, l.URL, prev)
		}
		last[l.Host] = i
	}
}

func TestSchedule(t *testing.T) {
	type step struct {
		at      time.Duration // offset from t0
		wantURL string        // "" = nothing
		wait    time.Duration
	}
	tests := []struct {
		name  string
		opts  Options
		setup func(t *testing.T, f *Frontier)
		steps []step
	}{
		{
			name: "per-host limit",
			opts: Options{PerHost: 2},
			setup: func(t *testing.T, f *Frontier) {
				add(t, f, item("a", 1, 0), item("a", 2, 0), item("a", 3, 0))
			},
			steps: []step{{0, "http://a/1", 0}, {0, "http://a/2", 0}, {0, "", 0}},
		},
		{
			name: "global delay",
			opts: Options{PerHost: 5, Delay: time.Second},
			setup: func(t *testing.T, f *Frontier) {
				add(t, f, item("a", 1, 0), item("a", 2, 0), item("b", 1, 0))
			},
			steps: []step{{0, "http://a/1", 0}, {0, "http://b/1", 0}, {0, "", time.Second},
				{999 * time.Millisecond, "", time.Millisecond}, {time.Second, "http://a/2", 0}},
		},
		{
			name: "host delay raises global",
			opts: Options{PerHost: 5, Delay: time.Second},
			setup: func(t *testing.T, f *Frontier) {
				add(t, f, item("a", 1, 0), item("a", 2, 0))
				d := 5 * time.Second
				if err := f.UpdateHost(context.Background(), "a", HostUpdate{Delay: &d}); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{{0, "http://a/1", 0}, {time.Second, "", 4 * time.Second}, {5 * time.Second, "http://a/2", 0}},
		},
		{
			name: "not before",
			opts: Options{},
			setup: func(t *testing.T, f *Frontier) {
				add(t, f, item("a", 1, 0), item("b", 1, 0))
				if err := f.UpdateHost(context.Background(), "a", HostUpdate{NotBefore: t0.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				// An earlier NotBefore does not shorten the backoff.
				if err := f.UpdateHost(context.Background(), "a", HostUpdate{NotBefore: t0.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{{0, "http://b/1", 0}, {0, "", time.Hour}, {time.Hour, "http://a/1", 0}},
		},
		{
			name: "earliest ready host first",
			opts: Options{},
			setup: func(t *testing.T, f *Frontier) {
				add(t, f, item("a", 1, 0), item("b", 1, 0), item("c", 1, 0))
				for host, d := range map[string]time.Duration{"a": 3 * time.Second, "b": time.Second, "c": 2 * time.Second} {
					if err := f.UpdateHost(context.Background(), host, HostUpdate{NotBefore: t0.Add(d)}); err != nil {
						t.Fatal(err)
					}
				}
			},
			steps: []step{{0, "", time.Second}, {10 * time.Second, "http://b/1", 0}, {10 * time.Second, "http://c/1", 0}, {10 * time.Second, "http://a/1", 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := open(t, "", tc.opts)
			defer f.Close()
			tc.setup(t, f)
			for i, s := range tc.steps {
				l, ok, wait, _ := f.Next(t0.Add(s.at))
				if ok != (s.wantURL != "") || l.URL != s.wantURL || wait != s.wait {
					t.Fatalf("step %d at +%v: got %q ok=%v wait=%v, want %q wait=%v", i, s.at, l.URL, ok, wait, s.wantURL, s.wait)
				}
			}
		})
	}
}

func TestRetryWaitsAndComesFirst(t *testing.T) {
	f := open(t, "", Options{PerHost: 1})
	defer f.Close()
	add(t, f, item("a", 1, 0), item("a", 2, 0))
	l := next(t, f, t0)
	complete(t, f, Completion{Lease: l, Outcome: Retry, RetryAt: t0.Add(time.Minute), Status: 503})
	if l2 := next(t, f, t0); l2.URL != "http://a/2" {
		t.Fatalf("got %s, want a/2 while a/1 waits", l2.URL)
	} else {
		complete(t, f, Completion{Lease: l2, Outcome: Done})
	}
	if _, ok, wait, _ := f.Next(t0); ok || wait != time.Minute {
		t.Fatalf("ok=%v wait=%v, want wait 1m", ok, wait)
	}
	add(t, f, item("a", 3, 0))
	if l3 := next(t, f, t0.Add(time.Minute)); l3.URL != "http://a/1" || l3.Attempt != 1 {
		t.Fatalf("got %+v, want due retry a/1 attempt 1 first", l3)
	}
}

func TestEpochSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	f := open(t, path, Options{PerHost: 10})
	e1 := f.Epoch()
	add(t, f, item("a", 1, 0), item("a", 2, 0), item("b", 1, 0))
	l1, l2 := next(t, f, t0), next(t, f, t0)
	complete(t, f, Completion{Lease: l1, Outcome: Retry, RetryAt: t0})
	l1 = next(t, f, t0) // the retry, leased again
	_ = l2
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".pid"); !os.IsNotExist(err) {
		t.Fatalf("pid file left after Close: %v", err)
	}
	f = open(t, path, Options{PerHost: 10})
	defer f.Close()
	if f.Epoch() != e1+1 {
		t.Fatalf("epoch %d, want %d", f.Epoch(), e1+1)
	}
	checkCounts(t, f, Stats{Queued: 3, Retries: 1, Hosts: 2})
	if err := f.Complete(context.Background(), Completion{Lease: l1, Outcome: Done}); !errors.Is(err, ErrStaleLease) {
		t.Fatalf("completing an old-epoch lease: %v, want ErrStaleLease", err)
	}
	seen := map[string]int{}
	for range 3 {
		l := next(t, f, t0)
		seen[l.URL] = l.Attempt
		if l.Epoch != f.Epoch() {
			t.Fatalf("lease epoch %d, want %d", l.Epoch, f.Epoch())
		}
	}
	if len(seen) != 3 || seen[l1.URL] != 1 {
		t.Fatalf("after sweep leased %v", seen)
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	f := open(t, path, Options{})
	add(t, f, item("a", 1, 0), item("a", 2, 0))
	l := next(t, f, t0)
	d := 3 * time.Second
	robots := &RobotsState{Status: 200, Body: []byte("User-agent: *\nDisallow: /x\n"), FetchedAt: t0, Expires: t0.Add(time.Hour)}
	complete(t, f, Completion{Lease: l, Outcome: Done, Bytes: 5, Checkpoint: []byte("cp1"),
		Host: &HostUpdate{Delay: &d, Robots: robots, NotBefore: t0.Add(time.Hour)}})
	if err := f.SetMeta(context.Background(), "config", []byte("x: 1")); err != nil {
		t.Fatal(err)
	}
	if string(f.Checkpoint()) != "cp1" || metaStr(t, f, "config") != "x: 1" {
		t.Fatalf("checkpoint %q meta %q", f.Checkpoint(), metaStr(t, f, "config"))
	}
	f.Close()
	f = open(t, path, Options{})
	defer f.Close()
	if string(f.Checkpoint()) != "cp1" || metaStr(t, f, "config") != "x: 1" || metaStr(t, f, "nope") != "" {
		t.Fatalf("after reopen: checkpoint %q meta %q", f.Checkpoint(), metaStr(t, f, "config"))
	}
	hs, ok := f.Host("a")
	if !ok || hs.Delay != d || hs.Queued != 1 || hs.Robots == nil || string(hs.Robots.Body) != string(robots.Body) ||
		!hs.Robots.Expires.Equal(robots.Expires) || !hs.NextAllowed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Host(a) = %+v", hs)
	}
	if _, ok := f.Host("zzz"); ok {
		t.Fatal("Host(unknown) ok")
	}
	if _, ok, wait, _ := f.Next(t0); ok || wait != time.Hour {
		t.Fatalf("politeness lost across reopen: ok=%v wait=%v", ok, wait)
	}
	checkCounts(t, f, Stats{Queued: 1, Done: 1, Hosts: 1, Bytes: 5})
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign")
	os.WriteFile(foreign, []byte(strings.Repeat("not a database\n", 1000)), 0o644)
	otherBolt := filepath.Join(dir, "other.db")
	db, err := bolt.Open(otherBolt, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	open(t, newer, Options{}).Close()
	db, _ = bolt.Open(newer, 0o644, nil)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keySchema, u64(schemaVersion+1)) })
	db.Close()

	tests := []struct {
		name string
		path string
		want error
	}{
		{"foreign file", foreign, ErrNotFrontier},
		{"other bbolt file", otherBolt, ErrNotFrontier},
		{"newer schema", newer, ErrNewerSchema},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(tc.path, Options{})
			if !errors.Is(err, tc.want) {
				if f != nil {
					f.Close()
				}
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("locked", func(t *testing.T) {
		path := filepath.Join(dir, "locked.db")
		f := open(t, path, Options{})
		defer f.Close()
		_, err := Open(path, Options{OpenTimeout: 50 * time.Millisecond})
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
			t.Fatalf("Open = %v, want ErrLocked naming path and pid", err)
		}
	})
}

func TestClosedAndBroken(t *testing.T) {
	f := open(t, "", Options{BeforeCommit: func() error { return nil }})
	add(t, f, item("a", 1, 0))
	f.Close()
	if _, err := f.Add(context.Background(), []Item{item("a", 2, 0)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	if _, ok, _, _ := f.Next(t0); ok {
		t.Fatal("Next after Close leased")
	}

	fail := false
	f = open(t, "", Options{BeforeCommit: func() error {
		if fail {
			return errors.New("disk full")
		}
		return nil
	}})
	defer f.Close()
	add(t, f, item("a", 1, 0))
	l := next(t, f, t0)
	fail = true
	err := f.Complete(context.Background(), Completion{Lease: l, Outcome: Done, Children: []Item{item("a", 2, 0)}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Complete with failing BeforeCommit: %v", err)
	}
	fail = false
	if _, err := f.Add(context.Background(), []Item{item("b", 1, 0)}); err == nil {
		t.Fatal("Add on a broken frontier succeeded")
	}
	if _, ok, _, _ := f.Next(t0); ok {
		t.Fatal("Next on a broken frontier leased")
	}
}

func TestCompleteAsyncFIFO(t *testing.T) {
	f := open(t, "", Options{PerHost: 100, MaxBatchDelay: time.Millisecond})
	defer f.Close()
	var items []Item
	for i := range 50 {
		items = append(items, item("a", i, 0))
	}
	add(t, f, items...)
	errs := make(chan error, 50)
	var order []int
	for i := range 50 {
		l := next(t, f, t0)
		f.CompleteAsync(Completion{Lease: l, Outcome: Done, Checkpoint: []byte(fmt.Sprint(i))}, func(err error) {
			order = append(order, i) // done runs on the single writer goroutine
			errs <- err
		})
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range order {
		if i != v {
			t.Fatalf("callbacks out of order: %v", order)
		}
	}
	if string(f.Checkpoint()) != "49" {
		t.Fatalf("checkpoint %q, want 49", f.Checkpoint())
	}
	checkCounts(t, f, Stats{Done: 50, Hosts: 1})
}

func TestConcurrentLeaseComplete(t *testing.T) {
	f := open(t, "", Options{PerHost: 3, MaxBatchDelay: 200 * time.Microsecond})
	defer f.Close()
	var seeds []Item
	for i := range 20 {
		seeds = append(seeds, item(fmt.Sprintf("h%d", i%5), i, 0))
	}
	add(t, f, seeds...)
	var mu sync.Mutex
	leased := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				l, ok, _, _ := f.Next(time.Now())
				if !ok {
					// Leased drops only when a completion (and its children)
					// has committed, so 0/0 means the crawl is over.
					if s := f.Stats(); s.Queued == 0 && s.Leased == 0 {
						return
					}
					time.Sleep(100 * time.Microsecond) // waits for other workers, not for timing logic
					continue
				}
				mu.Lock()
				leased[l.URL]++
				mu.Unlock()
				var kids []Item
				if l.Depth < 4 {
					kids = []Item{{URL: l.URL + "/a", Host: l.Host, Depth: l.Depth + 1}, {URL: l.URL + "/b", Host: "h0", Depth: l.Depth + 1}}
				}
				f.Stats()
				f.Host(l.Host)
				if err := f.Complete(context.Background(), Completion{Lease: l, Outcome: Done, Children: kids}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	const want = 20 * (1 + 2 + 4 + 8 + 16)
	for u, n := range leased {
		if n != 1 {
			t.Errorf("%s leased %d times", u, n)
		}
	}
	if len(leased) != want {
		t.Errorf("leased %d URLs, want %d", len(leased), want)
	}
	checkCounts(t, f, Stats{Done: want, Hosts: 5})
}

// metaStr reads a meta value, failing the test on an error.
func metaStr(t *testing.T, f *Frontier, key string) string {
	t.Helper()
	v, err := f.Meta(key)
	if err != nil {
		t.Fatalf("meta %s: %v", key, err)
	}
	return string(v)
}
