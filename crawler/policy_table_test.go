package crawler

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler/fetch"
	"github.com/trawl-crawler/trawl/frontier"
)

// policyNow is the fixed clock of the policy tests.
var policyNow = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// TestPolicyDecide is the retry policy as a table: (attempt, status or
// error, Retry-After) → outcome, retry time, host backoff, reason, at a
// fixed now and without jitter.
func TestPolicyDecide(t *testing.T) {
	p := policy{retries: 2, backoff: time.Second, maxBackoff: time.Minute, maxWait: 2 * time.Minute}
	impatient := policy{retries: 2, backoff: time.Second, maxBackoff: time.Minute, maxWait: time.Second}
	fe := func(c fetch.Class, retryable bool) error {
		return &fetch.Error{Class: c, Retryable: retryable, URL: "http://a.test/", Err: errors.New("boom")}
	}
	hdr := func(retryAfter string) http.Header {
		return http.Header{"Retry-After": {retryAfter}}
	}
	at := func(d time.Duration) time.Time { return policyNow.Add(d) }
	for _, tc := range []struct {
		name      string
		p         *policy // nil: p
		attempt   int
		status    int
		hdr       http.Header
		err       error
		outcome   frontier.Outcome
		retryAt   time.Time
		notBefore time.Time
		reason    string
		deferHost bool
	}{
		{name: "200 done", status: 200, outcome: frontier.Done},
		{name: "404 is an answer", status: 404, outcome: frontier.Done},
		{name: "301 is an answer", status: 301, outcome: frontier.Done},
		{name: "500 retried with backoff", status: 500, outcome: frontier.Retry, retryAt: at(time.Second), reason: "HTTP 500"},
		{name: "500 backoff doubles", attempt: 1, status: 502, outcome: frontier.Retry, retryAt: at(2 * time.Second), reason: "HTTP 502"},
		{name: "500 out of retries", attempt: 2, status: 500, outcome: frontier.Failed, reason: "HTTP 500"},
		{name: "503 Retry-After seconds", status: 503, hdr: hdr("7"), outcome: frontier.Retry,
			retryAt: at(7 * time.Second), notBefore: at(7 * time.Second), reason: "HTTP 503"},
		{name: "429 Retry-After date", status: 429, hdr: hdr(policyNow.Add(45 * time.Second).Format(http.TimeFormat)), outcome: frontier.Retry,
			retryAt: at(45 * time.Second), notBefore: at(45 * time.Second), reason: "HTTP 429"},
		{name: "429 Retry-After capped by max backoff", status: 429, hdr: hdr("90"), outcome: frontier.Retry,
			retryAt: at(time.Minute), notBefore: at(time.Minute), reason: "HTTP 429"},
		{name: "429 Retry-After past max wait defers the host", status: 429, hdr: hdr("86400"), outcome: frontier.Deferred,
			reason: "HTTP 429: wait 24h0m0s exceeds --max-wait 2m0s", deferHost: true},
		{name: "500 backoff past max wait defers the URL", p: &impatient, attempt: 1, status: 500, outcome: frontier.Deferred,
			reason: "HTTP 500: wait 2s exceeds --max-wait 1s"},
		{name: "network error backoff past max wait defers the URL", p: &impatient, attempt: 1, err: fe(fetch.ClassConnect, true), outcome: frontier.Deferred,
			reason: "connect: boom: wait 2s exceeds --max-wait 1s"},
		{name: "503 unparsable Retry-After: backoff", attempt: 1, status: 503, hdr: hdr("soon"), outcome: frontier.Retry,
			retryAt: at(2 * time.Second), notBefore: at(2 * time.Second), reason: "HTTP 503"},
		{name: "503 out of retries still backs the host off", attempt: 2, status: 503, hdr: hdr("5"), outcome: frontier.Failed,
			notBefore: at(5 * time.Second), reason: "HTTP 503"},
		{name: "retryable network error", err: fe(fetch.ClassReset, true), outcome: frontier.Retry, retryAt: at(time.Second), reason: "reset: boom"},
		{name: "retryable error out of retries", attempt: 2, err: fe(fetch.ClassTimeout, true), outcome: frontier.Failed, reason: "timeout: boom"},
		{name: "final error", err: fe(fetch.ClassTLS, false), outcome: frontier.Failed, reason: "tls: boom"},
		{name: "canceled: released, not failed", err: fe(fetch.ClassCanceled, false), outcome: frontier.Release, reason: "canceled"},
		{name: "an error of no class is final", err: errors.New("odd"), outcome: frontier.Failed, reason: "odd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := p
			if tc.p != nil {
				pol = *tc.p
			}
			got := pol.decide(policyNow, tc.attempt, tc.status, tc.hdr, tc.err, nil)
			want := decision{outcome: tc.outcome, retryAt: tc.retryAt, notBefore: tc.notBefore, reason: tc.reason, deferHost: tc.deferHost}
			if got != want {
				t.Errorf("decide = %+v\n          want %+v", got, want)
			}
		})
	}
}

