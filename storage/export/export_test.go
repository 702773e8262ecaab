package export

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/waitfor"
	"github.com/trawl-crawler/trawl/internal/warcverify"
	"github.com/trawl-crawler/trawl/storage"
)

// testRecords is a small crawl: HTML pages linking each other, a query page,
// a binary, a 404, a failure and a header with invalid UTF-8.
func testRecords() []*storage.Record {
	at := fetchedAt(0)
	page := func(u, ct, body string, status int) *storage.Record {
		return &storage.Record{URL: u, FinalURL: u, Method: "GET", Status: status, Proto: "HTTP/1.1", ContentType: ct,
			Header:        http.Header{"Content-Type": {ct}, "Content-Encoding": {"gzip"}, "X-Multi": {"a", "b"}},
			RequestHeader: http.Header{"User-Agent": {"trawl-test"}}, Body: []byte(body), FetchedAt: at, IP: "127.0.0.1"}
	}
	bad := page("http://127.0.0.1:8080/bad", "text/html", "<p>caf\xe9</p>", 200)
	bad.Header.Set("X-Bad", "\xff\xfe")
	return []*storage.Record{
		page("http://127.0.0.1:8080/", "text/html; charset=utf-8", `<a href="/a">a</a> <a href="http://127.0.0.1:8080/a/b#top">b</a> <img src="logo.png">`, 200),
		page("http://127.0.0.1:8080/a", "text/html", `<a href="/">home</a> <a href="a/b">b</a>`, 200),
		page("http://127.0.0.1:8080/a/b", "text/html", `<a href="../">up</a>`, 200),
		page("http://127.0.0.1:8080/logo.png", "image/png", "\x89PNG\r\n\x1a\n\x00\x01", 200),
		page("http://127.0.0.1:8080/search?q=go&page=2", "text/html", "<p>results</p>", 200),
		page("http://127.0.0.1:8080/missing", "text/html", "not found", 404),
		{URL: "http://127.0.0.1:9/down", Decision: true, Depth: 1, Reason: "connect: connection refused", DecidedAt: at},
		bad,
	}
}

func TestJSONL(t *testing.T) {
	recs := testRecords()
	store := fillStore(t, recs)
	out := filepath.Join(t.TempDir(), "pages.jsonl")
	// By default only responses are written.
	sum := run(t, store, Options{Format: FormatJSONL, Out: out})
	if sum.Records != int64(len(recs)) || sum.Written != int64(len(recs)-1) || sum.Skipped[skipDecision] != 1 {
		t.Fatalf("summary %+v, want the %d responses written, the decision skipped", sum, len(recs)-1)
	}
	if data, err := os.ReadFile(out); err != nil || strings.Contains(string(data), `"decided_at"`) || strings.Contains(string(data), `"reason"`) {
		t.Fatalf("default export holds a decision or a reason (%v):\n%s", err, data)
	}
	sum = run(t, store, Options{Format: FormatJSONL, Out: out, Force: true, IncludeDecisions: true})
	if sum.Records != int64(len(recs)) || sum.Written != int64(len(recs)) {
		t.Fatalf("summary %+v, want all %d written", sum, len(recs))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("%d lines, want %d", len(lines), len(recs))
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		want := recs[i]
		if want.Decision {
			// A decision record: exactly url, depth, reason, decided_at.
			if len(got) != 4 || got["url"] != want.URL || got["reason"] != want.Reason || int(got["depth"].(float64)) != want.Depth {
				t.Errorf("decision line %d: %s", i, line)
			}
			if ts, err := time.Parse(time.RFC3339Nano, got["decided_at"].(string)); err != nil || !ts.Equal(want.DecidedAt) {
				t.Errorf("line %d: decided_at %v (%v)", i, got["decided_at"], err)
			}
			continue
		}
		if _, ok := got["reason"]; ok {
			t.Errorf("line %d: a response carries a reason: %s", i, line)
		}
		if got["url"] != want.URL || int(got["status"].(float64)) != want.Status {
			t.Errorf("line %d: url %v status %v, want %s %d", i, got["url"], got["status"], want.URL, want.Status)
		}
		if ts, err := time.Parse(time.RFC3339, got["fetched_at"].(string)); err != nil || !ts.Equal(want.FetchedAt) {
			t.Errorf("line %d: fetched_at %v (%v)", i, got["fetched_at"], err)
		}
		body := got["body"].(string)
		if got["body_encoding"] == "base64" {
			dec, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				t.Fatal(err)
			}
			body = string(dec)
		}
		if body != string(want.Body) {
			t.Errorf("line %d: body %q, want %q", i, body, want.Body)
		}
	}
	// PNG and the invalid-UTF-8 HTML are base64; multi-valued headers are joined.
	if !strings.Contains(lines[3], `"body_encoding":"base64"`) || !strings.Contains(lines[7], `"body_encoding":"base64"`) {
		t.Errorf("binary bodies not base64:\n%s\n%s", lines[3], lines[7])
	}
	if !strings.Contains(lines[0], `"X-Multi":"a, b"`) {
		t.Errorf("headers not joined: %s", lines[0])
	}

	// Stdout and filters.
	var buf bytes.Buffer
	sum = run(t, store, Options{Format: FormatJSONL, Out: "-", Stdout: &buf, Status: []int{200}, ContentType: []string{"text/html"},
		Exclude: []*regexp.Regexp{regexp.MustCompile(`search`)}})
	if got := strings.Count(buf.String(), "\n"); got != 4 || sum.Written != 4 {
		t.Fatalf("filtered export wrote %d lines (summary %+v), want 4", got, sum)
	}
	if sum.Skipped[skipStatus] != 1 || sum.Skipped[skipDecision] != 1 || sum.Skipped[skipContentType] != 1 || sum.Skipped[skipExclude] != 1 {
		t.Errorf("skipped %v", sum.Skipped)
	}
}

