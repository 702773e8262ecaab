package crawler_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/frontier"
)

// Recrawl over a frontier given by WithFrontier (a shared one) is refused
// as a configuration error before anything is opened: passes are the
// bbolt frontier's (StartPass over its records).
func TestRecrawlWithGivenFrontierRefused(t *testing.T) {
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://127.0.0.1:1/"}
	c, err := crawler.New(t.TempDir(), cfg, crawler.WithFrontier(func(frontier.Options) (crawler.Frontier, error) {
		t.Error("the frontier was opened")
		return nil, errors.New("not opened")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recrawl(context.Background()); !errors.Is(err, crawler.ErrConfig) {
		t.Fatalf("Recrawl = %v, want ErrConfig", err)
	}
}
