package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestStatusIsResponseNotError(t *testing.T) {
	var gotUA, gotExtra, gotAE string
	var mu sync.Mutex
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotUA, gotExtra, gotAE = r.UserAgent(), r.Header.Get("X-Extra"), r.Header.Get("Accept-Encoding")
		mu.Unlock()
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, "hello")
		case "/missing":
			http.Error(w, "nope", http.StatusNotFound)
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/moved":
			w.Header().Set("Location", "../next?a=1")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/next":
			t.Error("redirect was followed")
		}
	})
	c := newClient(t, Options{UserAgent: "trawl-test/1", AllowPrivate: true})
	tests := []struct {
		path     string
		status   int
		body     string
		location string
	}{
		{"/ok", 200, "hello", ""},
		{"/missing", 404, "nope\n", ""},
		{"/broken", 500, "boom\n", ""},
		{"/moved", 301, "", "../next?a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			extra := http.Header{"X-Extra": {"yes"}, "Accept-Encoding": {"zstd"}}
			resp, err := c.Get(context.Background(), srv.URL+tt.path, extra)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if resp.Status != tt.status || string(resp.Body) != tt.body || resp.Location != tt.location {
				t.Errorf("got status %d body %q location %q, want %d %q %q",
					resp.Status, resp.Body, resp.Location, tt.status, tt.body, tt.location)
			}
			if resp.Truncated {
				t.Error("Truncated set on a short body")
			}
			if resp.URL != srv.URL+tt.path || resp.Proto != "HTTP/1.1" {
				t.Errorf("URL %q Proto %q", resp.URL, resp.Proto)
			}
			if resp.RemoteAddr != srv.Listener.Addr().String() {
				t.Errorf("RemoteAddr %q, want %q", resp.RemoteAddr, srv.Listener.Addr())
			}
			if resp.ServerIP != "127.0.0.1" {
				t.Errorf("ServerIP %q, want 127.0.0.1", resp.ServerIP)
			}
			if got := resp.RequestHeader.Get("User-Agent"); got != "trawl-test/1" {
				t.Errorf("RequestHeader User-Agent %q", got)
			}
			if got := resp.RequestHeader.Get("Accept-Encoding"); got != acceptEncoding {
				t.Errorf("RequestHeader Accept-Encoding %q", got)
			}
			mu.Lock()
			defer mu.Unlock()
			if gotUA != "trawl-test/1" || gotExtra != "yes" || gotAE != acceptEncoding {
				t.Errorf("server saw UA %q X-Extra %q Accept-Encoding %q", gotUA, gotExtra, gotAE)
			}
		})
	}
}

// encode applies the Content-Encoding codings in order.
func encode(t testing.TB, data []byte, codings ...string) []byte {
	t.Helper()
	for _, c := range codings {
		var buf bytes.Buffer
		var w io.WriteCloser
		switch c {
		case "gzip":
			w = gzip.NewWriter(&buf)
		case "zlib":
			w = zlib.NewWriter(&buf)
		case "rawdeflate":
			w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
		case "br":
			w = brotli.NewWriter(&buf)
		default:
			t.Fatalf("unknown coding %q", c)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data = buf.Bytes()
	}
	return data
}

func TestDecoding(t *testing.T) {
	content := bytes.Repeat([]byte("trawl decodes bodies. "), 500)
	corrupt := encode(t, content, "gzip")
	corrupt[len(corrupt)/2] ^= 0xff
	tests := []struct {
		name    string
		header  string // Content-Encoding sent
		wire    []byte
		want    []byte
		wantErr Class
	}{
		{"identity", "", content, content, ""},
		{"identity named", "identity", content, content, ""},
		{"gzip", "gzip", encode(t, content, "gzip"), content, ""},
		{"deflate as zlib", "deflate", encode(t, content, "zlib"), content, ""},
		{"deflate raw", "deflate", encode(t, content, "rawdeflate"), content, ""},
		{"br", "br", encode(t, content, "br"), content, ""},
		{"gzip then br", "gzip, br", encode(t, content, "gzip", "br"), content, ""},
		{"upper case", "GZIP", encode(t, content, "gzip"), content, ""},
		{"empty gzip body", "gzip", nil, []byte{}, ""},
		{"corrupt gzip", "gzip", corrupt, nil, ClassProtocol},
		{"not gzip at all", "gzip", content, nil, ClassProtocol},
		{"truncated gzip", "gzip", encode(t, content, "gzip")[:100], nil, ClassProtocol},
		{"unsupported", "zstd", content, nil, ClassProtocol},
		{"too many codings", "gzip, gzip, gzip", content, nil, ClassProtocol},
	}
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		tt := tests[mustAtoi(t, r.URL.Query().Get("i"))]
		if tt.header != "" {
			w.Header().Set("Content-Encoding", tt.header)
		}
		w.Write(tt.wire)
	})
	c := newClient(t, Options{AllowPrivate: true})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Get(context.Background(), fmt.Sprintf("%s/?i=%d", srv.URL, i), nil)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got body %d bytes, want %s error", len(resp.Body), tt.wantErr)
				}
				if fe := fetchErr(t, err); fe.Class != tt.wantErr || fe.Retryable {
					t.Fatalf("got %v (retryable %v), want class %s not retryable", err, fe.Retryable, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(resp.Body, tt.want) {
				t.Errorf("body %d bytes, want %d", len(resp.Body), len(tt.want))
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.header {
				t.Errorf("Content-Encoding %q not kept as received (%q)", got, tt.header)
			}
		})
	}
}