// readWARC reads a WARC file with warcverify.Read, which shares no code
// with the writer.
func readWARC(t *testing.T, file string) []warcverify.Record {
	t.Helper()
	recs, err := warcverify.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func digest(b []byte) string {
	s := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(s[:])
}

func TestWARC(t *testing.T) {
	recs := testRecords()
	store := fillStore(t, recs)
	out := t.TempDir()
	sum := run(t, store, Options{Format: FormatWARC, Out: out, WARCMaxSize: 600, Software: "trawl/test"})
	if sum.Skipped[skipDecision] != 1 || sum.Written != int64(len(recs)-1) {
		t.Fatalf("summary %+v", sum)
	}
	if len(sum.Files) < 2 || sum.Files[0] != "trawl-00000.warc.gz" {
		t.Fatalf("files %v: want rotation at 600 bytes", sum.Files)
	}
	var pages []*storage.Record
	for _, r := range recs {
		if r.Status != 0 {
			pages = append(pages, r)
		}
	}
	next := 0
	for _, name := range sum.Files {
		got := readWARC(t, filepath.Join(out, name))
		if got[0].Header.Get("WARC-Type") != "warcinfo" {
			t.Fatalf("%s: first record %q, want warcinfo", name, got[0].Header.Get("WARC-Type"))
		}
		ids := map[string]string{}
		for _, rec := range got {
			if d := digest(rec.Block); rec.Header.Get("WARC-Block-Digest") != d {
				t.Errorf("%s: block digest %s, computed %s", name, rec.Header.Get("WARC-Block-Digest"), d)
			}
			ids[rec.Header.Get("WARC-Record-ID")] = rec.Header.Get("WARC-Type")
		}
		for i := 1; i < len(got); i += 2 {
			req, resp := got[i], got[i+1]
			want := pages[next]
			next++
			if req.Header.Get("WARC-Type") != "request" || resp.Header.Get("WARC-Type") != "response" {
				t.Fatalf("records %d,%d: types %s,%s", i, i+1, req.Header.Get("WARC-Type"), resp.Header.Get("WARC-Type"))
			}
			if ids[req.Header.Get("WARC-Concurrent-To")] != "response" {
				t.Errorf("request for %s not concurrent to a response", want.URL)
			}
			for _, rec := range []warcverify.Record{req, resp} {
				if rec.Header.Get("WARC-Target-URI") != want.URL {
					t.Errorf("target %s, want %s", rec.Header.Get("WARC-Target-URI"), want.URL)
				}
			}
			hr, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp.Block)), nil)
			if err != nil {
				t.Fatalf("%s: response block: %v", want.URL, err)
			}
			body, _ := io.ReadAll(hr.Body)
			if hr.StatusCode != want.Status || !bytes.Equal(body, want.Body) {
				t.Errorf("%s: status %d body %q, want %d %q", want.URL, hr.StatusCode, body, want.Status, want.Body)
			}
			if hr.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s: Content-Encoding kept for a decoded body", want.URL)
			}
			if ip := resp.Header.Get("WARC-IP-Address"); ip != want.IP || ip == "" {
				t.Errorf("%s: WARC-IP-Address %q, want %q", want.URL, ip, want.IP)
			}
			if p := resp.Header.Get("WARC-Payload-Digest"); p != digest(body) {
				t.Errorf("%s: payload digest %s, want %s", want.URL, p, digest(body))
			}
			if _, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req.Block))); err != nil {
				t.Errorf("%s: request block: %v", want.URL, err)
			}
		}
	}
	if next != len(pages) {
		t.Fatalf("read back %d pages, want %d", next, len(pages))
	}
}

