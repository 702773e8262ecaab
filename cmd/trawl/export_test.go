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

// jsonlPage is one record of a JSONL export, its body decoded.
type jsonlPage struct {
	Status              int
	ContentType, SHA256 string
	Body                string // decoded where the export wrote it as base64
}

// jsonlPages reads a JSONL export: URL -> its record; a URL written twice
// fails the test.
func jsonlPages(t *testing.T, path string) map[string]jsonlPage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]jsonlPage{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l struct {
			URL          string `json:"url"`
			Status       int    `json:"status"`
			ContentType  string `json:"content_type"`
			SHA256       string `json:"sha256"`
			Body         string `json:"body"`
			BodyEncoding string `json:"body_encoding"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad JSONL line in %s: %v", path, err)
		}
		if _, dup := out[l.URL]; dup {
			t.Errorf("%s exported twice", l.URL)
		}
		if l.BodyEncoding == "base64" {
			b, err := base64.StdEncoding.DecodeString(l.Body)
			if err != nil {
				t.Fatalf("%s: body: %v", l.URL, err)
			}
			l.Body = string(b)
		}
		out[l.URL] = jsonlPage{Status: l.Status, ContentType: l.ContentType, SHA256: l.SHA256, Body: l.Body}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
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
	byURL := jsonlPages(t, jsonl)
	for u, r := range byURL {
		if sum := sha256.Sum256([]byte(r.Body)); r.Status != 0 && hex.EncodeToString(sum[:]) != r.SHA256 {
			t.Errorf("%s: body does not match its sha256", u)
		}
	}
	for u, status := range expected {
		if r, ok := byURL[u]; !ok || r.Status != status {
			t.Errorf("JSONL: %s exported %v with status %d, want status %d", u, ok, r.Status, status)
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
				t.Errorf("%s: WARC status %d / body differ from the crawl's record (status %d, sha256 %s)", uri, resp.StatusCode, r.Status, r.SHA256)
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
