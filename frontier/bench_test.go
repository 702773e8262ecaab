package frontier

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fileSize(b *testing.B, path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(st.Size())
}

// BenchmarkAdd adds 1M distinct URLs across 10k hosts, 100k per Add call,
// with fsync on.
func BenchmarkAdd(b *testing.B) { benchAdd(b, Options{}) }

// BenchmarkAddShortestDepth is BenchmarkAdd keeping shortest depths (the
// seen-set's payloads: a crawl with --max-depth).
func BenchmarkAddShortestDepth(b *testing.B) {
	benchAdd(b, Options{ShortestDepth: true, MaxDepth: 10})
}

// openFresh opens a new frontier file called name in a new directory, with
// fsync on as a crawl runs it, and returns it and its path.
func openFresh(b *testing.B, name string, opts Options) (*Frontier, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	f, err := Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	return f, path
}

func benchAdd(b *testing.B, opts Options) {
	const total, hosts, chunk = 1_000_000, 10_000, 100_000
	for range b.N {
		b.StopTimer()
		f, path := openFresh(b, "add.db", opts)
		items := make([]Item, chunk)
		resetPeakRSS(b)
		b.StartTimer()
		start := time.Now()
		for i := 0; i < total; i += chunk {
			for j := range items {
				n := i + j
				h := fmt.Sprintf("host%05d.example", n%hosts)
				items[j] = Item{URL: fmt.Sprintf("https://%s/page/%d", h, n), Host: h, Depth: 1, Parent: "https://" + h + "/"}
			}
			if _, err := f.Add(context.Background(), items); err != nil {
				b.Fatal(err)
			}
		}
		el := time.Since(start)
		b.StopTimer()
		if s := f.Stats(); s.Queued != total || s.Hosts != hosts {
			b.Fatalf("stats %+v", s)
		}
		f.Close()
		b.ReportMetric(total/el.Seconds(), "adds/s")
		b.ReportMetric(fileSize(b, path), "bytes-on-disk")
		b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "peak-RSS-MiB")
	}
}

// BenchmarkLeaseComplete leases and completes 100k URLs from 512 goroutines,
// each completion adding 10 children of which 9 are already known, with
// group commit and fsync on.
func BenchmarkLeaseComplete(b *testing.B) { benchLeaseComplete(b, Options{PerHost: 4}, false) }

// BenchmarkLeaseCompleteShortestDepth is BenchmarkLeaseComplete keeping
// shortest depths, with every child one hop SHALLOWER than its parent
// (depth 1 → 0): each known URL still at depth 1 is lowered (its record
// rewritten, its queue entry moved, the lowering logged), the worst case.
// MaxDepth 0 keeps re-extractions out of the count.
func BenchmarkLeaseCompleteShortestDepth(b *testing.B) {
	benchLeaseComplete(b, Options{PerHost: 4, ShortestDepth: true}, true)
}

func benchLeaseComplete(b *testing.B, opts Options, lower bool) {
	const seed, hosts, ops, workers = 200_000, 2_000, 100_000, 512
	for range b.N {
		b.StopTimer()
		f, path := openFresh(b, "lc.db", opts)
		url := func(n int) Item {
			h := fmt.Sprintf("host%05d.example", n%hosts)
			return Item{URL: fmt.Sprintf("https://%s/page/%d", h, n), Host: h, Depth: 1}
		}
		var items []Item
		for n := range seed {
			items = append(items, url(n))
			if len(items) == 20_000 {
				if _, err := f.Add(context.Background(), items); err != nil {
					b.Fatal(err)
				}
				items = items[:0]
			}
		}
		resetPeakRSS(b)
		b.StartTimer()
		start := time.Now()
		done := leaseComplete(b, f, ops, workers, seed, url, lower)
		el := time.Since(start)
		b.StopTimer()
		f.Close()
		b.ReportMetric(float64(done)/el.Seconds(), "completions/s")
		b.ReportMetric(fileSize(b, path), "bytes-on-disk")
		b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "peak-RSS-MiB")
	}
}

