package crawler_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/storage"
	"github.com/trawl-crawler/trawl/storage/export"
)

// recordingHost is an httptest server on 127.0.0.1 that remembers the
// request headers of every path.
type recordingHost struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string][]http.Header
}

func newRecordingHost(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *recordingHost {
	h := &recordingHost{seen: map[string][]http.Header{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen[r.URL.Path] = append(h.seen[r.URL.Path], r.Header.Clone())
		h.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		handle(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *recordingHost) port() string {
	_, p, _ := net.SplitHostPort(h.srv.Listener.Addr().String())
	return p
}

// got returns the headers of the last request for path.
func (h *recordingHost) got(t *testing.T, path string) http.Header {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	reqs := h.seen[path]
	if len(reqs) == 0 {
		t.Fatalf("%s was never requested", path)
	}
	return reqs[len(reqs)-1]
}

// shapedWeb is two hosts, a.test (the seed) and b.test, both on 127.0.0.1
// (names resolved by the test): a.test sets a session cookie and links and
// redirects to b.test.
type shapedWeb struct {
	a, b         *recordingHost
	aURL, bURL   string
	cookies      string
	netrc        string
	headers      []string
	secretValues []string // must appear nowhere trawl writes
}

func newShapedWeb(t *testing.T) *shapedWeb {
	w := &shapedWeb{}
	w.b = newRecordingHost(t, func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprint(rw, "<p>b</p>")
	})
	w.bURL = "http://b.test:" + w.b.port()
	w.a = newRecordingHost(t, func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.SetCookie(rw, &http.Cookie{Name: "sid", Value: "session-1", Path: "/"})
			http.SetCookie(rw, &http.Cookie{Name: "evil", Value: "x", Domain: "b.test"}) // for another site: refused
			rw.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(rw, `<a href="/page">p</a> <a href="/redir">r</a> <a href="%s/other">o</a>`, w.bURL)
		case "/redir":
			http.Redirect(rw, r, w.bURL+"/landing", http.StatusFound)
		default:
			rw.Header().Set("Content-Type", "text/html")
			fmt.Fprint(rw, "<p>a</p>")
		}
	})
	w.aURL = "http://a.test:" + w.a.port()
	dir := t.TempDir()
	w.cookies = filepath.Join(dir, "cookies.txt")
	os.WriteFile(w.cookies, []byte("# Netscape HTTP Cookie File\n"+
		"a.test\tFALSE\t/\tFALSE\t0\tfilecookie\tfile-secret-a\n"+
		"#HttpOnly_.b.test\tTRUE\t/\tFALSE\t0\tbcookie\tcookie-for-b\n"), 0o600)
	w.netrc = filepath.Join(dir, "netrc")
	os.WriteFile(w.netrc, []byte("machine a.test login alice password netrc-secret\ndefault login anyone password default-secret\n"), 0o600)
	w.headers = []string{"X-Token: token-secret-a", "b.test:" + w.b.port() + "=X-For-B: header-for-b"}
	w.secretValues = []string{"token-secret-a", "file-secret-a", "session-1", "netrc-secret", "default-secret",
		base64.StdEncoding.EncodeToString([]byte("alice:netrc-secret")), "cookie-for-b", "header-for-b"}
	return w
}

func (w *shapedWeb) config() crawler.Config {
	cfg := crawler.Default()
	cfg.Seeds = []string{w.aURL + "/"}
	cfg.Scope = crawler.ScopeAny
	cfg.MaxDepth = 2
	cfg.AllowPrivate, cfg.Delay, cfg.PerHost = true, 0, 1
	cfg.Headers, cfg.CookiesFile, cfg.NetrcFile = w.headers, w.cookies, w.netrc
	return cfg
}

// TestRequestShaping: headers, cookies and credentials reach only the
// hosts they belong to, never across a redirect to another host, and are
// written nowhere in clear (crawl.json, status.json, logs, stored request
// headers, JSONL and WARC exports).
func TestRequestShaping(t *testing.T) {
	w := newShapedWeb(t)
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	runCrawl(t, context.Background(), dir, w.config(), crawler.WithResolver(fakeResolver{ip: "127.0.0.1"}), crawler.WithLogger(log))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:netrc-secret"))
	for _, c := range []struct {
		host                      *recordingHost
		path                      string
		token, auth, cookie, forB string
	}{
		{w.a, "/", "token-secret-a", basic, "filecookie=file-secret-a", ""},
		{w.a, "/page", "token-secret-a", basic, "filecookie=file-secret-a; sid=session-1", ""},
		{w.a, "/redir", "token-secret-a", basic, "filecookie=file-secret-a; sid=session-1", ""},
		{w.a, "/robots.txt", "", "", "", ""},
		// b.test: only what belongs to it, whether linked or redirected to.
		{w.b, "/other", "", "", "bcookie=cookie-for-b", "header-for-b"},
		{w.b, "/landing", "", "", "bcookie=cookie-for-b", "header-for-b"},
		{w.b, "/robots.txt", "", "", "", ""},
	} {
		h := c.host.got(t, c.path)
		for _, f := range []struct{ name, want string }{
			{"X-Token", c.token}, {"Authorization", c.auth}, {"Cookie", c.cookie}, {"X-For-B", c.forB},
		} {
			if got := h.Get(f.name); got != f.want {
				t.Errorf("%s%s: %s = %q, want %q", map[*recordingHost]string{w.a: "a.test", w.b: "b.test"}[c.host], c.path, f.name, got, f.want)
			}
		}
	}

	// Nothing written holds a secret in clear.
	written := map[string]string{"logs": logs.String()}
	for _, name := range []string{"crawl.json", "status.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		written[name] = string(b)
	}
	n := 0
	r := scanPages(t, dir, func(rec *storage.Record) {
		n++
		for _, name := range []string{"Authorization", "Cookie", "X-Token", "X-For-B"} {
			if v := rec.RequestHeader.Values(name); len(v) > 0 && (len(v) != 1 || v[0] != "[redacted]") {
				t.Errorf("%s: stored request header %s = %q, want [redacted]", rec.URL, name, v)
			}
		}
		written["request headers of "+rec.URL] = fmt.Sprint(rec.RequestHeader)
	})
	if n < 5 {
		t.Fatalf("scan: %d records", n)
	}
	for _, format := range []export.Format{export.FormatJSONL, export.FormatWARC} {
		out := filepath.Join(t.TempDir(), "out")
		if format == export.FormatJSONL {
			out += ".jsonl"
		}
		if _, err := export.Run(context.Background(), r, export.Options{Format: format, Out: out}); err != nil {
			t.Fatal(err)
		}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				if strings.HasSuffix(p, ".gz") {
					zr, err := gzip.NewReader(bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					b, _ = io.ReadAll(zr)
				}
				written[string(format)+" export "+filepath.Base(p)] = string(b)
			}
			return nil
		})
		if format == export.FormatWARC && !strings.Contains(fmt.Sprint(written), "Authorization: [redacted]") {
			t.Errorf("WARC request records do not show the redacted Authorization")
		}
	}
	for where, text := range written {
		for _, s := range w.secretValues {
			if strings.Contains(text, s) && !(s == "session-1" && strings.Contains(where, "export")) {
				t.Errorf("%s holds the secret %q", where, s)
			}
		}
	}
	// The jar is kept with the crawl, private, and refused the cookie a.test set for b.test.
	fi, err := os.Stat(filepath.Join(dir, "cookies.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cookies.txt mode %v, want 0600", fi.Mode().Perm())
	}
	jar, _ := os.ReadFile(filepath.Join(dir, "cookies.txt"))
	if !strings.Contains(string(jar), "session-1") || strings.Contains(string(jar), "evil") {
		t.Errorf("cookie jar:\n%s", jar)
	}
}

