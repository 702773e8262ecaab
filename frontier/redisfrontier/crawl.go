package redisfrontier

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/frontier"
)

// Globals are the settings every worker of a crawl shares: the scripts read
// them from Redis on each step, so politeness and --max-pages hold across
// workers.
type Globals struct {
	PerHost  int
	Delay    time.Duration
	MaxPages int64 // 0 = unlimited
	// RobotsGate holds a host's other URLs while its first lease is in
	// flight and its robots.txt is unknown (off with --ignore-robots).
	RobotsGate bool
	// ShortestDepth keeps each URL's smallest depth, with MaxDepth the
	// crawl's depth limit, as frontier.Options does (depth.go). Both are
	// fixed when the crawl is created; without ShortestDepth depths are
	// first-come.
	ShortestDepth bool
	MaxDepth      int
}

// Init creates crawl name with the creator's settings (config: an opaque
// description of its scope, compared by joining workers) unless it exists.
// It returns whether this call created it and the stored config.
func Init(ctx context.Context, cl *redis.Client, rawURL, name string, config []byte, g Globals) (bool, []byte, error) {
	if err := ValidName(name); err != nil {
		return false, nil, err
	}
	gate := "0"
	if g.RobotsGate {
		gate = "1"
	}
	maxDepth := -1
	if g.ShortestDepth {
		if g.MaxDepth < 0 {
			return false, nil, fmt.Errorf("create crawl %s: shortest depth with depth limit %d", name, g.MaxDepth)
		}
		maxDepth = g.MaxDepth
	}
	r, err := scriptInit.Run(ctx, cl, []string{Prefix(name) + "cfg"}, Prefix(name), config, max(1, g.PerHost), g.Delay.Microseconds(), g.MaxPages, gate, maxDepth).Slice()
	if err != nil {
		return false, nil, wrapErr(rawURL, "create crawl "+name, err)
	}
	return r[0].(int64) == 1, []byte(r[1].(string)), nil
}

// ValidName checks a crawl name: it goes inside a Redis hash tag.
func ValidName(name string) error {
	if name == "" || len(name) > 200 || strings.ContainsAny(name, "{}\x00\n\r ") {
		return fmt.Errorf("crawl name %q: want 1–200 characters without braces, spaces or control characters", name)
	}
	return nil
}

// SetGlobals changes settings of an existing crawl for every worker; nil
// fields stay.
func SetGlobals(ctx context.Context, cl *redis.Client, rawURL, name string, perHost *int, delay *time.Duration, maxPages *int64) error {
	a := []any{Prefix(name), "", "", ""}
	if perHost != nil {
		a[1] = max(1, *perHost)
	}
	if delay != nil {
		a[2] = delay.Microseconds()
	}
	if maxPages != nil {
		a[3] = *maxPages
	}
	if err := scriptSetGlobals.Run(ctx, cl, []string{Prefix(name) + "cfg"}, a...).Err(); err != nil {
		return wrapErr(rawURL, "change settings of crawl "+name, err)
	}
	return nil
}

// ReadGlobals returns a crawl's shared settings.
func ReadGlobals(ctx context.Context, cl *redis.Client, rawURL, name string) (Globals, error) {
	v, err := cl.HMGet(ctx, Prefix(name)+"cfg", "per_host", "delay", "max_pages", "robots_gate", "max_depth").Result()
	if err != nil {
		return Globals{}, wrapErr(rawURL, "read settings of crawl "+name, err)
	}
	n := func(x any) int64 { s, _ := x.(string); k, _ := strconv.ParseInt(s, 10, 64); return k }
	g := Globals{PerHost: int(n(v[0])), Delay: time.Duration(n(v[1])) * time.Microsecond, MaxPages: n(v[2]), RobotsGate: v[3] == "1", MaxDepth: -1}
	if v[4] != nil && n(v[4]) >= 0 { // a crawl created before max_depth was kept: first-come depths
		g.ShortestDepth, g.MaxDepth = true, int(n(v[4]))
	}
	return g, nil
}

// Crawls lists the names of the crawls in the Redis.
func Crawls(ctx context.Context, cl *redis.Client, rawURL string) ([]string, error) {
	var names []string
	iter := cl.Scan(ctx, 0, "trawl:{*}:cfg", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if i, j := strings.IndexByte(k, '{'), strings.LastIndexByte(k, '}'); i >= 0 && j > i {
			names = append(names, k[i+1:j])
		}
	}
	if err := iter.Err(); err != nil {
		return nil, wrapErr(rawURL, "list crawls", err)
	}
	sort.Strings(names)
	return names, nil
}

// Worker is a live incarnation of a worker.
type Worker struct {
	Incarnation string    `json:"incarnation"`
	Deadline    time.Time `json:"deadline"` // on Redis's clock
	Leases      int64     `json:"leases"`
}

// Status is what `trawl status --frontier` shows: the global counters and
// the live workers.
type Status struct {
	Crawl   string         `json:"crawl"`
	Stats   frontier.Stats `json:"stats"`
	Globals Globals        `json:"-"`
	Workers []Worker       `json:"workers"`
	Drained bool           `json:"drained"`
	Config  []byte         `json:"-"`
	// Reparses are the re-extractions each worker id owes (a depth-limited
	// crawl, depth.go): pages it stored that were found on a shorter path.
	// A live worker's hold the crawl open; one that is not running does
	// its own when it is resumed.
	Reparses map[string]int64 `json:"reparses_owed,omitempty"`
}

// ReadStatus reads a crawl's counters and live workers. ok is false if no
// crawl of that name exists.
func ReadStatus(ctx context.Context, cl *redis.Client, rawURL, name string) (Status, bool, error) {
	p := Prefix(name)
	n, err := cl.Exists(ctx, p+"cfg").Result()
	if err != nil {
		return Status{}, false, wrapErr(rawURL, "read crawl "+name, err)
	}
	if n == 0 {
		return Status{}, false, nil
	}
	st := Status{Crawl: name}
	if st.Stats, err = readStats(ctx, cl, p); err != nil {
		return Status{}, false, wrapErr(rawURL, "read counters", err)
	}
	if st.Globals, err = ReadGlobals(ctx, cl, rawURL, name); err != nil {
		return Status{}, false, err
	}
	ws, err := cl.ZRangeWithScores(ctx, p+"workers", 0, -1).Result()
	if err != nil {
		return Status{}, false, wrapErr(rawURL, "read workers", err)
	}
	for _, w := range ws {
		inc := w.Member.(string)
		k, err := cl.SCard(ctx, p+"w:"+inc).Result()
		if err != nil {
			return Status{}, false, wrapErr(rawURL, "read workers", err)
		}
		st.Workers = append(st.Workers, Worker{Incarnation: inc, Deadline: time.UnixMicro(int64(w.Score)), Leases: k})
	}
	if st.Reparses, err = owedReparses(ctx, cl, p); err != nil {
		return Status{}, false, wrapErr(rawURL, "read owed re-extractions", err)
	}
	d, err := scriptDrained.Run(ctx, cl, []string{p + "cfg"}, p).Int()
	if err != nil {
		return Status{}, false, wrapErr(rawURL, "read crawl state", err)
	}
	st.Drained = d == 1
	if st.Config, err = cl.HGet(ctx, p+"meta", "config").Bytes(); err != nil && !errors.Is(err, redis.Nil) {
		return Status{}, false, wrapErr(rawURL, "read crawl config", err)
	}
	return st, true, nil
}