// leaseComplete leases and completes ops URLs of f from workers goroutines;
// each completion adds 10 children: a new URL (url(n) for n past known)
// and 9 drawn from url(0..known-1), already seen. It returns the
// completions made.
func leaseComplete(b *testing.B, f *Frontier, ops, workers, known int, url func(int) Item, lower bool) int64 {
	var done, fresh atomic.Int64
	fresh.Store(int64(known))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := w
			for done.Load() < int64(ops) {
				l, ok, _, _ := f.Next(time.Now())
				if !ok {
					time.Sleep(100 * time.Microsecond)
					continue
				}
				children := make([]Item, 10)
				children[0] = url(int(fresh.Add(1)))
				for c := 1; c < 10; c++ {
					k = (k*7919 + c) % known
					children[c] = url(k)
				}
				if lower {
					for c := range children {
						children[c].Depth = max(0, l.Depth-1)
					}
				}
				if err := f.Complete(context.Background(), Completion{Lease: l, Outcome: Done, Bytes: 1000, Children: children}); err != nil {
					b.Error(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load()
}

// BenchmarkAdd10M adds 10M distinct URLs across 100k hosts, 100k per Add
// call, with fsync on, then reopens the file and leases and completes 100k
// URLs (10 children each, 9 already seen) on the 10M-URL frontier. It
// reports peak RSS (VmHWM: the heap, the seen-set's mappings and the
// mapped pages of the bbolt file) for each phase. It takes minutes, so it
// runs only with TRAWL_BENCH_10M=1; TRAWL_BENCH_SHORTEST=1 keeps shortest
// depths (a --max-depth crawl's frontier).
func BenchmarkAdd10M(b *testing.B) {
	if os.Getenv("TRAWL_BENCH_10M") != "1" {
		b.Skip("set TRAWL_BENCH_10M=1 to add 10M URLs and report peak RSS")
	}
	const total, hosts, chunk = 10_000_000, 100_000, 100_000
	url := func(n int) Item {
		h := fmt.Sprintf("host%06d.example", n%hosts)
		return Item{URL: fmt.Sprintf("https://%s/page/%d", h, n), Host: h, Depth: 1, Parent: "https://" + h + "/"}
	}
	for range b.N {
		path := filepath.Join(b.TempDir(), "add10m.db")
		f, err := Open(path, opts10M())
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Item, chunk)
		start, last := time.Now(), time.Now()
		for i := 0; i < total; i += chunk {
			for j := range items {
				items[j] = url(i + j)
			}
			if _, err := f.Add(context.Background(), items); err != nil {
				b.Fatal(err)
			}
			if (i+chunk)%1_000_000 == 0 {
				// Straight to stderr: b.Logf would hold it until the end.
				fmt.Fprintf(os.Stderr, "%d URLs: last 1M at %.0f adds/s, VmHWM %s, RSS %s (anon %s, file %s), seen-set %.0f MiB\n", i+chunk,
					1e6/time.Since(last).Seconds(), procStatus("VmHWM"), procStatus("VmRSS"), procStatus("RssAnon"), procStatus("RssFile"), float64(f.seen.Bytes())/(1<<20))
				last = time.Now()
			}
		}
		el := time.Since(start)
		if s := f.Stats(); s.Queued != total {
			b.Fatalf("stats %+v", s)
		}
		ds := f.db.Stats()
		fmt.Fprintf(os.Stderr, "bbolt free list: %d free pages, %d pending, %d bytes in use\n", ds.FreePageN, ds.PendingPageN, ds.FreelistInuse)
		heapProfile(b, "add")
		f.Close()
		addPeak := procStatusKB(b, "VmHWM")
		b.ReportMetric(total/el.Seconds(), "adds/s")
		b.ReportMetric(fileSize(b, path), "bytes-on-disk")
		b.ReportMetric(float64(addPeak)/1024, "add-peak-RSS-MiB")

		// Reopen (the seen-set is read back from its log) and crawl a
		// little: the state a resumed 10M-URL crawl is in. The heap the
		// add phase left is returned to the system first, as a new
		// process would start without it.
		items = nil
		resetPeakRSS(b)
		t0 := time.Now()
		f, err = Open(path, withPerHost(opts10M(), 2))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "reopen-s")
		fmt.Fprintf(os.Stderr, "reopened in %v: VmHWM %s, RSS %s (anon %s, file %s)\n", time.Since(t0).Round(time.Millisecond),
			procStatus("VmHWM"), procStatus("VmRSS"), procStatus("RssAnon"), procStatus("RssFile"))
		const ops, workers = 100_000, 256
		t0 = time.Now()
		done := leaseComplete(b, f, ops, workers, total, url, false)
		el = time.Since(t0)
		fmt.Fprintf(os.Stderr, "crawled %d: VmHWM %s, RSS %s (anon %s, file %s), seen-set %.0f MiB\n", done,
			procStatus("VmHWM"), procStatus("VmRSS"), procStatus("RssAnon"), procStatus("RssFile"), float64(f.seen.Bytes())/(1<<20))
		heapProfile(b, "crawl")
		f.Close()
		b.ReportMetric(float64(done)/el.Seconds(), "completions/s")
		b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "crawl-peak-RSS-MiB")
	}
}

// heapProfile writes a heap profile to $TRAWL_BENCH_HEAPPROFILE.phase, if set.
func heapProfile(b *testing.B, phase string) {
	path := os.Getenv("TRAWL_BENCH_HEAPPROFILE")
	if path == "" {
		return
	}
	out, err := os.Create(path + "." + phase)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
		b.Fatal(err)
	}
}

// resetPeakRSS resets VmHWM to the current RSS (Linux: clear_refs 5), so
// that a benchmark reports its own peak, not an earlier one's. The heap
// an earlier benchmark left is returned to the system first.
func resetPeakRSS(b *testing.B) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// procStatus returns a field of /proc/self/status, e.g. "123456 kB".
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func procStatusKB(b *testing.B, field string) int64 {
	v := strings.TrimSuffix(procStatus(field), " kB")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		b.Fatalf("%s from /proc/self/status: %q", field, v)
	}
	return n
}

// opts10M are BenchmarkAdd10M's options: shortest depths kept with
// TRAWL_BENCH_SHORTEST=1.
func opts10M() Options {
	if os.Getenv("TRAWL_BENCH_SHORTEST") == "1" {
		return Options{ShortestDepth: true, MaxDepth: 10}
	}
	return Options{}
}

func withPerHost(o Options, n int) Options {
	o.PerHost = n
	return o
}
