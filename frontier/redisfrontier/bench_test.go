package redisfrontier

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// roundTrips counts what a client sends: one per command, one per
// pipeline (the heartbeat and counter refreshes included).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

// info reads numeric fields of INFO section.
func info(t testing.TB, cl *redis.Client, section string, fields ...string) map[string]float64 {
	t.Helper()
	s, err := cl.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(s, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, f := range fields {
			if k == f {
				out[k], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out
}

// BenchmarkRedisCrawlCosts measures what one worker costs Redis per page
// of a simulated crawl (lease, release, completion with 10 links of which
// half are new and half were queued by the first Add, batched as the
// engine batches them): commands (round trips:
// counted at the client; "redis-calls" counts the commands Redis ran,
// scripts' inner calls included) and Redis CPU per page (AOF fsyncs
// included); and Redis memory per seen URL and per queued URL. A real
// redis-server with AOF appendfsync always.
//
//	make bench-redis
func BenchmarkRedisCrawlCosts(b *testing.B) { crawlCosts(b, Globals{PerHost: 4}) }

// BenchmarkRedisCrawlCostsShortestDepth is the same crawl with a depth
// limit: the seen-set is the hash u (depth.go), each child probes it, and
// each completion records where its URL went.
func BenchmarkRedisCrawlCostsShortestDepth(b *testing.B) {
	crawlCosts(b, Globals{PerHost: 4, ShortestDepth: true, MaxDepth: 5})
}

func crawlCosts(b *testing.B, g Globals) {
	for range b.N {
		srv := redistest.Start(b)
		ctx := context.Background()
		cl, err := Dial(ctx, srv.URL(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Init(ctx, cl, srv.URL(), "bench", []byte("{}"), g); err != nil {
			b.Fatal(err)
		}
		// A worker with --concurrency 16 (its lease batch).
		f, err := Open(ctx, Options{URL: srv.URL(), Crawl: "bench", WorkerID: "w1", LeaseTTL: time.Minute, LeaseBatch: LeaseBatchFor(16)})
		if err != nil {
			b.Fatal(err)
		}
		const hosts, queued = 1000, 50_000
		mem0 := info(b, cl, "memory", "used_memory")["used_memory"]
		var items []frontier.Item
		for i := range queued {
			h := fmt.Sprintf("h%04d.example.com", i%hosts)
			items = append(items, frontier.Item{URL: fmt.Sprintf("https://%s/section/page-%07d.html", h, i), Host: h, Depth: 1})
		}
		if _, err := f.Add(ctx, items); err != nil {
			b.Fatal(err)
		}
		mem1 := info(b, cl, "memory", "used_memory")["used_memory"]
		perQueued := (mem1 - mem0) / queued

		// The crawl: pages leased, released and completed, each with 10
		// links, 5 of them new and 5 to pages of the same host that the
		// Add above queued (known to the crawl: page i is on host
		// i mod hosts).
		const pages = 5_000
		rt := &roundTrips{}
		f.cl.AddHook(rt)
		st0 := info(b, cl, "stats", "total_commands_processed")
		cpu0 := info(b, cl, "cpu", "used_cpu_user", "used_cpu_sys")
		start := time.Now()
		next := queued
		done := make(chan error, pages)
		for p := range pages {
			l, ok, _, err := f.Next(time.Now())
			if err != nil || !ok {
				b.Fatalf("page %d: Next ok=%v err=%v", p, ok, err)
			}
			f.ReleaseSlot(l)
			var hi int
			if _, err := fmt.Sscanf(l.Host, "h%04d.example.com", &hi); err != nil {
				b.Fatalf("page %d: host %q: %v", p, l.Host, err)
			}
			var kids []frontier.Item
			for k := range 10 {
				u := fmt.Sprintf("https://%s/section/page-%07d.html", l.Host, hi+hosts*((p*5+k)%(queued/hosts)))
				if k%2 == 0 {
					u = fmt.Sprintf("https://%s/new/page-%07d.html", l.Host, next)
					next++
				}
				kids = append(kids, frontier.Item{URL: u, Host: l.Host, Depth: l.Depth + 1, Parent: l.URL})
			}
			f.CompleteAsync(frontier.Completion{Lease: l, Outcome: frontier.Done, Bytes: 10_000, Children: kids, Checkpoint: []byte("cp")}, func(err error) { done <- err })
		}
		for range pages {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		el := time.Since(start)
		st1 := info(b, cl, "stats", "total_commands_processed")
		cpu1 := info(b, cl, "cpu", "used_cpu_user", "used_cpu_sys")
		cmds := (st1["total_commands_processed"] - st0["total_commands_processed"]) / pages
		trips := float64(rt.n.Load()) / pages
		cpu := (cpu1["used_cpu_user"] + cpu1["used_cpu_sys"] - cpu0["used_cpu_user"] - cpu0["used_cpu_sys"]) / pages * 1e6

		// Seen only: drain the queues (every URL done), then memory per
		// URL the crawl knows.
		for {
			var ls []frontier.Lease
			for len(ls) < 1000 {
				l, ok, _, err := f.Next(time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				ls = append(ls, l)
			}
			if len(ls) == 0 {
				break
			}
			ch := make(chan error, len(ls))
			for _, l := range ls {
				f.CompleteAsync(frontier.Completion{Lease: l, Outcome: frontier.Done}, func(err error) { ch <- err })
			}
			for range ls {
				if err := <-ch; err != nil {
					b.Fatal(err)
				}
			}
		}
		s, _ := readStats(ctx, cl, Prefix("bench"))
		mem2 := info(b, cl, "memory", "used_memory")["used_memory"]
		perSeen := (mem2 - mem0) / float64(s.Done)
		f.Close()
		cl.Close()
		b.ReportMetric(cmds, "redis-calls/page")
		b.ReportMetric(trips, "round-trips/page")
		b.ReportMetric(cpu, "redis-cpu-µs/page")
		b.ReportMetric(float64(pages)/el.Seconds(), "pages/s")
		b.ReportMetric(perQueued, "B/queued-URL")
		b.ReportMetric(perSeen, "B/seen-URL")
	}
}