// TestPolicyJitterBounds: with jitter every wait lies within ±25% of the
// exponential step, and never past maxBackoff.
func TestPolicyJitterBounds(t *testing.T) {
	p := policy{retries: 10, backoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second}
	for attempt := range 10 {
		step := min(p.backoff<<attempt, p.maxBackoff)
		for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
			d := p.backoffFor(attempt, func() float64 { return r })
			lo := time.Duration(float64(step) * 0.75)
			hi := min(time.Duration(float64(step)*1.25), p.maxBackoff)
			if d < lo || d > hi {
				t.Errorf("attempt %d, rnd %v: %v, want in [%v, %v]", attempt, r, d, lo, hi)
			}
		}
	}
}

// TestPolicyGap: --delay, raised by a Crawl-delay capped at maxCrawlDelay;
// a negative Crawl-delay counts as none.
func TestPolicyGap(t *testing.T) {
	p := policy{delay: time.Second}
	for _, tc := range []struct{ crawlDelay, want time.Duration }{
		{0, time.Second},
		{-time.Hour, time.Second},
		{500 * time.Millisecond, time.Second},
		{10 * time.Second, 10 * time.Second},
		{time.Hour, maxCrawlDelay},
	} {
		if got := p.gap(tc.crawlDelay); got != tc.want {
			t.Errorf("gap(%v) = %v, want %v", tc.crawlDelay, got, tc.want)
		}
	}
}

// TestRetryAfter: delta-seconds and the three HTTP date forms, relative to
// a fixed now; a date in the past is "now"; anything else is not a value.
func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false}, // overflows int64: not a number
		{strconv.Itoa(1 << 40), (1 << 30) * time.Second, true},
		{policyNow.Add(time.Hour).Format(http.TimeFormat), time.Hour, true},
		{policyNow.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{policyNow.Add(time.Hour).Format(time.ANSIC), time.Hour, true},
		{policyNow.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := retryAfter(tc.v, policyNow)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzRetryAfter: any header value gives a non-negative wait or none, a
// number of seconds is that many seconds (capped), and a wait never comes
// from a value that is neither a number nor a date.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", " 5 ", "1.5", "+3", "0x10", "99999999999999999999",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Thu, 03 Dec 2026 09:00:01 GMT", "Thu, 31 Dec 9999 23:59:59 GMT", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := retryAfter(v, policyNow)
		if !ok {
			if d != 0 {
				t.Fatalf("retryAfter(%q) = %v with ok=false", v, d)
			}
			return
		}
		if d < 0 {
			t.Fatalf("retryAfter(%q) = %v: negative", v, d)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			if want := time.Duration(min(n, 1<<30)) * time.Second; d != want {
				t.Fatalf("retryAfter(%q) = %v, want %v", v, d, want)
			}
			return
		}
		if _, err := http.ParseTime(strings.TrimSpace(v)); err != nil {
			t.Fatalf("retryAfter(%q) = %v, ok: neither seconds nor an HTTP date", v, d)
		}
	})
}
