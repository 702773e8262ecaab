package crawler_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/internal/testweb"
)

// The metrics a crawl registers count what it did.
func TestMetricsCountTheCrawl(t *testing.T) {
	web := testweb.ForTest(t, testweb.Config{Hosts: 2, PagesPerHost: 10, PageSize: 1 << 10, Seed: 6, Features: testweb.Clean()})
	reg := prometheus.NewRegistry()
	st := runCrawl(t, context.Background(), t.TempDir(), testConfig(web), crawler.WithMetrics(reg))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			case m.Gauge != nil:
				got[key] = m.GetGauge().GetValue()
			}
		}
	}
	if got["trawl_pages_total/2xx"] != float64(st.Done) {
		t.Errorf("pages 2xx = %v, done = %d", got["trawl_pages_total/2xx"], st.Done)
	}
	if got["trawl_outcomes_total/done"] != float64(st.Done) || got["trawl_outcomes_total/skipped"] != float64(st.Skipped) {
		t.Errorf("outcomes %v %v vs %+v", got["trawl_outcomes_total/done"], got["trawl_outcomes_total/skipped"], st)
	}
	if got["trawl_robots_decisions_total/fetched"] != 2 {
		t.Errorf("robots fetched = %v, want one per host", got["trawl_robots_decisions_total/fetched"])
	}
	if got["trawl_fetch_duration_seconds/total"] != float64(st.Done) || got["trawl_fetched_bytes_total"] <= 0 {
		t.Errorf("fetch histogram count %v, bytes %v", got["trawl_fetch_duration_seconds/total"], got["trawl_fetched_bytes_total"])
	}
	if _, ok := got["trawl_queued"]; !ok {
		t.Error("no queue gauge")
	}
}
