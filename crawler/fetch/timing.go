package fetch

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"
)

// recorder collects httptrace events of one request. Hooks may run on the
// Transport's dial goroutine, hence the mutex. A start is kept at its first
// report and a done at its last, so hooks fired twice (by the net package and
// by our dialer) do no harm.
type recorder struct {
	mu                  sync.Mutex
	start               time.Time
	dnsStart, dnsDone   time.Time
	connStart, connDone time.Time
	tlsStart, tlsDone   time.Time
	firstByte           time.Time
	remoteAddr          string
}

func (r *recorder) trace() *httptrace.ClientTrace {
	first := func(t *time.Time) {
		r.mu.Lock()
		if t.IsZero() {
			*t = time.Now()
		}
		r.mu.Unlock()
	}
	last := func(t *time.Time) {
		r.mu.Lock()
		*t = time.Now()
		r.mu.Unlock()
	}
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { first(&r.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { last(&r.dnsDone) },
		ConnectStart:         func(string, string) { first(&r.connStart) },
		ConnectDone:          func(string, string, error) { last(&r.connDone) },
		TLSHandshakeStart:    func() { first(&r.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { last(&r.tlsDone) },
		GotFirstResponseByte: func() { first(&r.firstByte) },
		GotConn: func(info httptrace.GotConnInfo) {
			r.mu.Lock()
			r.remoteAddr = info.Conn.RemoteAddr().String()
			r.mu.Unlock()
		},
	}
}

// timing computes the Timing of a request whose headers arrived at headers
// and whose body was read by end.
func (r *recorder) timing(headers, end time.Time) (Timing, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	span := func(a, b time.Time) time.Duration {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return b.Sub(a)
	}
	first := r.firstByte
	if first.IsZero() {
		first = headers
	}
	return Timing{
		Start:   r.start,
		DNS:     span(r.dnsStart, r.dnsDone),
		Connect: span(r.connStart, r.connDone),
		TLS:     span(r.tlsStart, r.tlsDone),
		TTFB:    span(r.start, first),
		Body:    span(headers, end),
		Total:   span(r.start, end),
	}, r.remoteAddr
}
