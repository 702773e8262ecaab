package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// hijack takes over the connection of a request, for servers that misbehave
// below HTTP.
func hijack(t *testing.T, w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return nil
	}
	return conn
}

// hang blocks a handler until the test ends (quit) or the client goes away.
func hang(r *http.Request, quit <-chan struct{}) {
	select {
	case <-quit:
	case <-r.Context().Done():
	}
}

// respondRaw is a handler that writes resp, which is no valid HTTP
// response, on the connection and closes it.
func respondRaw(resp string) func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
	return func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
		conn := hijack(t, w)
		defer conn.Close()
		fmt.Fprint(conn, resp)
	}
}

// TestFailureClasses runs misbehaving servers with short timeouts. The
// timeouts are real time because the servers are real sockets; each server
// either misbehaves forever (blocks until the test ends) or well inside the
// limit (gaps 10x shorter), so the outcome does not depend on scheduling.
func TestFailureClasses(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		handler   func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{})
		class     Class // "" means success
		retryable bool
	}{
		{
			name: "headers never end",
			opts: Options{HeaderTimeout: 150 * time.Millisecond},
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				conn := hijack(t, w)
				defer conn.Close()
				fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nX-Slow: 1\r\n")
				<-quit
			},
			class: ClassTimeout, retryable: true,
		},
		{
			name: "no response at all",
			opts: Options{Timeout: 150 * time.Millisecond},
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				hang(r, quit)
			},
			class: ClassTimeout, retryable: true,
		},
		{
			name: "body stalls",
			opts: Options{StallTimeout: 150 * time.Millisecond},
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				w.Write([]byte("first bytes"))
				w.(http.Flusher).Flush()
				hang(r, quit)
			},
			class: ClassStall, retryable: true,
		},
		{
			name: "trickle within stall timeout succeeds",
			// The gaps must stay under StallTimeout on a loaded machine (a
			// descheduled writer makes a gap longer): 40× margin.
			opts: Options{StallTimeout: 2 * time.Second},
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				for range 50 { // 50 x 50ms: longer than StallTimeout in total
					w.Write([]byte("x"))
					w.(http.Flusher).Flush()
					time.Sleep(50 * time.Millisecond)
				}
			},
		},
		{
			name: "endless trickle hits whole timeout",
			opts: Options{Timeout: 300 * time.Millisecond, StallTimeout: 5 * time.Second},
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-quit:
						return
					case <-r.Context().Done():
						return
					case <-tick.C:
						w.Write([]byte("x"))
						w.(http.Flusher).Flush()
					}
				}
			},
			class: ClassTimeout, retryable: true,
		},
		{
			name: "reset mid-body",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				conn := hijack(t, w)
				fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten..")
				conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
				conn.Close()
			},
			class: ClassReset, retryable: true,
		},
		{
			name: "EOF mid-body",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				conn := hijack(t, w)
				fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten..")
				conn.Close()
			},
			class: ClassReset, retryable: true,
		},
		{
			name: "closed before response",
			handler: func(t *testing.T, w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				hijack(t, w).Close()
			},
			class: ClassReset, retryable: true,
		},
		{
			name:    "malformed status line",
			handler: respondRaw("HTTP/1.1 two hundred OK\r\n\r\n"),
			class:   ClassProtocol, retryable: false,
		},
		{
			name:    "malformed header",
			handler: respondRaw("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
			class:   ClassProtocol, retryable: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var quit <-chan struct{}
			srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) { tt.handler(t, w, r, quit) })
			opts := tt.opts
			opts.AllowPrivate = true
			c := newClient(t, opts)
			start := time.Now()
			resp, err := c.Get(context.Background(), srv.URL, nil)
			if tt.class == "" {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if resp.Status != 200 {
					t.Fatalf("status %d", resp.Status)
				}
				return
			}
			if err == nil {
				t.Fatalf("got status %d body %q, want %s error", resp.Status, resp.Body, tt.class)
			}
			fe := fetchErr(t, err)
			t.Logf("error: %v", err)
			if fe.Class != tt.class || fe.Retryable != tt.retryable {
				t.Errorf("got %v (class %s retryable %v), want class %s retryable %v", err, fe.Class, fe.Retryable, tt.class, tt.retryable)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, Options{AllowPrivate: true})
	_, err = c.Get(context.Background(), "http://"+addr+"/", nil)
	if fe := fetchErr(t, err); fe.Class != ClassConnect || !fe.Retryable {
		t.Errorf("got %v, want retryable %s", err, ClassConnect)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secure")
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the bad-certificate case is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Run("bad certificate", func(t *testing.T) {
		c := newClient(t, Options{AllowPrivate: true}) // system roots: the test cert is unknown
		_, err := c.Get(context.Background(), srv.URL, nil)
		if fe := fetchErr(t, err); fe.Class != ClassTLS || fe.Retryable {
			t.Errorf("got %v, want non-retryable %s", err, ClassTLS)
		}
	})
	t.Run("trusted certificate, HTTP/2, timings", func(t *testing.T) {
		roots := srv.Client().Transport.(*http.Transport).TLSClientConfig
		res := &fakeResolver{answers: map[string][]string{"example.com": {"127.0.0.1"}}}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		c := newClient(t, Options{AllowPrivate: true, TLSConfig: roots, Resolver: res})
		url := "https://example.com:" + port + "/" // httptest's cert covers example.com
		first, err := c.Get(context.Background(), url, nil)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if string(first.Body) != "secure" || first.Proto != "HTTP/2.0" {
			t.Errorf("body %q proto %s", first.Body, first.Proto)
		}
		tm := first.Timing
		if tm.DNS <= 0 || tm.Connect <= 0 || tm.TLS <= 0 || tm.TTFB <= 0 || tm.Total < tm.TTFB || tm.Start.IsZero() {
			t.Errorf("first request timing %+v: want DNS, Connect, TLS, TTFB > 0 and Total >= TTFB", tm)
		}
		second, err := c.Get(context.Background(), url, nil)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if tm := second.Timing; tm.DNS != 0 || tm.Connect != 0 || tm.TLS != 0 || tm.TTFB <= 0 {
			t.Errorf("reused connection timing %+v: want DNS, Connect, TLS zero", tm)
		}
	})
}