func TestDir(t *testing.T) {
	store := fillStore(t, testRecords())
	out := t.TempDir()
	sum := run(t, store, Options{Format: FormatDir, Out: out, RewriteLinks: true})
	want := map[string]string{
		"127.0.0.1_8080/index.html":              `href="a.html"`,
		"127.0.0.1_8080/a.html":                  `href="a/b.html"`,
		"127.0.0.1_8080/a/b.html":                `href="../index.html"`,
		"127.0.0.1_8080/logo.png":                "PNG",
		"127.0.0.1_8080/search@q=go&page=2.html": "results",
		"127.0.0.1_8080/bad.html":                "caf",
	}
	if sum.Written != int64(len(want)) || sum.Skipped[skipStatus] != 1 || sum.Skipped[skipDecision] != 1 {
		t.Fatalf("summary %+v", sum)
	}
	tree := func() map[string]string {
		got := map[string]string{}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				b, _ := os.ReadFile(p)
				got[filepath.ToSlash(rel)] = string(b)
			}
			return nil
		})
		return got
	}
	first := tree()
	if len(first) != len(want) {
		t.Fatalf("tree %v", first)
	}
	for p, frag := range want {
		if !strings.Contains(first[p], frag) {
			t.Errorf("%s: %q does not contain %q", p, first[p], frag)
		}
	}
	if !strings.Contains(first["127.0.0.1_8080/index.html"], `href="a/b.html#top"`) || !strings.Contains(first["127.0.0.1_8080/index.html"], `src="logo.png"`) {
		t.Errorf("index not rewritten: %s", first["127.0.0.1_8080/index.html"])
	}
	if _, err := tryRun(t, store, Options{Format: FormatDir, Out: out, RewriteLinks: true}); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("second export without Force: %v, want ErrOutputExists", err)
	}
	run(t, store, Options{Format: FormatDir, Out: out, RewriteLinks: true, Force: true})
	second := tree()
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("second export differs:\n%v\n%v", first, second)
	}
}

