package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/testweb"
	"github.com/trawl-crawler/trawl/storage/export"
)

// TestExportRoundTripsACrawl crawls the test web with the CLI, exports it
// in all three formats, and reads each back independently: every URL the
// crawl fetched appears exactly once with its status and body digest.
func TestExportRoundTripsACrawl(t *testing.T) {
	f := testweb.Clean()
	f.Binaries, f.NotFound, f.Redirects = true, true, true
	web, err := testweb.Start(testweb.Config{Hosts: 3, PagesPerHost: 15, PageSize: 2 << 10, Seed: 21, Features: f})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "state")
	args := append([]string{"crawl", "--dir", dir, "--proxy", web.ProxyURL(), "--allow-private", "--delay", "0",
		"--progress", "off", "--log-level", "warn"}, web.Seeds()...)
	if code, _, stderr := cli(t, "", args...); code != 0 {
		t.Fatalf("crawl: %d %s", code, stderr)
	}
	checkExportRoundTrip(t, []string{dir}, web.Expected(), web.Seeds())
}

// checkExportRoundTrip exports the crawl directories together in all three
// formats and reads each export back independently: every expected URL
// appears exactly once with its status and body digest, and the robots.txt
// of every seed's host is archived in the WARC.
func checkExportRoundTrip(t *testing.T, dirs []string, expected map[string]int, seeds []string) {
	t.Helper()
	tmp := t.TempDir()
	exportAll := func(format, out string) {
		t.Helper()
		args := []string{"export", "--format", format, "--out", out}
		for _, d := range dirs {
			args = append(args, "--dir", d)
		}
		if code, _, stderr := cli(t, "", args...); code != 0 {
			t.Fatalf("export %s: %d %s", format, code, stderr)
		}
	}

	// JSONL: the reference for status and digest of every record.
	jsonl := filepath.Join(tmp, "pages.jsonl")
	exportAll("jsonl", jsonl)
	type rec struct {
		URL, ContentType, SHA256, Body, BodyEncoding string
		Status                                       int
	}
	byURL := map[string]rec{}
	fh, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m struct {
			URL          string `json:"url"`
			Status       int    `json:"status"`
			ContentType  string `json:"content_type"`
			SHA256       string `json:"sha256"`
			Body         string `json:"body"`
			BodyEncoding string `json:"body_encoding"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad JSONL line: %v", err)
		}
		if _, dup := byURL[m.URL]; dup {
			t.Errorf("%s exported twice", m.URL)
		}
		body := []byte(m.Body)
		if m.BodyEncoding == "base64" {
			if body, err = base64.StdEncoding.DecodeString(m.Body); err != nil {
				t.Fatal(err)
			}
		}
		if sum := sha256.Sum256(body); m.Status != 0 && hex.EncodeToString(sum[:]) != m.SHA256 {
			t.Errorf("%s: body does not match its sha256", m.URL)
		}
		byURL[m.URL] = rec{URL: m.URL, Status: m.Status, ContentType: m.ContentType, SHA256: m.SHA256}
	}
	fh.Close()
	for u, status := range expected {
		if r, ok := byURL[u]; !ok || r.Status != status {
			t.Errorf("JSONL: %s = %+v, want status %d", u, byURL[u], status)
		}
	}

	// WARC, read with this test's own parser.
	warcDir := filepath.Join(tmp, "warc")
	exportAll("warc", warcDir)
	seen := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(warcDir, "*.warc.gz"))
	if len(files) == 0 {
		t.Fatal("no WARC files")
	}
	for _, name := range files {
		for _, wr := range readWARC(t, name) {
			if wr.typ != "response" {
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(wr.block)), nil)
			if err != nil {
				t.Fatalf("%s: response block: %v", wr.uri, err)
			}
			body, _ := io.ReadAll(resp.Body)
			seen[wr.uri]++
			sum1 := sha1.Sum(body)
			if want := "sha1:" + base32.StdEncoding.EncodeToString(sum1[:]); wr.payloadDigest != want {
				t.Errorf("%s: WARC-Payload-Digest %s, body gives %s", wr.uri, wr.payloadDigest, want)
			}
			if strings.HasSuffix(wr.uri, "/robots.txt") {
				continue // archived in WARC only: no JSONL record to compare with
			}
			sum := sha256.Sum256(body)
			if r := byURL[wr.uri]; r.Status != resp.StatusCode || r.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: WARC status %d / body differ from the crawl's record %+v", wr.uri, resp.StatusCode, r)
			}
		}
	}
	for u := range expected {
		if seen[u] != 1 {
			t.Errorf("WARC: %s has %d response records", u, seen[u])
		}
	}
	// The crawler's robots.txt fetches are archived too, one per host at
	// least (a 5xx is retried, and each attempt is archived).
	for _, seed := range seeds {
		if u := strings.TrimSuffix(seed, "/") + "/robots.txt"; seen[u] < 1 {
			t.Errorf("WARC: no response record for %s", u)
		}
	}

	// Mirror tree: every 2xx page at its mapped path, byte-identical.
	mirror := filepath.Join(tmp, "mirror")
	exportAll("dir", mirror)
	for u, status := range expected {
		if status < 200 || status > 299 {
			continue
		}
		p, err := export.PathFor(u, byURL[u].ContentType)
		if err != nil {
			t.Fatalf("PathFor %s: %v", u, err)
		}
		b, err := os.ReadFile(filepath.Join(mirror, p))
		if err != nil {
			t.Errorf("mirror: %s: %v", u, err)
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != byURL[u].SHA256 {
			t.Errorf("mirror: %s differs from the stored body", p)
		}
	}
}

type warcRecord struct {
	typ, uri, payloadDigest string
	block                   []byte
}

// readWARC parses a gzip-per-record WARC file: gzip's multistream reader
// concatenates the members; each record is a header block, a blank line,
// Content-Length bytes and CRLF CRLF.
func readWARC(t *testing.T, name string) []warcRecord {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(zr)
	var out []warcRecord
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return out
		}
		if strings.TrimSpace(line) != "WARC/1.1" {
			t.Fatalf("%s: record starts with %q", name, line)
		}
		h, err := textproto.NewReader(br).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("%s: headers: %v", name, err)
		}
		n, err := strconv.Atoi(h.Get("Content-Length"))
		if err != nil {
			t.Fatalf("%s: Content-Length %q", name, h.Get("Content-Length"))
		}
		block := make([]byte, n)
		if _, err := io.ReadFull(br, block); err != nil {
			t.Fatalf("%s: block: %v", name, err)
		}
		if crlf := make([]byte, 4); func() bool { _, err := io.ReadFull(br, crlf); return err != nil || string(crlf) != "\r\n\r\n" }() {
			t.Fatalf("%s: record not terminated by CRLF CRLF", name)
		}
		out = append(out, warcRecord{typ: h.Get("WARC-Type"), uri: h.Get("WARC-Target-URI"), payloadDigest: h.Get("WARC-Payload-Digest"), block: block})
	}
}