func mustAtoi(t testing.TB, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Errorf("bad index %q", s)
	}
	return n
}

func TestSchemeAndURL(t *testing.T) {
	c := newClient(t, Options{})
	for _, raw := range []string{"ftp://example.test/", "mailto:a@example.test", "/relative", "http://", "http://%zz/", "javascript:alert(1)"} {
		_, err := c.Get(context.Background(), raw, nil)
		if fe := fetchErr(t, err); fe.Class != ClassScheme || fe.Retryable || fe.URL != raw {
			t.Errorf("%q: got %v, want non-retryable %s", raw, err, ClassScheme)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Class: ClassReset, URL: "http://a.test/", Err: io.ErrUnexpectedEOF}
	if got, want := e.Error(), "fetch http://a.test/: reset: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Unwrap() != io.ErrUnexpectedEOF {
		t.Error("Unwrap does not return Err")
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"http proxy", Options{Proxy: &url.URL{Scheme: "http", Host: "127.0.0.1:3128"}}, true},
		{"socks proxy", Options{Proxy: &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080"}}, false},
		{"proxy without host", Options{Proxy: &url.URL{Scheme: "http"}}, false},
		{"negative timeout", Options{Timeout: -1}, false},
		{"negative stall", Options{StallTimeout: -1}, false},
		{"negative body", Options{MaxBody: -1}, false},
		{"negative conns", Options{MaxConns: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("New: err = %v, want ok=%v", err, tt.ok)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := newClient(t, Options{Timeout: 7e9})
	o := c.opts
	if o.HeaderTimeout != 7e9 || o.ConnectTimeout != DefaultConnectTimeout ||
		o.StallTimeout != DefaultStallTimeout || o.MaxBody != DefaultMaxBody || o.MaxConns != DefaultMaxConns {
		t.Errorf("defaults not applied: %+v", o)
	}
	if tr := c.transport; tr.MaxIdleConnsPerHost != DefaultMaxConns || tr.MaxIdleConns != DefaultMaxConns ||
		!tr.DisableCompression || !tr.ForceAttemptHTTP2 {
		t.Errorf("transport not sized/configured: idle %d per host %d", tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
	}
}

func TestConcurrentGets(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat(r.URL.Query().Get("s"), 1000))
	})
	c := newClient(t, Options{AllowPrivate: true, MaxConns: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				s := fmt.Sprintf("%d-%d.", g, i)
				resp, err := c.Get(context.Background(), srv.URL+"/?s="+s, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if string(resp.Body) != strings.Repeat(s, 1000) {
					t.Errorf("wrong body for %s", s)
				}
			}
		})
	}
	wg.Wait()
}
