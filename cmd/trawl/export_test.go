package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/internal/warcverify"
	"github.com/trawl-crawler/trawl/storage/export"
)

// TestExportRoundTripsACrawl crawls the test web with the CLI, exports it
// in all three formats, and reads each back independently: every URL the
// crawl fetched appears exactly once with its status and body digest.
func TestExportRoundTripsACrawl(t *testing.T) {
	web, dir := crawlExportWeb(t, t.TempDir(), 21)
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

	// WARC, read with warcverify.Read (no code shared with the writer).
	warcDir := filepath.Join(tmp, "warc")
	exportAll("warc", warcDir)
	seen := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(warcDir, "*.warc.gz"))
	if len(files) == 0 {
		t.Fatal("no WARC files")
	}
	for _, name := range files {
		recs, err := warcverify.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, wr := range recs {
			typ, uri, payloadDigest := wr.Header.Get("WARC-Type"), wr.Header.Get("WARC-Target-URI"), wr.Header.Get("WARC-Payload-Digest")
			if typ != "response" {
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(wr.Block)), nil)
			if err != nil {
				t.Fatalf("%s: response block: %v", uri, err)
			}
			body, _ := io.ReadAll(resp.Body)
			seen[uri]++
			sum1 := sha1.Sum(body)
			if want := "sha1:" + base32.StdEncoding.EncodeToString(sum1[:]); payloadDigest != want {
				t.Errorf("%s: WARC-Payload-Digest %s, body gives %s", uri, payloadDigest, want)
			}
			if strings.HasSuffix(uri, "/robots.txt") {
				continue // archived in WARC only: no JSONL record to compare with
			}
			sum := sha256.Sum256(body)
			if r := byURL[uri]; r.Status != resp.StatusCode || r.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: WARC status %d / body differ from the crawl's record %+v", uri, resp.StatusCode, r)
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
