package frontier_test

import (
	"path/filepath"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/frontiertest"
	"github.com/trawl-crawler/trawl/frontier"
)

// openBolt opens the bbolt frontier at path with a contract case's settings.
func openBolt(path string, cfg frontiertest.Config) (crawler.Frontier, error) {
	return frontier.Open(path, frontier.Options{PerHost: cfg.PerHost, Delay: cfg.Delay, Lookahead: cfg.Lookahead, NoSync: true,
		ShortestDepth: cfg.MaxDepth > 0, MaxDepth: cfg.MaxDepth})
}

// TestContract runs the frontier contract against the bbolt frontier.
func TestContract(t *testing.T) {
	frontiertest.Run(t, func(t *testing.T) frontiertest.Open {
		path := filepath.Join(t.TempDir(), "frontier.db")
		return func(cfg frontiertest.Config) (crawler.Frontier, error) { return openBolt(path, cfg) }
	})
}
