package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// proxyServer is a plain-HTTP forward proxy stand-in: it answers
// absolute-URI requests itself, echoing the URI, and refuses others.
func proxyServer(t *testing.T) *url.URL {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "proxied %s", r.URL)
	})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestExplicitProxy: a proxy on loopback is used without AllowPrivate, and
// the target name is never resolved by us.
func TestExplicitProxy(t *testing.T) {
	proxy := proxyServer(t)
	res := &fakeResolver{}
	c := newClient(t, Options{Proxy: proxy, Resolver: res})
	resp, err := c.Get(context.Background(), "http://example.test/page?q=1", nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if want := "proxied http://example.test/page?q=1"; resp.Status != 200 || string(resp.Body) != want {
		t.Errorf("got %d %q, want 200 %q", resp.Status, resp.Body, want)
	}
	if q := res.Queries(); len(q) != 0 {
		t.Errorf("resolved %v; the proxy should decide", q)
	}
	if resp.ServerIP != "" {
		t.Errorf("ServerIP %q through a proxy: that is the proxy's address, not the server's", resp.ServerIP)
	}
}

// TestProxyFromEnv: HTTP_PROXY is honoured, and a NO_PROXY host is dialed
// directly and so guarded.
func TestProxyFromEnv(t *testing.T) {
	proxy := proxyServer(t)
	for _, k := range []string{"http_proxy", "HTTPS_PROXY", "https_proxy", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
	t.Setenv("HTTP_PROXY", proxy.String())
	t.Setenv("NO_PROXY", "direct.test")
	res := &fakeResolver{answers: map[string][]string{"direct.test": {"10.0.0.1"}}}
	dial := &loopbackDialer{}
	c := newClient(t, Options{ProxyFromEnv: true, Resolver: res, DialContext: dial.DialContext})

	resp, err := c.Get(context.Background(), "http://via.test/", nil)
	if err != nil {
		t.Fatalf("Get via proxy: %v", err)
	}
	if want := "proxied http://via.test/"; string(resp.Body) != want {
		t.Errorf("got %q, want %q", resp.Body, want)
	}

	_, err = c.Get(context.Background(), "http://direct.test/", nil)
	if fe := fetchErr(t, err); fe.Class != ClassBlocked {
		t.Errorf("NO_PROXY host: got %v, want %s", err, ClassBlocked)
	}
	if q := res.Queries(); len(q) != 1 || q[0] != "direct.test" {
		t.Errorf("resolver queries %v, want only direct.test", q)
	}
}

// TestNoProxyByDefault: without ProxyFromEnv the environment is ignored.
func TestNoProxyByDefault(t *testing.T) {
	proxy := proxyServer(t)
	t.Setenv("HTTP_PROXY", proxy.String())
	t.Setenv("REQUEST_METHOD", "")
	res := &fakeResolver{}
	c := newClient(t, Options{Resolver: res})
	_, err := c.Get(context.Background(), "http://elsewhere.test/", nil)
	if fe := fetchErr(t, err); fe.Class != ClassDNS {
		t.Errorf("got %v, want %s (direct dial, name not found)", err, ClassDNS)
	}
}
