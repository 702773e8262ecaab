package crawler

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
)

// backoffFor never exceeds maxBackoff, jitter included, and doubles below it.
func TestBackoffForCap(t *testing.T) {
	p := policy{retries: 3, backoff: time.Second, maxBackoff: 10 * time.Second}
	high := func() float64 { return 0.999999 } // +25% jitter
	low := func() float64 { return 0 }         // -25%
	for _, tt := range []struct {
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		{0, nil, time.Second},
		{1, nil, 2 * time.Second},
		{2, low, 3 * time.Second},
		{3, high, 10 * time.Second}, // 8s +25% = 10s: exactly the cap
		{4, high, 10 * time.Second}, // 16s capped, then +25% must not pass the cap
		{4, low, 7500 * time.Millisecond},
		{60, high, 10 * time.Second},
	} {
		got := p.backoffFor(tt.attempt, tt.rnd)
		if tt.attempt == 3 {
			if got > tt.want || got < tt.want-time.Millisecond {
				t.Errorf("backoffFor(%d) = %v, want about %v", tt.attempt, got, tt.want)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("backoffFor(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

// decide's deferral and refusal rules, with a fixed now and no jitter.
func TestDecideDefersLongWaits(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p := policy{retries: 3, backoff: time.Second, maxBackoff: 10 * time.Minute, maxWait: time.Minute}
	hdr := func(ra string) http.Header { return http.Header{"Retry-After": {ra}} }
	retryable := &fetch.Error{Class: fetch.ClassReset, Retryable: true, Err: errors.New("reset")}
	for _, tt := range []struct {
		name      string
		attempt   int
		status    int
		hdr       http.Header
		err       error
		outcome   frontier.Outcome
		deferHost bool
		retryIn   time.Duration
	}{
		{"503 Retry-After within max-wait", 0, 503, hdr("30"), nil, frontier.Retry, false, 30 * time.Second},
		{"503 Retry-After past max-wait defers the host", 0, 503, hdr("3600"), nil, frontier.Deferred, true, 0},
		{"429 Retry-After date past max-wait", 0, 429, hdr(now.Add(2 * time.Hour).UTC().Format(http.TimeFormat)), nil, frontier.Deferred, true, 0},
		{"503 out of retries fails", 3, 503, hdr("3600"), nil, frontier.Failed, false, 0},
		{"500 backoff within max-wait", 1, 500, nil, nil, frontier.Retry, false, 2 * time.Second},
		{"network error backoff within max-wait", 2, 0, nil, retryable, frontier.Retry, false, 4 * time.Second},
		{"guard refusal final at once", 0, 0, nil, &fetch.Error{Class: fetch.ClassBlocked, Err: errors.New("refused")}, frontier.Failed, false, 0},
		{"no such name final at once", 0, 0, nil, &fetch.Error{Class: fetch.ClassDNS, Err: errors.New("no such host")}, frontier.Failed, false, 0},
		{"200 done", 0, 200, nil, nil, frontier.Done, false, 0},
	} {
		d := p.decide(now, tt.attempt, tt.status, tt.hdr, tt.err, nil)
		if d.outcome != tt.outcome || d.deferHost != tt.deferHost {
			t.Errorf("%s: outcome %v deferHost %v (%q), want %v %v", tt.name, d.outcome, d.deferHost, d.reason, tt.outcome, tt.deferHost)
			continue
		}
		if tt.outcome == frontier.Retry && d.retryAt.Sub(now) != tt.retryIn {
			t.Errorf("%s: retry in %v, want %v", tt.name, d.retryAt.Sub(now), tt.retryIn)
		}
		if tt.outcome == frontier.Deferred && !strings.Contains(d.reason, "exceeds --max-wait 1m0s") {
			t.Errorf("%s: reason %q does not name --max-wait", tt.name, d.reason)
		}
	}
	// A backoff past --max-wait defers the URL (not its host).
	q := p
	q.maxWait = 3 * time.Second
	if d := q.decide(now, 2, 500, nil, nil, nil); d.outcome != frontier.Deferred || d.deferHost {
		t.Errorf("500 with a 4s backoff and --max-wait 3s: %+v, want the URL deferred", d)
	}
}

// robots.txt: tried 1 + --retries times, each wait within --max-wait;
// then the host is deferred. A refusal that cannot succeed fails at once.
func TestRobotsRetryAndDecision(t *testing.T) {
	p := policy{retries: 3, backoff: time.Second, maxBackoff: 10 * time.Minute, maxWait: time.Minute}
	for failures, want := range map[int]bool{1: true, 2: true, 3: true, 4: false} {
		if _, ok := p.robotsRetry(failures, nil); ok != want {
			t.Errorf("robotsRetry(%d) = %v, want %v", failures, ok, want)
		}
	}
	q := p
	q.maxWait = 1500 * time.Millisecond // the second retry would wait 2s
	if _, ok := q.robotsRetry(2, nil); ok {
		t.Error("robotsRetry past --max-wait: retried")
	}
	if _, ok := (policy{retries: 0, backoff: time.Second, maxBackoff: time.Minute, maxWait: time.Minute}).robotsRetry(1, nil); ok {
		t.Error("--retries 0: robots.txt retried")
	}
	at := time.Unix(1_700_000_100, 0)
	if d := robotsDecision(robotsResult{unavailable: true, retryAt: at, failures: 1, cause: "HTTP 500"}); d.outcome != frontier.Release || !d.notBefore.Equal(at) {
		t.Errorf("retrying robots.txt: %+v, want a release until the retry", d)
	}
	if d := robotsDecision(robotsResult{unavailable: true, exhausted: true, failures: 4, cause: "HTTP 500"}); d.outcome != frontier.Deferred || !d.deferHost ||
		d.reason != "robots.txt unavailable (HTTP 500) after 4 attempts" {
		t.Errorf("exhausted robots.txt: %+v, want the host deferred", d)
	}
	if d := robotsDecision(robotsResult{unavailable: true, final: true, cause: "blocked: address 127.0.0.1 refused (loopback)"}); d.outcome != frontier.Failed ||
		d.reason != "blocked: address 127.0.0.1 refused (loopback)" {
		t.Errorf("refused robots.txt: %+v, want a failure with the real reason", d)
	}
}
