package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/storage"
)

// An endless chain of distinct redirects stops after 10 followed hops; the
// last response is stored with the reason it was not followed.
func TestRedirectChainBounded(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n+1), http.StatusFound)
	}))
	defer srv.Close()
	cfg := crawler.Default()
	cfg.Seeds = []string{srv.URL + "/r/0"}
	cfg.AllowPrivate, cfg.Delay = true, 0
	dir := t.TempDir()
	st := runCrawl(t, context.Background(), dir, cfg)
	// The seed and 10 redirect targets are fetched: /r/0 … /r/10.
	if hits.Load() != 11 || st.Done != 11 || st.State != crawler.StateFinished {
		t.Fatalf("hits %d, stats %+v", hits.Load(), st)
	}
	var last *storage.Record
	scanPages(t, dir, func(rec *storage.Record) { last = rec })
	// The 11th redirect is stored as the response it is: a response
	// record carries no reason (the log says why it was not followed).
	if last == nil || !strings.HasSuffix(last.URL, "/r/10") || last.Status != 302 || last.Reason != "" || last.Decision {
		t.Fatalf("last record %+v", last)
	}
}