func TestCallerCancel(t *testing.T) {
	arrived := make(chan struct{})
	var quit <-chan struct{}
	srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-quit:
		case <-r.Context().Done():
		}
	})
	c := newClient(t, Options{AllowPrivate: true})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := c.Get(ctx, srv.URL, nil)
	fe := fetchErr(t, err)
	if fe.Class != ClassCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %s wrapping context.Canceled", err, ClassCanceled)
	}
}

func TestDNSFailure(t *testing.T) {
	tests := []struct {
		name      string
		res       *fakeResolver
		retryable bool
	}{
		{"nxdomain", &fakeResolver{}, false},
		{"no addresses", &fakeResolver{answers: map[string][]string{"nowhere.test": {}}}, false},
		{"server failure", &fakeResolver{err: &net.DNSError{Err: "server misbehaving", Name: "nowhere.test", IsTemporary: true}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dial := &loopbackDialer{}
			c := newClient(t, Options{Resolver: tt.res, DialContext: dial.DialContext})
			_, err := c.Get(context.Background(), "http://nowhere.test/", nil)
			if fe := fetchErr(t, err); fe.Class != ClassDNS || fe.Retryable != tt.retryable {
				t.Errorf("got %v (retryable %v), want %s retryable %v", err, fe.Retryable, ClassDNS, tt.retryable)
			}
			if q := tt.res.Queries(); len(q) != 1 || q[0] != "nowhere.test" {
				t.Errorf("resolver queries %v", q)
			}
			if a := dial.Addrs(); len(a) != 0 {
				t.Errorf("dialed %v after a failed resolution", a)
			}
		})
	}
}

// blockingDialer never connects: it waits for its context, as a SYN to a
// black hole would.
func blockingDialer(ctx context.Context, network, addr string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestConnectTimeout(t *testing.T) {
	c := newClient(t, Options{AllowPrivate: true, ConnectTimeout: 100 * time.Millisecond, DialContext: blockingDialer})
	start := time.Now()
	_, err := c.Get(context.Background(), "http://127.0.0.1:9/", nil)
	if fe := fetchErr(t, err); fe.Class != ClassTimeout || !fe.Retryable {
		t.Errorf("got %v, want retryable %s", err, ClassTimeout)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("connect timeout took %s", d)
	}
}

// TestCallerCancelDuringBody: the caller's cancellation while the body is
// pending is ClassCanceled, not a stall, timeout or reset.
func TestCallerCancelDuringBody(t *testing.T) {
	flushed := make(chan struct{})
	var quit <-chan struct{}
	srv, quit := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		close(flushed)
		select {
		case <-quit:
		case <-r.Context().Done():
		}
	})
	c := newClient(t, Options{AllowPrivate: true, StallTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-flushed
		cancel()
	}()
	_, err := c.Get(ctx, srv.URL, nil)
	if fe := fetchErr(t, err); fe.Class != ClassCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %s", err, ClassCanceled)
	}
}