func TestPathForHostile(t *testing.T) {
	tests := []struct {
		url, ct, want string // want "" = any safe path
	}{
		{"http://h/", "text/html", "h/index.html"},
		{"http://h:80/a", "text/html", "h/a.html"},
		{"https://h:8443/a/", "text/html", "h_8443/a/index.html"},
		{"http://h/../../etc/passwd", "text/plain", "h/etc/passwd.txt"},
		{"http://h/%2e%2e/%2e%2e/x", "", "h/x"},
		{"http://h/a/..%2f..%2fx", "", "h/a/..%2F..%2Fx"},
		{"http://h//abs/path", "", "h/abs/path"},
		{"http://h/a%00b", "", "h/a%00b"},
		{"http://h/a%5c..%5c..%5cb", "", "h/a%5C..%5C..%5Cb"},
		{"http://h/CON", "", "h/%43ON"},
		{"http://h/nul.txt", "", "h/%6Eul.txt"},
		{"http://h/.../x", "", "h/%2E%2E%2E/x"},
		{"http://h/a./b", "", "h/a%2E/b"},
		{"http://h/" + strings.Repeat("x", 300), "", ""},
		{"http://h/p.html?" + strings.Repeat("q=1&", 50), "text/html", ""},
		{"http://h/p?a=1/../../b", "text/html", "h/p@a=1%2F..%2F..%2Fb.html"},
		{"http://[::1]:8080/x", "", "%3A%3A1_8080/x"},
		{"http://h/%ff%fe", "", "h/%FF%FE"},
		{"http://h/a:b*c?d", "", "h/a%3Ab%2Ac@d"},
		{"http://h/C:%5cWindows", "", "h/C%3A%5CWindows"},
	}
	for _, tt := range tests {
		got, err := PathFor(tt.url, tt.ct)
		if err != nil {
			t.Errorf("PathFor(%q): %v", tt.url, err)
			continue
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("PathFor(%q) = %q, want %q", tt.url, got, tt.want)
		}
		checkSafe(t, tt.url, got)
	}
	// And the dir exporter keeps every one of them inside OUT.
	var recs []*storage.Record
	for i, tt := range tests {
		recs = append(recs, &storage.Record{URL: tt.url, Status: 200, ContentType: tt.ct, Body: []byte(strconv.Itoa(i))})
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	sum := run(t, fillStore(t, recs), Options{Format: FormatDir, Out: out})
	if sum.Written+sum.Skipped[skipConflict] != int64(len(tests)) {
		t.Fatalf("summary %+v", sum)
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		t.Fatalf("export wrote beside OUT: %v", ents)
	}
}

func checkSafe(t testing.TB, in, p string) {
	t.Helper()
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || !filepath.IsLocal(p) || strings.ContainsRune(p, 0) || strings.Contains(p, `\`) {
		t.Fatalf("PathFor(%q) = %q: not a clean local path", in, p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." || e == "." || len(e) > 255 {
			t.Fatalf("PathFor(%q) = %q: bad element %q", in, p, e)
		}
	}
}

func FuzzPathFor(f *testing.F) {
	for _, s := range []string{"http://h/", "http://h/../../x", "http://h/%2e%2e%2f", "http://h/a?b=c", "http://h/CON", "http://[::1]:1/%00"} {
		f.Add(s, "text/html")
	}
	f.Fuzz(func(t *testing.T, u, ct string) {
		p, err := PathFor(u, ct)
		if err != nil {
			return
		}
		checkSafe(t, u, p)
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		o    Options
		want string // substring of the error; "" = valid
	}{
		{Options{Format: "dir", Out: "x"}, ""},
		{Options{Format: "jsonl", Out: "-", Stdout: io.Discard}, ""},
		{Options{Format: "xml", Out: "x"}, "unknown format"},
		{Options{Format: "", Out: "x"}, "no format"},
		{Options{Format: "warc"}, "output path"},
		{Options{Format: "warc", Out: "-"}, "stdout"},
		{Options{Format: "jsonl", Out: "x", RewriteLinks: true}, "rewriting links"},
		{Options{Format: "jsonl", Out: "-"}, "Stdout"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.o, err, tt.want)
		}
	}
}

// TestExportWhileWriting exports JSONL repeatedly while a writer keeps
// appending: each export is a published prefix, every record once.
func TestExportWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil, storage.Options{SegmentSize: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const total = 200
	write := func() error {
		for i := range total {
			b, err := storage.Encode(&storage.Record{URL: fmt.Sprintf("http://h/%d", i), Status: 200, ContentType: "text/plain", Body: bytes.Repeat([]byte("x"), 500)})
			if err == nil {
				var cp []byte
				if cp, err = s.Append(b); err == nil {
					if err = s.Sync(); err == nil { // as a commit does: durable, then published
						err = s.Publish(cp)
					}
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	err = waitfor.During(write, 2, func(finished bool) {
		var buf bytes.Buffer
		sum := run(t, dir, Options{Format: FormatJSONL, Out: "-", Stdout: &buf})
		lines := decodeLines[jsonlLine](t, &buf)
		for n, l := range lines {
			if want := fmt.Sprintf("http://h/%d", n); l.URL != want {
				t.Fatalf("line %d: %s, want %s", n, l.URL, want)
			}
		}
		n := len(lines)
		if int64(n) != sum.Written || sum.Written != sum.Records {
			t.Fatalf("%d lines, summary %+v", n, sum)
		}
		if finished && n != total {
			t.Fatalf("final export saw %d of %d", n, total)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
