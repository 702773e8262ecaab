package redisfrontier_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/frontiertest"
	"github.com/trawl-crawler/trawl/frontier/redisfrontier"
	"github.com/trawl-crawler/trawl/internal/redistest"
)

// TestContract runs the frontier contract suite against the Redis
// frontier: one redis-server, a crawl of its own per case, the schedule on
// the cases' fixed times (CallerClock).
func TestContract(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	frontiertest.Run(t, func(t *testing.T) frontiertest.Open {
		name := fmt.Sprintf("c%d", n.Add(1))
		return func(cfg frontiertest.Config) (crawler.Frontier, error) {
			ctx := context.Background()
			cl, err := redisfrontier.Dial(ctx, srv.URL(), nil)
			if err != nil {
				return nil, err
			}
			defer cl.Close()
			if _, _, err := redisfrontier.Init(ctx, cl, srv.URL(), name, []byte("{}"), redisfrontier.Globals{PerHost: perHost(cfg), Delay: cfg.Delay,
				ShortestDepth: cfg.MaxDepth > 0, MaxDepth: cfg.MaxDepth}); err != nil {
				return nil, err
			}
			perHost, delay := perHost(cfg), cfg.Delay
			if err := redisfrontier.SetGlobals(ctx, cl, srv.URL(), name, &perHost, &delay, nil); err != nil {
				return nil, err
			}
			return redisfrontier.Open(ctx, redisfrontier.Options{URL: srv.URL(), Crawl: name, WorkerID: "w", LeaseTTL: time.Minute,
				Lookahead: cfg.Lookahead, CallerClock: true})
		}
	})
}

func perHost(cfg frontiertest.Config) int {
	if cfg.PerHost <= 0 {
		return 2
	}
	return cfg.PerHost
}
