package frontier

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// openNew opens a frontier in a fresh file and returns its path too, for
// tests that reopen the file or read it directly.
func openNew(t *testing.T, opts Options) (*Frontier, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "frontier.db")
	return open(t, path, opts), path
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

// TestUpdateHost: host updates outside a completion (UpdateHost, not part
// of the Frontier contract in frontiertest) hold the schedule as a
// completion's would.
func TestUpdateHost(t *testing.T) {
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

	var fail atomic.Bool // read by the writer's goroutine
	f = open(t, "", Options{BeforeCommit: func() error {
		if fail.Load() {
			return errors.New("disk full")
		}
		return nil
	}})
	defer f.Close()
	add(t, f, item("a", 1, 0))
	l := next(t, f, t0)
	fail.Store(true)
	err := f.Complete(context.Background(), Completion{Lease: l, Outcome: Done, Children: []Item{item("a", 2, 0)}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Complete with failing BeforeCommit: %v", err)
	}
	fail.Store(false)
	if _, err := f.Add(context.Background(), []Item{item("b", 1, 0)}); err == nil {
		t.Fatal("Add on a broken frontier succeeded")
	}
	if _, ok, _, _ := f.Next(t0); ok {
		t.Fatal("Next on a broken frontier leased")
	}
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
