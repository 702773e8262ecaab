package frontier

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
func BenchmarkAdd(b *testing.B) {
	const total, hosts, chunk = 1_000_000, 10_000, 100_000
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "add.db")
		f, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Item, chunk)
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
	}
}

// BenchmarkLeaseComplete leases and completes 100k URLs from 512 goroutines,
// each completion adding 10 children of which 9 are already known, with
// group commit and fsync on.
func BenchmarkLeaseComplete(b *testing.B) {
	const seed, hosts, ops, workers = 200_000, 2_000, 100_000, 512
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "lc.db")
		f, err := Open(path, Options{PerHost: 4})
		if err != nil {
			b.Fatal(err)
		}
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
		var done, fresh atomic.Int64
		fresh.Store(seed)
		var wg sync.WaitGroup
		b.StartTimer()
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := w
				for done.Load() < ops {
					l, ok, _ := f.Next(time.Now())
					if !ok {
						time.Sleep(100 * time.Microsecond)
						continue
					}
					children := make([]Item, 10)
					children[0] = url(int(fresh.Add(1)))
					for c := 1; c < 10; c++ {
						k = (k*7919 + c) % seed
						children[c] = url(k)
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
		el := time.Since(start)
		b.StopTimer()
		f.Close()
		b.ReportMetric(float64(done.Load())/el.Seconds(), "completions/s")
		b.ReportMetric(fileSize(b, path), "bytes-on-disk")
	}
}

// BenchmarkAdd10M adds 10M distinct URLs across 100k hosts, 100k per Add
// call, with fsync on, and reports peak RSS (VmHWM, which counts the
// mapped pages of the bbolt file as well as the heap). It takes minutes,
// so it runs only with TRAWL_BENCH_10M=1.
func BenchmarkAdd10M(b *testing.B) {
	if os.Getenv("TRAWL_BENCH_10M") != "1" {
		b.Skip("set TRAWL_BENCH_10M=1 to add 10M URLs and report peak RSS")
	}
	const total, hosts, chunk = 10_000_000, 100_000, 100_000
	for range b.N {
		path := filepath.Join(b.TempDir(), "add10m.db")
		f, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Item, chunk)
		start, last := time.Now(), time.Now()
		for i := 0; i < total; i += chunk {
			for j := range items {
				n := i + j
				h := fmt.Sprintf("host%06d.example", n%hosts)
				items[j] = Item{URL: fmt.Sprintf("https://%s/page/%d", h, n), Host: h, Depth: 1, Parent: "https://" + h + "/"}
			}
			if _, err := f.Add(context.Background(), items); err != nil {
				b.Fatal(err)
			}
			if (i+chunk)%1_000_000 == 0 {
				// Straight to stderr: b.Logf would hold it until the end.
				fmt.Fprintf(os.Stderr, "%d URLs: last 1M at %.0f adds/s, VmHWM %s, RSS %s (anon %s, file %s)\n", i+chunk,
					1e6/time.Since(last).Seconds(), procStatus("VmHWM"), procStatus("VmRSS"), procStatus("RssAnon"), procStatus("RssFile"))
				last = time.Now()
			}
		}
		el := time.Since(start)
		if s := f.Stats(); s.Queued != total {
			b.Fatalf("stats %+v", s)
		}
		f.Close()
		b.ReportMetric(total/el.Seconds(), "adds/s")
		b.ReportMetric(fileSize(b, path), "bytes-on-disk")
		b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "peak-RSS-MiB")
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
