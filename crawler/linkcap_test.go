package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/storage"
)

// A page with more links than --max-links-per-page keeps the first ones
// and says what it dropped: a warning, the page's record, the counters.
func TestLinkCapIsCountedLoggedAndRecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path != "/" {
			w.Write([]byte("leaf"))
			return
		}
		for i := range 30 {
			fmt.Fprintf(w, `<a href="/p/%d">%d</a>`, i, i)
		}
	}))
	defer srv.Close()
	cfg := crawler.Default()
	cfg.Seeds, cfg.Delay, cfg.AllowPrivate, cfg.MaxLinksPerPage = []string{srv.URL + "/"}, 0, true, 10
	dir := t.TempDir()
	var logs bytes.Buffer
	st := runCrawl(t, context.Background(), dir, cfg, crawler.WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))))
	if st.Done != 11 || st.LinksDropped != 20 || st.PagesLinksDropped != 1 {
		t.Fatalf("stats %+v: want the seed and its first 10 links, 20 dropped on 1 page", st)
	}
	if !strings.Contains(logs.String(), "links dropped") || !strings.Contains(logs.String(), "dropped=20") {
		t.Fatalf("no warning about the dropped links:\n%s", logs.String())
	}
	var seed *storage.Record
	scanPages(t, dir, func(rec *storage.Record) {
		if rec.URL == srv.URL+"/" {
			seed = rec
		}
	})
	if seed == nil || seed.LinksDropped != 20 {
		t.Fatalf("seed record %+v: want LinksDropped 20", seed)
	}
	if disk, err := crawler.ReadStatus(dir); err != nil || disk.LinksDropped != 20 {
		t.Fatalf("status %+v, %v: want links_dropped 20", disk, err)
	}
}