// TestResumeKeepsCookieSession: the cookie a server set before the stop is
// sent after the resume, without --cookies being given again.
func TestResumeKeepsCookieSession(t *testing.T) {
	w := newShapedWeb(t)
	dir := t.TempDir()
	cfg := w.config()
	cfg.MaxPages = 1 // only "/": it sets the session cookie
	runCrawl(t, context.Background(), dir, cfg, crawler.WithResolver(fakeResolver{ip: "127.0.0.1"}))
	cfg.MaxPages, cfg.CookiesFile = 0, ""
	resumeCrawl(t, context.Background(), dir, cfg, crawler.WithResolver(fakeResolver{ip: "127.0.0.1"}))
	if got := w.a.got(t, "/page").Get("Cookie"); got != "filecookie=file-secret-a; sid=session-1" {
		t.Errorf("after resume /page got Cookie %q, want the session and the file's cookie", got)
	}
}

// A proxy password is not in crawl.json, and a resume that reads its
// settings back from crawl.json (as the CLI does) still authenticates.
func TestProxyPasswordNotInCrawlJSON(t *testing.T) {
	var mu sync.Mutex
	auths := map[string]string{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths[r.URL.Path] = r.Header.Get("Proxy-Authorization")
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/next">next</a>`)
	}))
	t.Cleanup(proxy.Close)
	cfg := crawler.Default()
	cfg.Seeds = []string{"http://origin.test/"}
	cfg.Proxy = "http://user:proxy-secret@" + proxy.Listener.Addr().String()
	cfg.AllowPrivate, cfg.Delay, cfg.MaxPages = true, 0, 1
	dir := t.TempDir()
	runCrawl(t, context.Background(), dir, cfg)
	b, err := os.ReadFile(filepath.Join(dir, "crawl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "proxy-secret") {
		t.Fatalf("crawl.json holds the proxy password:\n%s", b)
	}
	stored, err := crawler.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	stored.MaxPages = 0
	resumeCrawl(t, context.Background(), dir, stored)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:proxy-secret"))
	mu.Lock()
	defer mu.Unlock()
	if auths["/next"] != want {
		t.Fatalf("after resume the proxy got Proxy-Authorization %q, want the stored credentials", auths["/next"])
	}
}
