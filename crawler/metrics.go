package crawler

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-crawler/trawl/crawler/fetch"
)

// metrics are the crawl's Prometheus series. A nil *metrics records nothing,
// so the hot path needs no branches on whether metrics are on.
type metrics struct {
	pages    *prometheus.CounterVec   // by status class: 2xx, 3xx, 4xx, 5xx, error
	bytes    prometheus.Counter       // decoded body bytes fetched
	phase    *prometheus.HistogramVec // fetch duration by phase: dns, connect, tls, ttfb, body, total
	robots   *prometheus.CounterVec   // robots decisions: allowed, disallowed, unavailable, fetched
	retries  prometheus.Counter
	outcomes *prometheus.CounterVec // frontier outcomes: done, failed, skipped, retry, release
}

func newMetrics(reg prometheus.Registerer, e *engine) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trawl_pages_total", Help: "Fetched responses by status class."}, []string{"class"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_fetched_bytes_total", Help: "Decoded body bytes fetched."}),
		phase: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "trawl_fetch_duration_seconds", Help: "Fetch duration by phase.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)}, []string{"phase"}),
		robots:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trawl_robots_decisions_total", Help: "robots.txt decisions."}, []string{"decision"}),
		retries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_retries_total", Help: "Attempts scheduled for retry."}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trawl_outcomes_total", Help: "Lease outcomes committed."}, []string{"outcome"}),
	}
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_queued", Help: "URLs queued in the frontier."},
			func() float64 { return float64(e.fr.Stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_in_flight", Help: "Requests on the wire."},
			func() float64 { return float64(e.fetching.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_pipeline_leases", Help: "Leases anywhere in the pipeline."},
			func() float64 { return float64(e.outstanding.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_parse_queue", Help: "Fetched results waiting for the parse stage."},
			func() float64 { return float64(len(e.parseCh)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_commit_queue", Help: "Pages waiting for the committer."},
			func() float64 { return float64(len(e.commitCh)) }),
	}
	for _, c := range append(gauges, m.pages, m.bytes, m.phase, m.robots, m.retries, m.outcomes) {
		if err := reg.Register(c); err != nil {
			e.c.log.Warn("metrics register", "err", err)
		}
	}
	return m
}

func (m *metrics) fetch(resp *fetch.Response, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.pages.WithLabelValues("error").Inc()
		return
	}
	m.pages.WithLabelValues(strconv.Itoa(resp.Status/100) + "xx").Inc()
	m.bytes.Add(float64(len(resp.Body)))
	t := resp.Timing
	for _, p := range []struct {
		name string
		d    float64
	}{{"dns", t.DNS.Seconds()}, {"connect", t.Connect.Seconds()}, {"tls", t.TLS.Seconds()},
		{"ttfb", t.TTFB.Seconds()}, {"body", t.Body.Seconds()}, {"total", t.Total.Seconds()}} {
		if p.d > 0 {
			m.phase.WithLabelValues(p.name).Observe(p.d)
		}
	}
}

func (m *metrics) robotsDecision(d string) {
	if m != nil {
		m.robots.WithLabelValues(d).Inc()
	}
}

func (m *metrics) outcome(o string, retry bool) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(o).Inc()
	if retry {
		m.retries.Inc()
	}
}
