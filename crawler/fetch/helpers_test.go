package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"syscall"
	"testing"
)

// serve starts an httptest server on loopback. quit is closed at cleanup,
// before the server closes, so handlers that block on it return.
func serve(t testing.TB, h http.HandlerFunc) (srv *httptest.Server, quit <-chan struct{}) {
	t.Helper()
	q := make(chan struct{})
	srv = httptest.NewServer(h)
	t.Cleanup(func() {
		close(q)
		srv.Close()
	})
	return srv, q
}

// newClient returns a Client for opts, closed at cleanup.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// fetchErr asserts that err is an *Error and returns it.
func fetchErr(t *testing.T, err error) *Error {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not *fetch.Error", err, err)
	}
	return fe
}

// fakeResolver answers from a table and records every query; a name not in
// the table is NXDOMAIN. It never sends a DNS query.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	err     error // if set, returned for every query
	queries []string
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, host)
	if r.err != nil {
		return nil, r.err
	}
	ips, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, 0, len(ips))
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func (r *fakeResolver) Queries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.queries...)
}

// loopbackDialer records every dial and connects only to loopback addresses,
// refusing anything else as "connection refused": a safety net so that no
// test can reach another host even if the guard were broken.
type loopbackDialer struct {
	mu    sync.Mutex
	addrs []string
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *loopbackDialer) Addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}
