package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRedisWorkersFlag(t *testing.T) {
	o, err := parseFlags([]string{"-redis-workers", "1, 2,4"}, io.Discard)
	if err != nil || !slices.Equal(o.RedisWorkers, []int{1, 2, 4}) {
		t.Errorf("-redis-workers 1,2,4: %v, %v", o.RedisWorkers, err)
	}
	for _, bad := range []string{"0", "1,x", "1,,2"} {
		if _, err := parseFlags([]string{"-redis-workers", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "redis-workers") {
			t.Errorf("-redis-workers %q: err %v, want one naming the flag", bad, err)
		}
	}
}

func TestSharedVerdicts(t *testing.T) {
	mk := func(workers, pages int, wall time.Duration) sharedRun {
		return sharedRun{result: result{crawlerRun: crawlerRun[figures]{Crawler: "trawl", Use: usage{Wall: wall}, Fig: figures{Pages: pages, Coverage: 100, MaxInFlight: 2}}}, Workers: workers, Robots: 10}
	}
	// Latency-bound: 1 worker 100 pages/s, 2 workers 190 (met), 4 workers
	// 300 (missed: < 340).
	wide := profile{Name: "wide-clean", PerHost: 2}
	rs := []sharedRun{mk(0, 1000, 8*time.Second), mk(1, 1000, 10*time.Second), mk(2, 1900, 10*time.Second), mk(4, 3000, 10*time.Second)}
	got := strings.Join(sharedVerdicts(wide, rs), "\n")
	for _, want := range []string{"2 workers / 1 worker pages/s = 1.90; target ≥ 1.8: met", "4 workers / 1 worker pages/s = 3.00; target ≥ 3.4: MISSED",
		"redis 1 worker / bbolt pages/s = 0.80\n", "exit 0: met"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	// fast-clean: the 0.75 target; a worker that asked robots.txt more often
	// than the bbolt run, or a duplicate, fails the run's checks.
	fast := profile{Name: "fast-clean", PerHost: 2}
	rs[1].Robots = 11
	rs[3].Fig.Duplicates = 1
	got = strings.Join(sharedVerdicts(fast, rs), "\n")
	for _, want := range []string{"bbolt pages/s = 0.80; target ≥ 0.75: met", "redis, 1 worker: 0 missing, 0 duplicates, 0 robots violations, 11 robots.txt",
		"redis, 4 workers: 0 missing, 1 duplicates"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "target ≥ 1.8") {
		t.Errorf("scaling targets are the latency-bound profile's:\n%s", got)
	}
}
